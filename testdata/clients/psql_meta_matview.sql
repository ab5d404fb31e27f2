-- psql's describe meta-commands over materialized views; run by psql against eddy and against
-- PostgreSQL 15 (TestPsqlScripts), the outputs must be identical. QUIET hides the command
-- tags (PostgreSQL tags CREATE MATERIALIZED VIEW "SELECT n", eddy "CREATE MATERIALIZED VIEW")
-- but not the notices. The base tables stay empty, so the views hold no rows and \dm+ shows the
-- sizes of never-written relations in both. PostgreSQL prints a view's definition deparsed
-- from its query tree while eddy prints the query's text as written, so each query below is
-- written exactly the way PostgreSQL 15 deparses it for \d+ (pg_get_viewdef(oid, true));
-- pg_matviews.definition, deparsed without the pretty flag, is left out for the same reason.
\set QUIET on
CREATE TABLE orders (id int PRIMARY KEY, customer text NOT NULL, amount numeric(10,2), placed date DEFAULT '2024-01-01');
CREATE TABLE "Line Items" (order_id int NOT NULL, sku varchar(12), qty int2 DEFAULT 1);
CREATE MATERIALIZED VIEW customer_totals AS SELECT orders.customer,
    count(*) AS n,
    sum(orders.amount) AS total
   FROM orders
  GROUP BY orders.customer;
CREATE MATERIALIZED VIEW big_orders (order_id, amount) AS SELECT orders.id AS order_id,
    orders.amount,
    orders.placed
   FROM orders
  WHERE orders.amount > 100::numeric;
CREATE MATERIALIZED VIEW top_customers AS SELECT customer_totals.customer,
    customer_totals.total
   FROM customer_totals
  ORDER BY customer_totals.total DESC
 LIMIT 3;
CREATE MATERIALIZED VIEW IF NOT EXISTS big_orders AS SELECT orders.id
   FROM orders;
\dm
\dm+
\dm big*
\d customer_totals
\d big_orders
\d+ customer_totals
\d+ big_orders
\d+ top_customers
\d
\d+
\dt
\dv
SELECT c.relname, c.relkind, c.relhasindex, c.relpersistence FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' ORDER BY 1;
SELECT schemaname, matviewname, matviewowner, ispopulated FROM pg_matviews ORDER BY matviewname;
SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1;
DROP MATERIALIZED VIEW IF EXISTS no_such_view;
DROP MATERIALIZED VIEW IF EXISTS no_such_view, big_orders;
DROP MATERIALIZED VIEW customer_totals CASCADE;
\dm
\d
