-- psql's describe meta-commands over eddy's tables; run by psql against eddy and against
-- PostgreSQL 15 (TestPsqlScripts), the outputs must be identical. Tables stay empty: sizes in
-- \dt+ and \di+ are those of never-written relations.
CREATE TABLE orders (customer_id int NOT NULL, order_no int NOT NULL, note varchar(40) DEFAULT 'none', amount numeric(10,2) NOT NULL DEFAULT 0, created timestamptz, PRIMARY KEY (customer_id, order_no));
CREATE TABLE logs (msg text, level int DEFAULT 1, source varchar DEFAULT 'app');
CREATE TABLE "Mixed Case" (id bigint PRIMARY KEY, flag boolean DEFAULT true, code char(3), ratio float8, born date DEFAULT '2024-01-01', delta int DEFAULT -1, small int2 DEFAULT 3);
\d
\d+
\dt
\dt+
\dt+ orders
\dti
\dtvi+
\d o*
\dt public.*
\dt *.orders
\dt o*
\d orders
\d logs
\d "Mixed Case"
\d+ orders
\d+ logs
\d public.orders
\di
\di+
\di orders*
\d orders_pkey
\d+ orders_pkey
\df
\df+
\df pg_catalog.array_in
\dn public
\dv pg_catalog.pg_tables
\d pg_catalog.pg_tables
\dv
\ds
\dT
\dE
\dm
\do
\dc
\dp
\dD
\da
\dy
\dl
\des
\dew
\det
\deu
\dRp
\dRs
\drds
SELECT c.oid::regclass::text AS rel, c.relkind FROM pg_class c WHERE c.relname IN ('orders', 'orders_pkey', 'pg_class') ORDER BY 1;
SELECT pg_get_indexdef(i.indexrelid) AS indexdef, pg_get_indexdef(i.indexrelid, 2, true) AS col2, pg_get_constraintdef(con.oid) AS condef FROM pg_index i JOIN pg_constraint con ON con.conindid = i.indexrelid WHERE i.indrelid = 'orders'::regclass;
SELECT column_name, column_default FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position;
