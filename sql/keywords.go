package sql

import "strings"

// reserved holds the words the bridge never reads as a column name: PostgreSQL's reserved
// keywords, its type_func_name keywords that shape expressions and joins, and a few column-name
// keywords that start expressions (BETWEEN, EXISTS, VALUES).
var reserved = wordSet(`all analyse analyze and any array as asc asymmetric both case cast check
collate column constraint create current_catalog current_date current_role current_time
current_timestamp current_user default deferrable desc distinct do else end except false fetch for
foreign from grant group having in initially intersect into lateral leading limit localtime
localtimestamp not null offset on only or order placing primary references returning select
session_user some symmetric table then to trailing true union unique user using variadic when where
window with authorization binary collation concurrently cross current_schema freeze full ilike inner
is isnull join left like natural notnull outer overlaps right similar tablesample verbose between
exists values operator`)

// noArgFuncs are the SQL keywords that are function calls without parentheses.
var noArgFuncs = wordSet(`current_date current_time current_timestamp localtime localtimestamp
current_user session_user user current_role current_catalog current_schema`)

// typeLiteralStart are the first words of types that may prefix a string constant (DATE '...').
var typeLiteralStart = wordSet(`date time timestamp timestamptz timetz interval int int2 int4 int8
integer smallint bigint numeric decimal real float float4 float8 double text varchar char character
bool boolean bytea json jsonb uuid inet cidr bit varbit money name oid regclass regtype regproc
regprocedure regoper regnamespace`)

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}
