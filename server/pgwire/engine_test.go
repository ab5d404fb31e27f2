package pgwire

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// fakeEngine answers a fixed set of statements, enough to drive every protocol path:
//
//	select types            one row of every supported type, one of extremes, one of NULLs
//	select $1::int4, $2::text, ...   echoes its parameters (types from the casts)
//	select a, b from t      describes table t (how pgx CopyFrom learns column types)
//	series N                N int8 rows 0..N-1, in batches of 1000
//	insert                  "INSERT 0 1"
//	copy t from stdin [csv] [header] [binary]   rows land in fakeEngine.copied
//	copy t to stdout [csv] [header]             three rows, one with NULLs and escapes
//	slow                    waits for its context to be cancelled
//	error                   42P01 with position 15
//	internal                a plain Go error (XX000)
//	notice                  a NOTICE, then "DO"
//	begin / commit / rollback   moves TxStatus between 'I' and 'T'
//	set timezone NAME       changes TimeZone (reported in ParameterStatus)
type fakeEngine struct {
	mem *memory.CheckedAllocator

	// noSlow makes "slow" return at once: the fuzz target cannot cancel it.
	noSlow bool

	mu       sync.Mutex
	copied   [][]any
	aborted  int
	sessions int
}

func newFakeEngine() *fakeEngine {
	return &fakeEngine{mem: memory.NewCheckedAllocator(memory.NewGoAllocator())}
}

func (e *fakeEngine) NewSession(ctx context.Context, user, database string, params map[string]string) (Session, error) {
	if user == "reject" {
		return nil, pgerror.Newf(pgerror.InvalidAuthorizationSpec, "role \"%s\" does not exist", user)
	}
	e.mu.Lock()
	e.sessions++
	e.mu.Unlock()
	fc := types.DefaultFormatContext
	return &fakeSession{e: e, fc: fc, tx: 'I', app: params["application_name"]}, nil
}

func (e *fakeEngine) copiedRows() [][]any {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([][]any(nil), e.copied...)
}

type fakeSession struct {
	e       *fakeEngine
	fc      types.FormatContext
	tx      byte
	app     string
	changed map[string]string
	closed  bool
}

type fakeStmt struct{ sql string }

func (s fakeStmt) SQL() string { return s.sql }

type fakePrepared struct {
	fakeStmt
	kind   string
	params []types.T
	cols   []Column
}

func (p *fakePrepared) ParamTypes() []types.T { return p.params }
func (p *fakePrepared) Columns() []Column     { return p.cols }

func (s *fakeSession) Parse(q string) ([]Statement, error) {
	var out []Statement
	for _, part := range strings.Split(q, ";") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, fakeStmt{sql: part})
		}
	}
	return out, nil
}

var allTypeCols = []Column{
	{Name: "b", Type: types.BoolT}, {Name: "i2", Type: types.Int2T}, {Name: "i4", Type: types.Int4T},
	{Name: "i8", Type: types.Int8T}, {Name: "f4", Type: types.Float4T}, {Name: "f8", Type: types.Float8T},
	{Name: "n", Type: types.NumericT}, {Name: "t", Type: types.TextT}, {Name: "vc", Type: types.T{Family: types.Varchar, Width: 10}},
	{Name: "nm", Type: types.NameT}, {Name: "by", Type: types.ByteaT}, {Name: "d", Type: types.DateT},
	{Name: "tm", Type: types.TimeT}, {Name: "ts", Type: types.TimestampT}, {Name: "tstz", Type: types.TimestampTZT},
	{Name: "iv", Type: types.IntervalT}, {Name: "o", Type: types.OidT},
}

// allTypeRows are the rows of "select types", as text PostgreSQL would print (UTC, ISO).
var allTypeRows = [][]string{
	{"t", "-12", "123456", "9000000000000000", "1.5", "0.1", "12345.678900", "héllo\tworld", "vc", "nm", `\x0001ff`,
		"2024-01-02", "04:05:06.789", "2024-01-02 03:04:05.123456", "2024-01-02 03:04:05.123456+00",
		"1 year 2 mons 3 days 04:05:06.7", "12345"},
	{"f", "-32768", "-2147483648", "-9223372036854775808", "-3.4028235e+38", "-1e-300", "-0.001", "", "", "x", `\x`,
		"1999-12-31", "00:00:00", "1970-01-01 00:00:00", "1969-12-31 23:59:59.5+00", "-1 days -00:00:01", "4294967295"},
	{"", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""}, // all NULL (see isNullRow)
}

func isNullRow(i int) bool { return i == 2 }

var tableT = []Column{{Name: "a", Type: types.Int4T}, {Name: "b", Type: types.TextT}, {Name: "c", Type: types.Float8T}}

var castRE = regexp.MustCompile(`\$(\d+)::([a-z0-9_]+(?:\(\d+(?:,\d+)?\))?)`)

func (s *fakeSession) Prepare(ctx context.Context, st Statement, paramTypes []types.T) (Prepared, error) {
	sql := strings.ToLower(strings.TrimSpace(st.SQL()))
	p := &fakePrepared{fakeStmt: fakeStmt{sql: st.SQL()}, kind: sql}
	switch {
	case sql == "select types":
		p.cols = allTypeCols
	case sql == "select arrays":
		p.cols = []Column{{Name: "ta", Type: types.T{Family: types.TextArray}}, {Name: "ia", Type: types.T{Family: types.Int8Array}},
			{Name: "v", Type: types.T{Family: types.Void}}}
	case castRE.MatchString(sql):
		p.kind = "echo"
		for _, m := range castRE.FindAllStringSubmatch(sql, -1) {
			typ, err := parseTestType(m[2])
			if err != nil {
				return nil, err
			}
			i, _ := strconv.Atoi(m[1])
			if i <= len(paramTypes) && paramTypes[i-1].Family != types.Unknown {
				typ = paramTypes[i-1]
			}
			p.params = append(p.params, typ)
			p.cols = append(p.cols, Column{Name: "c" + m[1], Type: typ})
		}
	case strings.HasPrefix(sql, "select ") && strings.Contains(sql, ` from "t"`):
		p.kind = "describe"
		p.cols = tableT
	case strings.HasPrefix(sql, "series "):
		p.kind = "series"
		p.cols = []Column{{Name: "n", Type: types.Int8T}}
	case strings.HasPrefix(sql, "copy "), sql == "insert", sql == "slow", sql == "internal", sql == "notice",
		sql == "begin", sql == "commit", sql == "rollback", strings.HasPrefix(sql, "set timezone "):
		if strings.HasPrefix(sql, "copy ") {
			p.kind = "copy"
		}
		if sql == "slow" {
			p.cols = []Column{{Name: "x", Type: types.Int4T}}
		}
	case sql == "error":
		return nil, pgerror.New(pgerror.UndefinedTable, "relation \"nope\" does not exist").WithPosition(15)
	default:
		return nil, pgerror.Newf(pgerror.SyntaxError, "syntax error at or near \"%s\"", strings.Fields(sql)[0]).WithPosition(1)
	}
	return p, nil
}

func parseTestType(name string) (types.T, error) {
	base, mods, _ := strings.Cut(strings.TrimSuffix(name, ")"), "(")
	var m []int32
	if mods != "" {
		for _, x := range strings.Split(mods, ",") {
			n, _ := strconv.Atoi(x)
			m = append(m, int32(n))
		}
	}
	return types.ParseTypeName(base, m)
}

func (s *fakeSession) Execute(ctx context.Context, prep Prepared, params []any) (Result, error) {
	p := prep.(*fakePrepared)
	sql := strings.ToLower(p.sql)
	r := &fakeResult{cols: p.cols}
	switch p.kind {
	case "select types":
		rows := make([][]any, len(allTypeRows))
		for i, texts := range allTypeRows {
			rows[i] = make([]any, len(texts))
			if isNullRow(i) {
				continue
			}
			for j, txt := range texts {
				v, err := types.ParseText(allTypeCols[j].Type, txt, &s.fc)
				if err != nil {
					return nil, err
				}
				rows[i][j] = v
			}
		}
		r.recs = []arrow.Record{buildRecord(s.e.mem, p.cols, rows)}
		r.tag = "SELECT 3"
	case "select arrays":
		r.recs = []arrow.Record{buildRecord(s.e.mem, p.cols, [][]any{{`{a,"b c",NULL,"q\"x"}`, "{1,-2}", ""}, {"{}", "{}", nil}})}
		r.tag = "SELECT 2"
	case "echo":
		r.recs = []arrow.Record{buildRecord(s.e.mem, p.cols, [][]any{params})}
		r.tag = "SELECT 1"
	case "describe":
		r.tag = "SELECT 0"
	case "series":
		n, _ := strconv.Atoi(strings.Fields(sql)[1])
		for start := 0; start < n; start += 1000 {
			var rows [][]any
			for i := start; i < min(n, start+1000); i++ {
				rows = append(rows, []any{int64(i)})
			}
			r.recs = append(r.recs, buildRecord(s.e.mem, p.cols, rows))
		}
		r.tag = "SELECT " + strconv.Itoa(n)
	case "insert":
		r.tag = "INSERT 0 1"
	case "slow":
		r.slow = !s.e.noSlow
	case "internal":
		return nil, errors.New("boom")
	case "notice":
		r.notices = []Notice{{Severity: "NOTICE", Code: "00000", Message: "this is a notice"}}
		r.tag = "DO"
	case "begin":
		s.tx, r.tag = 'T', "BEGIN"
	case "commit", "rollback":
		s.tx, r.tag = 'I', strings.ToUpper(sql)
	case "copy":
		opts := CopyOptions{Format: "text", Delimiter: "\t", Null: `\N`}
		if strings.Contains(sql, "csv") {
			opts = CopyOptions{Format: "csv", Delimiter: ",", Null: "", Quote: `"`, Escape: `"`}
		}
		if strings.Contains(sql, "binary") {
			opts.Format = "binary"
		}
		opts.Header = strings.Contains(sql, "header")
		r.cols = tableT
		if strings.Contains(sql, "from stdin") {
			return &fakeCopyIn{fakeResult: r, e: s.e, opts: opts}, nil
		}
		r.recs = []arrow.Record{buildRecord(s.e.mem, tableT, [][]any{
			{int64(1), "plain", 1.5},
			{int64(2), "tab\there, \"quoted\"\nnewline \\ back", nil},
			{nil, "", -0.25},
		})}
		return &fakeCopyOut{fakeResult: r, opts: opts}, nil
	default:
		if strings.HasPrefix(sql, "set timezone ") {
			name := strings.TrimSpace(p.sql[len("set timezone "):])
			loc, err := time.LoadLocation(name)
			if err != nil {
				return nil, pgerror.Newf(pgerror.InvalidParameterValue, "invalid value for parameter \"TimeZone\": \"%s\"", name)
			}
			s.fc.Location = loc
			s.changed = map[string]string{"TimeZone": name}
			r.tag = "SET"
		}
	}
	return r, nil
}

func (s *fakeSession) TxStatus() byte { return s.tx }

func (s *fakeSession) ParameterStatus(changed bool) map[string]string {
	if changed {
		c := s.changed
		s.changed = nil
		return c
	}
	return map[string]string{
		"server_version": "15.0", "server_encoding": "UTF8", "client_encoding": "UTF8",
		"DateStyle": "ISO, MDY", "IntervalStyle": "postgres", "TimeZone": "UTC",
		"integer_datetimes": "on", "standard_conforming_strings": "on", "application_name": s.app,
		"is_superuser": "on", "session_authorization": "eddy",
	}
}

func (s *fakeSession) FormatContext() *types.FormatContext { fc := s.fc; return &fc }
func (s *fakeSession) Close()                              { s.closed = true }

func buildRecord(mem memory.Allocator, cols []Column, rows [][]any) arrow.Record {
	names := make([]string, len(cols))
	ts := make([]types.T, len(cols))
	for i, c := range cols {
		names[i], ts[i] = c.Name, c.Type
	}
	arrs := make([]arrow.Array, len(cols))
	for j := range cols {
		b := types.NewBuilder(mem, ts[j])
		for _, row := range rows {
			types.AppendDatum(b, ts[j], row[j])
		}
		arrs[j] = b.NewArray()
		b.Release()
	}
	rec := array.NewRecord(types.Schema(names, ts), arrs, int64(len(rows)))
	for _, a := range arrs {
		a.Release()
	}
	return rec
}

type fakeResult struct {
	cols    []Column
	recs    []arrow.Record
	tag     string
	notices []Notice
	slow    bool
}

func (r *fakeResult) Columns() []Column { return r.cols }
func (r *fakeResult) Next(ctx context.Context) (arrow.Record, error) {
	if r.slow {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if len(r.recs) == 0 {
		return nil, nil
	}
	rec := r.recs[0]
	r.recs = r.recs[1:]
	return rec, nil
}
func (r *fakeResult) Tag() string       { return r.tag }
func (r *fakeResult) Notices() []Notice { return r.notices }
func (r *fakeResult) Close() {
	for _, rec := range r.recs {
		rec.Release()
	}
	r.recs = nil
}

type fakeCopyIn struct {
	*fakeResult
	e    *fakeEngine
	opts CopyOptions
	rows [][]any
}

func (c *fakeCopyIn) CopyOptions() CopyOptions { return c.opts }
func (c *fakeCopyIn) Append(ctx context.Context, rows [][]any) error {
	c.rows = append(c.rows, rows...)
	return nil
}
func (c *fakeCopyIn) Finish(ctx context.Context) (string, error) {
	c.e.mu.Lock()
	defer c.e.mu.Unlock()
	c.e.copied = append(c.e.copied, c.rows...)
	return "COPY " + strconv.Itoa(len(c.rows)), nil
}
func (c *fakeCopyIn) Abort() {
	c.e.mu.Lock()
	defer c.e.mu.Unlock()
	c.e.aborted++
}

type fakeCopyOut struct {
	*fakeResult
	opts CopyOptions
}

func (c *fakeCopyOut) CopyOptions() CopyOptions { return c.opts }
