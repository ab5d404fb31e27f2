// Package systables defines the virtual system tables that clients and drivers query:
// pg_catalog (pg_class, pg_namespace, pg_attribute, pg_type, pg_index, ...) and
// information_schema (tables, columns, ...), generated from a storage.Catalog on every read.
//
// The set of tables and their columns follow what psql 15's meta-commands (\d, \d+, \dt, \dm,
// \dn, \l, \df, \dS, \du), pgjdbc's DatabaseMetaData, psycopg2 and pgx send: every table has
// all of PostgreSQL 15's columns, in PostgreSQL's order and with its names, so SELECT * and
// joins bind.
// Column types PostgreSQL has but eddy lacks are mapped onto the nearest eddy type (see
// specType); information_schema domains are reported as their base types, as PostgreSQL's wire
// protocol does.
//
// This package owns only the shape and contents of these tables; planning queries over them is
// the planner's business, and the catalog itself is storage's.
//
// Invariants (cite as "keeps S1"):
//   - S1 purity: Rows depends only on the catalog and the Env passed in; it reads no clock and
//     no global state, and iterates only over sorted slices, so the same catalog gives the
//     same rows in the same order.
//   - S2 shape: the record Rows returns has exactly Columns, with the Arrow types
//     types.T.ArrowType gives them (checked for every table by TestRowsMatchColumns).
//   - S3 stable OIDs: an object's OID is derived from catalog IDs alone (oids.go), so it does
//     not change across reads, restarts or replicas.
package systables
