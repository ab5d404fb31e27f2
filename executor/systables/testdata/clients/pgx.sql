-- pgx v5 Conn.LoadType and friends (conn.go), with $1 bound to a type or relation OID
select typtype::text, typbasetype from pg_type where oid=1007;

-- pgx
select typelem, typdelim::text from pg_type where oid=1007;

-- pgx
select rngsubtype from pg_range where rngtypid=3904;

-- pgx
select rngtypid from pg_range where rngmultitypid=4451;

-- pgx
select typrelid from pg_type where oid=2249;

-- pgx
select attname, atttypid
from pg_attribute
where attrelid=16385
  and not attisdropped
  and attnum > 0
order by attnum;
