-- Run by psql against eddy and against PostgreSQL 15; the outputs must be identical.
CREATE TABLE items (id int PRIMARY KEY, name varchar(20) NOT NULL, price numeric(8,2), added date, tags text);
INSERT INTO items VALUES (1, 'apple', 1.20, '2024-01-05', 'fruit'), (2, 'bread', 2.5, '2024-02-10', NULL);
INSERT INTO items (id, name) VALUES (3, 'cheese');
SELECT * FROM items ORDER BY id;
SELECT name, price * 2 AS double_price FROM items WHERE price IS NOT NULL ORDER BY name;
SELECT count(*), sum(price), avg(price), min(added), max(added) FROM items;
BEGIN;
UPDATE items SET price = 9.99 WHERE id = 3;
SAVEPOINT s1;
DELETE FROM items;
ROLLBACK TO SAVEPOINT s1;
SELECT id, price FROM items ORDER BY id;
COMMIT;
SELECT id, price FROM items ORDER BY id;
\copy items (id, name) FROM stdin
10	dates
11	eggs
\.
SELECT count(*) FROM items;
COPY (SELECT id, name FROM items WHERE id >= 10 ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER);
SELECT 1 AS a, 'x' AS b \gset
\echo :a :b
SELECT NULL::int IS NULL AS is_null, 'a' || 'b' AS cat, 1 + 2 * 3 AS arith;
CREATE TABLE dflt (id int PRIMARY KEY, price numeric(8,2) DEFAULT 9.5, tag varchar(5) DEFAULT 'new', c char(3) DEFAULT 'x', at date DEFAULT '2024-01-01');
\copy dflt (id) FROM stdin
1
2
\.
SELECT * FROM dflt ORDER BY id;
