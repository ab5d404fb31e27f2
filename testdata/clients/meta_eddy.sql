-- Meta-commands whose output legitimately differs from PostgreSQL 15's: eddy has one database,
-- its own eddy_catalog schema, no extensions, casts or text search configurations in its
-- catalogs. TestPsqlMetaEddy checks the parts of this output that are eddy's own.
\dn
\dn+
\l
\dx
\dC
\dF
\dv *.tables
