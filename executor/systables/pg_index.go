package systables

import (
	"strconv"
	"strings"

	"github.com/eddydb/eddy/storage"
)

// This file holds the index and constraint catalogs. Every user table with a visible primary
// key has one btree index and one 'p' constraint, both named <table>_pkey as PostgreSQL names
// an unnamed primary key; their OIDs are derived from the table ID (oids.go).

// defaultOpclass maps a type OID onto the OID of its default btree operator class in
// PostgreSQL 15 (pg_opclass), for pg_index.indclass.
var defaultOpclass = map[uint32]uint32{
	16: 10003, 17: 10006, 18: 10007, 19: 10028, 20: 3124, 21: 1979, 23: 1978, 25: 3126,
	26: 1981, 30: 10032, 700: 10012, 701: 3123, 1042: 10004, 1043: 3126, 1082: 3122,
	1083: 10038, 1114: 3128, 1184: 3127, 1186: 10022, 1700: 3125,
	24: 1981, 2205: 1981, 2206: 1981, // reg* types index with oid_ops
}

// pkRelations returns the user relations that have a visible primary key, in catalog order.
func pkRelations(cat *storage.Catalog) []relation {
	var out []relation
	for _, t := range cat.Tables {
		if r := userRelation(cat, t); r.hasPK() {
			out = append(out, r)
		}
	}
	return out
}

// joinInts formats ns separated by sep ("1 2" for int2vector, "1,2" inside array braces).
func joinInts[T ~int | ~uint32](ns []T, sep string) string {
	var sb strings.Builder
	for i, n := range ns {
		if i > 0 {
			sb.WriteString(sep)
		}
		sb.WriteString(strconv.FormatInt(int64(n), 10))
	}
	return sb.String()
}

var _ = register("pg_catalog", "pg_index", 2610, spec(`
	indexrelid oid, indrelid oid, indnatts int2, indnkeyatts int2, indisunique bool,
	indnullsnotdistinct bool, indisprimary bool, indisexclusion bool, indimmediate bool,
	indisclustered bool, indisvalid bool, indcheckxmin bool, indisready bool, indislive bool,
	indisreplident bool, indkey int2vector, indcollation oidvector, indclass oidvector,
	indoption int2vector, indexprs pg_node_tree, indpred pg_node_tree`),
	func(b *builder, cat *storage.Catalog, _ *Env) error {
		for _, r := range pkRelations(cat) {
			colls := make([]uint32, len(r.pk))
			classes := make([]uint32, len(r.pk))
			opts := make([]int, len(r.pk))
			for i, attnum := range r.pk {
				t := r.cols[attnum-1].typ
				colls[i] = collationOf(t)
				classes[i] = defaultOpclass[t.OID()]
			}
			b.add(row{
				"indexrelid": pkIndexOID(r.table), "indrelid": r.oid, "indnatts": len(r.pk),
				"indnkeyatts": len(r.pk), "indisunique": true, "indnullsnotdistinct": false,
				"indisprimary": true, "indisexclusion": false, "indimmediate": true,
				"indisclustered": false, "indisvalid": true, "indcheckxmin": false,
				"indisready": true, "indislive": true, "indisreplident": false,
				"indkey": joinInts(r.pk, " "), "indcollation": joinInts(colls, " "),
				"indclass": joinInts(classes, " "), "indoption": joinInts(opts, " "),
			})
		}
		return nil
	})

var _ = register("pg_catalog", "pg_constraint", 2606, spec(`
	oid oid, conname name, connamespace oid, contype char, condeferrable bool,
	condeferred bool, convalidated bool, conrelid oid, contypid oid, conindid oid,
	conparentid oid, confrelid oid, confupdtype char, confdeltype char, confmatchtype char,
	conislocal bool, coninhcount int4, connoinherit bool, conkey int2[], confkey int2[],
	conpfeqop oid[], conppeqop oid[], conffeqop oid[], confdelsetcols int2[], conexclop oid[],
	conbin pg_node_tree`),
	func(b *builder, cat *storage.Catalog, _ *Env) error {
		for _, r := range pkRelations(cat) {
			b.add(row{
				"oid": pkConstraintOID(r.table), "conname": r.pkName(), "connamespace": r.nspOID,
				"contype": byte('p'), "condeferrable": false, "condeferred": false,
				"convalidated": true, "conrelid": r.oid, "contypid": 0,
				"conindid": pkIndexOID(r.table), "conparentid": 0, "confrelid": 0,
				// PostgreSQL stores a blank, not an empty string, in the foreign-key
				// action columns of a non-foreign-key constraint.
				"confupdtype": byte(' '), "confdeltype": byte(' '), "confmatchtype": byte(' '),
				"conislocal": true, "coninhcount": 0, "connoinherit": true,
				"conkey": "{" + joinInts(r.pk, ",") + "}",
			})
		}
		return nil
	})

var _ = registerView("pg_catalog", "pg_indexes", 12043, spec(`
	schemaname name, tablename name, indexname name, tablespace name, indexdef text`),
	func(b *builder, cat *storage.Catalog, _ *Env) error {
		for _, r := range pkRelations(cat) {
			b.add(row{"schemaname": r.nspName, "tablename": r.name, "indexname": r.pkName(),
				"indexdef": pkIndexDef(&r)})
		}
		return nil
	})

// pkIndexDef is pg_get_indexdef's text for the primary-key index of r, e.g.
// "CREATE UNIQUE INDEX t_pkey ON public.t USING btree (a, b)".
func pkIndexDef(r *relation) string {
	return "CREATE UNIQUE INDEX " + quoteIdent(r.pkName()) + " ON " + quoteIdent(r.nspName) + "." +
		quoteIdent(r.name) + " USING btree (" + pkColumnList(r) + ")"
}

// pkConstraintDef is pg_get_constraintdef's text for r's primary key: "PRIMARY KEY (a, b)".
func pkConstraintDef(r *relation) string { return "PRIMARY KEY (" + pkColumnList(r) + ")" }

func pkColumnList(r *relation) string {
	names := make([]string, len(r.pk))
	for i, attnum := range r.pk {
		names[i] = quoteIdent(r.cols[attnum-1].name)
	}
	return strings.Join(names, ", ")
}

// quoteIdent quotes an identifier the way PostgreSQL's quote_ident does: bare when it is a
// lower-case identifier that is not a reserved word, double-quoted otherwise.
func quoteIdent(s string) string {
	bare := s != "" && !reservedWords[s]
	for i, c := range s {
		if !(c >= 'a' && c <= 'z' || c == '_' || i > 0 && c >= '0' && c <= '9') {
			bare = false
			break
		}
	}
	if bare {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// reservedWords are the keywords quote_ident quotes (PostgreSQL's reserved and
// type/function-name keywords that most often appear as column names).
var reservedWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`all analyse analyze and any array as asc asymmetric
		authorization binary both case cast check collate collation column concurrently
		constraint create cross current_catalog current_date current_role current_schema
		current_time current_timestamp current_user default deferrable desc distinct do else
		end except false fetch for foreign freeze from full grant group having ilike in
		initially inner intersect into is isnull join lateral leading left like limit
		localtime localtimestamp natural not notnull null offset on only or order outer
		overlaps placing primary references returning right select session_user similar
		some symmetric system_user table tablesample then to trailing true union unique user
		using variadic verbose when where window with between bigint bit boolean char
		character coalesce dec decimal exists extract float greatest grouping inout int
		integer interval least national nchar none normalize nullif numeric out overlay
		position precision real row setof smallint substring time timestamp treat trim
		values varchar xmlattributes xmlconcat xmlelement xmlexists xmlforest
		xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable`) {
		m[w] = true
	}
	return m
}()
