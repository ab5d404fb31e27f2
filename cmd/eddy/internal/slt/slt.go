// Package slt runs sqllogictest files against a PostgreSQL-protocol server over pgx.
//
// The dialect is the one RisingWave and CockroachDB use: one row per line with columns separated
// by a single space, NULL as "NULL", the empty string as "(empty)". Records:
//
//	statement ok
//	<sql>
//
//	statement error [pgcode XXXXX] [regexp]
//	<sql>
//
//	query <column type letters> [nosort|rowsort|valuesort] [label]
//	<sql>
//	----
//	<expected rows>
//
//	query error [pgcode XXXXX] [regexp]
//	<sql>
//
//	onlyif eddy|postgres   /   skipif eddy|postgres   (applies to the next record)
//	halt
//
// Statements are sent with the simple query protocol, so every value arrives in the server's
// text format and is compared byte for byte.
package slt

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Record is one parsed test record.
type Record struct {
	Line      int
	Kind      string // "statement" or "query"
	ExpectErr bool
	ErrCode   string
	ErrRegexp string
	Types     string
	Sort      string
	SQL       string
	Expected  []string
	// Header holds the raw first line, for rewriting.
	Header string
	OnlyIf string
	SkipIf string
}

// Parse reads the records of an .slt file.
func Parse(path string) ([]*Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var recs []*Record
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	var onlyIf, skipIf string
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		fields := strings.Fields(l)
		switch fields[0] {
		case "onlyif":
			onlyIf = field(fields, 1)
			continue
		case "skipif":
			skipIf = field(fields, 1)
			continue
		case "halt":
			return recs, nil
		case "statement", "query":
		default:
			return nil, fmt.Errorf("%s:%d: unknown record %q", path, i+1, fields[0])
		}
		r := &Record{Line: i + 1, Kind: fields[0], Header: l, OnlyIf: onlyIf, SkipIf: skipIf}
		onlyIf, skipIf = "", ""
		if len(fields) > 1 && fields[1] == "error" {
			r.ExpectErr = true
			rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(l, fields[0])), "error"))
			if strings.HasPrefix(rest, "pgcode ") {
				rest = strings.TrimPrefix(rest, "pgcode ")
				code, after, _ := strings.Cut(rest, " ")
				r.ErrCode, rest = code, strings.TrimSpace(after)
			}
			r.ErrRegexp = rest
		} else if r.Kind == "statement" {
			if field(fields, 1) != "ok" {
				return nil, fmt.Errorf("%s:%d: expected 'statement ok' or 'statement error'", path, i+1)
			}
		} else {
			r.Types = field(fields, 1)
			r.Sort = "nosort"
			if s := field(fields, 2); s == "rowsort" || s == "valuesort" || s == "nosort" {
				r.Sort = s
			}
		}
		// SQL runs until a blank line or "----".
		var sqlLines []string
		i++
		for ; i < len(lines) && strings.TrimSpace(lines[i]) != "" && lines[i] != "----"; i++ {
			sqlLines = append(sqlLines, lines[i])
		}
		r.SQL = strings.Join(sqlLines, "\n")
		if i < len(lines) && lines[i] == "----" {
			i++
			for ; i < len(lines) && lines[i] != ""; i++ {
				r.Expected = append(r.Expected, lines[i])
			}
		}
		recs = append(recs, r)
	}
	return recs, nil
}

func field(f []string, i int) string {
	if i < len(f) {
		return f[i]
	}
	return ""
}

// Failure describes one record whose outcome differed from the file.
type Failure struct {
	Path   string
	Record *Record
	Msg    string
}

func (f Failure) Error() string {
	return fmt.Sprintf("%s:%d: %s\n    %s", f.Path, f.Record.Line, f.Msg, strings.ReplaceAll(f.Record.SQL, "\n", "\n    "))
}

// Runner runs records on one connection. Target names the server kind for onlyif/skipif
// ("eddy" or "postgres").
type Runner struct {
	Conn   *pgconn.PgConn
	Target string
}

// Run executes the records in order and returns every failure (it does not stop at the first).
// With rewrite, query results and error codes are taken from the server and returned in the
// records instead of being compared.
func (r *Runner) Run(ctx context.Context, path string, recs []*Record, rewrite bool) []Failure {
	var fails []Failure
	for _, rec := range recs {
		if rec.OnlyIf != "" && rec.OnlyIf != r.Target || rec.SkipIf == r.Target {
			continue
		}
		rows, err := r.exec(ctx, rec.SQL)
		fail := func(format string, args ...any) {
			fails = append(fails, Failure{Path: path, Record: rec, Msg: fmt.Sprintf(format, args...)})
		}
		if rec.ExpectErr {
			if err == nil {
				fail("expected an error, got none")
				continue
			}
			var pe *pgconn.PgError
			if !errors.As(err, &pe) {
				fail("expected a server error, got %v", err)
				continue
			}
			if rec.ErrCode != "" && rec.ErrCode != pe.Code {
				if rewrite {
					rec.ErrCode = pe.Code
				} else {
					fail("expected SQLSTATE %s, got %s: %s", rec.ErrCode, pe.Code, pe.Message)
				}
			}
			if rec.ErrRegexp != "" {
				re, rerr := regexp.Compile(rec.ErrRegexp)
				if rerr != nil {
					fail("bad error regexp: %v", rerr)
				} else if !re.MatchString(pe.Message) {
					fail("error %q does not match %q", pe.Message, rec.ErrRegexp)
				}
			}
			continue
		}
		if err != nil {
			fail("unexpected error: %v", err)
			continue
		}
		if rec.Kind == "statement" {
			continue
		}
		got := format(rows, rec.Sort)
		if rewrite {
			rec.Expected = got
			continue
		}
		if !slices.Equal(got, rec.Expected) {
			fail("results differ\n--- expected\n%s\n--- got\n%s", strings.Join(rec.Expected, "\n"), strings.Join(got, "\n"))
		}
	}
	return fails
}

// exec runs one SQL string and returns the rows of its last result as text values
// (nil entries for NULL).
func (r *Runner) exec(ctx context.Context, sql string) ([][]*string, error) {
	res, err := r.Conn.Exec(ctx, sql).ReadAll()
	if err != nil {
		return nil, err
	}
	for _, rr := range res {
		if rr.Err != nil {
			return nil, rr.Err
		}
	}
	if len(res) == 0 {
		return nil, nil
	}
	last := res[len(res)-1]
	out := make([][]*string, len(last.Rows))
	for i, row := range last.Rows {
		vals := make([]*string, len(row))
		for j, v := range row {
			if v != nil {
				s := string(v)
				vals[j] = &s
			}
		}
		out[i] = vals
	}
	return out, nil
}

func format(rows [][]*string, sortMode string) []string {
	var lines []string
	var vals []string
	for _, row := range rows {
		cols := make([]string, len(row))
		for j, v := range row {
			switch {
			case v == nil:
				cols[j] = "NULL"
			case *v == "":
				cols[j] = "(empty)"
			default:
				cols[j] = strings.ReplaceAll(*v, "\n", "\\n")
			}
			vals = append(vals, cols[j])
		}
		lines = append(lines, strings.Join(cols, " "))
	}
	switch sortMode {
	case "rowsort":
		slices.Sort(lines)
	case "valuesort":
		slices.Sort(vals)
		return vals
	}
	return lines
}

// Write rewrites an .slt file from its records (used with rewrite).
func Write(path string, recs []*Record) error {
	orig, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	lines := strings.Split(string(orig), "\n")
	var out []string
	byLine := map[int]*Record{}
	for _, r := range recs {
		byLine[r.Line] = r
	}
	for i := 0; i < len(lines); i++ {
		r, ok := byLine[i+1]
		if !ok {
			out = append(out, lines[i])
			continue
		}
		header := r.Header
		if r.ExpectErr && r.ErrCode != "" {
			header = strings.TrimSpace(r.Kind + " error pgcode " + r.ErrCode + " " + r.ErrRegexp)
		}
		out = append(out, header)
		i++
		for ; i < len(lines) && strings.TrimSpace(lines[i]) != "" && lines[i] != "----"; i++ {
			out = append(out, lines[i])
		}
		if r.Kind == "query" && !r.ExpectErr {
			out = append(out, "----")
			out = append(out, r.Expected...)
			if i < len(lines) && lines[i] == "----" {
				for i++; i < len(lines) && lines[i] != ""; i++ {
				}
			}
		}
		i--
	}
	return os.WriteFile(path, []byte(strings.Join(out, "\n")), 0o644)
}
