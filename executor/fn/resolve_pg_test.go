package fn

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// resolveDeviations are calls where eddy knowingly differs from PostgreSQL 15, because
// PostgreSQL has an overload on a type eddy lacks (jsonb - text, age(xid), trunc(macaddr),
// bytea LIKE, anyarray functions).
var resolveDeviations = map[string]bool{
	"op - u,text": true, "op - u,vc": true, "op ~~ u,bytea": true, "op ~~ bytea,u": true,
	"op ~~ bytea,bytea": true, "fn age u": true, "fn trunc u": true,
}

// TestResolveMatchesPostgres replays testdata/resolve_pg15.tsv: for every call, Resolve must
// pick an overload with the result type PostgreSQL chose, or fail with the same SQLSTATE.
func TestResolveMatchesPostgres(t *testing.T) {
	keys := map[string]types.T{"u": types.UnknownT, "i2": types.Int2T, "i4": types.Int4T, "i8": types.Int8T,
		"num": types.NumericT, "f8": types.Float8T, "f4": types.Float4T, "text": types.TextT, "vc": types.VarcharT,
		"date": types.DateT, "ts": types.TimestampT, "tz": types.TimestampTZT, "iv": types.IntervalT,
		"time": types.TimeT, "bool": types.BoolT, "bytea": types.ByteaT, "oid": types.OidT}
	f, err := os.Open("testdata/resolve_pg15.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	checked := 0
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		p := strings.Split(line, "\t")
		kind, name, want := p[0], p[1], p[3]
		if resolveDeviations[kind+" "+name+" "+p[2]] {
			continue
		}
		var args []types.T
		for _, k := range strings.Split(p[2], ",") {
			args = append(args, keys[k])
		}
		var o *Overload
		switch kind {
		case "op":
			o, _, err = ResolveOperator(name, args[0], args[1])
		case "unary":
			o, _, err = ResolveUnary(name, args[0])
		default:
			o, _, err = Resolve(name, args)
		}
		got := ""
		if err != nil {
			got = "ERR:" + string(pgerror.GetCode(err))
		} else {
			got = o.Ret.String()
		}
		if got != want {
			t.Errorf("%s %s(%s): got %s, PostgreSQL %s", kind, name, p[2], got, want)
		}
		checked++
	}
	if checked < 8000 {
		t.Errorf("only %d calls checked", checked)
	}
}

// TestCommonTypeMatchesPostgres replays testdata/common_type_pg15.tsv through CommonType.
func TestCommonTypeMatchesPostgres(t *testing.T) {
	keys := map[string]types.T{"u": types.UnknownT, "i2": types.Int2T, "i4": types.Int4T, "i8": types.Int8T,
		"num": types.NumericT, "f8": types.Float8T, "f4": types.Float4T, "text": types.TextT, "vc": types.VarcharT,
		"vc3": {Family: types.Varchar, Width: 3}, "date": types.DateT, "ts": types.TimestampT,
		"tz": types.TimestampTZT, "iv": types.IntervalT, "time": types.TimeT, "bool": types.BoolT,
		"bytea": types.ByteaT, "oid": types.OidT, "name": types.NameT, "char": {Family: types.Char, Width: 2}}
	data, err := os.ReadFile("testdata/common_type_pg15.tsv")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		p := strings.Split(line, "\t")
		var in []types.T
		for _, k := range strings.Split(p[0], ",") {
			in = append(in, keys[k])
		}
		got, err := CommonType(in)
		s := got.String()
		if err != nil {
			s = "ERR:" + string(pgerror.GetCode(err))
		}
		if s != p[1] {
			t.Errorf("CommonType(%s) = %s, PostgreSQL %s", p[0], s, p[1])
		}
	}
}

// TestCastContextsMatchPgCast checks every pg_cast row of PostgreSQL 15 among eddy's types
// (testdata/pg_cast_15.txt) against CanCast.
func TestCastContextsMatchPgCast(t *testing.T) {
	names := map[string]types.T{"bool": types.BoolT, "int2": types.Int2T, "int4": types.Int4T, "int8": types.Int8T,
		"float4": types.Float4T, "float8": types.Float8T, "numeric": types.NumericT, "text": types.TextT,
		"varchar": types.VarcharT, "bpchar": {Family: types.Char}, "name": types.NameT, "bytea": types.ByteaT,
		"date": types.DateT, "time": types.TimeT, "timestamp": types.TimestampT, "timestamptz": types.TimestampTZT,
		"interval": types.IntervalT, "oid": types.OidT, "regclass": {Family: types.RegClass},
		"regtype": {Family: types.RegType}, "regproc": {Family: types.RegProc}, "char": {Family: types.InternalChar}}
	data, err := os.ReadFile("testdata/pg_cast_15.txt")
	if err != nil {
		t.Fatal(err)
	}
	contexts := map[string]CastContext{"i": CastImplicit, "a": CastAssignment, "e": CastExplicit}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		p := strings.Split(line, "|")
		from, to, want := names[p[0]], names[p[1]], contexts[p[2]]
		got, ok := castContext(from, to)
		if !ok || got != want {
			t.Errorf("cast %s → %s: got %v (exists %v), pg_cast says %s", p[0], p[1], got, ok, p[2])
		}
	}
}
