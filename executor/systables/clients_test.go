package systables

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestClientQueriesBind reads the catalog queries real clients send (testdata/clients: psql 15's
// meta-commands captured with psql -E, pgjdbc's DatabaseMetaData captured with log_statement,
// pgx's type loading) and checks, without a planner, that every system table they read is
// registered and every alias.column they name is one of its columns.
//
// The check is lexical: FROM/JOIN/comma followed by a table name (and an optional alias)
// binds the alias; alias.column then must name a column of one of the tables bound to that
// alias anywhere in the statement (psql reuses "c" for pg_class and pg_collation).
func TestClientQueriesBind(t *testing.T) {
	files, err := filepath.Glob("testdata/clients/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no client queries: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, stmt := range splitStatements(string(data)) {
			for _, problem := range bindProblems(stmt.sql) {
				t.Errorf("%s (%s): %s", filepath.Base(f), stmt.label, problem)
			}
		}
	}
}

type clientStmt struct{ label, sql string }

// splitStatements splits a file into statements, each introduced by a "-- label" line.
func splitStatements(s string) []clientStmt {
	var out []clientStmt
	for _, block := range strings.Split(s, "\n-- ") {
		block = strings.TrimPrefix(block, "-- ")
		label, sql, _ := strings.Cut(block, "\n")
		if strings.TrimSpace(sql) != "" {
			out = append(out, clientStmt{label, sql})
		}
	}
	return out
}

var (
	tableRef  = regexp.MustCompile(`(?i)(?:\bFROM|\bJOIN|,)\s+(?:(pg_catalog|information_schema)\.)?([a-z_][a-z0-9_]*)(\s*\()?(?:\s+(?:AS\s+)?([a-z_][a-z0-9_]*))?`)
	columnRef = regexp.MustCompile(`(?i)\b([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)\b`)
	notAlias  = map[string]bool{"where": true, "left": true, "right": true, "join": true, "on": true,
		"order": true, "inner": true, "outer": true, "full": true, "cross": true, "group": true,
		"union": true, "limit": true, "and": true, "natural": true, "using": true}
	// systemColumns exist on every PostgreSQL table without being in its column list; psql's
	// \dL reads pg_language.tableoid. They are the planner's to resolve (tableoid is the
	// virtual table's OID), not columns of these tables, so SELECT * stays PostgreSQL's.
	systemColumns = map[string]bool{"tableoid": true, "ctid": true, "xmin": true, "xmax": true,
		"cmin": true, "cmax": true}
)

func bindProblems(sql string) []string {
	var problems []string
	aliases := map[string][]*Table{}
	for _, m := range tableRef.FindAllStringSubmatch(sql, -1) {
		schema, name, alias := strings.ToLower(m[1]), strings.ToLower(m[2]), strings.ToLower(m[4])
		if m[3] != "" {
			continue // a function call in the select list, not a table
		}
		if schema == "" {
			schema = "pg_catalog"
		}
		vt := Lookup(schema, name)
		if vt == nil {
			if strings.HasPrefix(name, "pg_") && m[1] != "" || m[1] == "information_schema" {
				problems = append(problems, "no table "+schema+"."+name)
			}
			continue
		}
		if alias == "" || notAlias[alias] {
			alias = name
		}
		aliases[alias] = append(aliases[alias], vt)
		if alias != name {
			aliases[name] = append(aliases[name], vt)
		}
	}
	for _, m := range columnRef.FindAllStringSubmatch(sql, -1) {
		alias, col := strings.ToLower(m[1]), strings.ToLower(m[2])
		tables := aliases[alias]
		if len(tables) == 0 || systemColumns[col] {
			continue
		}
		found := false
		for _, vt := range tables {
			for _, c := range vt.Columns {
				if c.Name == col {
					found = true
				}
			}
		}
		if !found {
			problems = append(problems, "no column "+alias+"."+col+" in "+tables[0].Name)
		}
	}
	return problems
}
