-- Meta-commands that fail; run without ON_ERROR_STOP against eddy and PostgreSQL 15
-- (TestPsqlMetaErrors), the outputs (error messages included) must be identical.
CREATE TABLE t (id int PRIMARY KEY);
\d nonexistent
\dt nonexistent
\di nonexistent
\d public.nope
\d nope.t
\dt t
