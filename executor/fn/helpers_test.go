package fn

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/cockroachdb/apd/v3"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// testCtx is a session in UTC at 2024-05-06 07:08:09.123456 UTC.
func testCtx() *Context {
	return &Context{
		Mem: memory.DefaultAllocator, Format: &types.DefaultFormatContext,
		Now:  time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC).UnixMicro(),
		User: "alice", Database: "db", SearchPath: []string{"public"}, BackendPID: 42,
	}
}

// col builds a column of type t from text literals ("NULL" for NULL), parsed as PostgreSQL
// would read them.
func col(t *testing.T, typ types.T, vals ...string) arrow.Array {
	t.Helper()
	return colIn(t, testCtx(), typ, vals...)
}

// colIn is col reading values in the session's time zone.
func colIn(t *testing.T, ctx *Context, typ types.T, vals ...string) arrow.Array {
	t.Helper()
	b := types.NewBuilder(memory.DefaultAllocator, typ)
	defer b.Release()
	for _, v := range vals {
		if v == "NULL" {
			b.AppendNull()
			continue
		}
		pt := typ
		if pt.Family == types.Unknown {
			pt = types.TextT
		}
		d, err := types.ParseText(pt, v, ctx.Format)
		if err != nil {
			t.Fatalf("parse %q as %s: %v", v, typ, err)
		}
		types.AppendDatum(b, typ, d)
	}
	return b.NewArray()
}

// show renders every row of a column of type t as text, NULL as "NULL".
func show(arr arrow.Array, typ types.T) []string { return showIn(testCtx(), arr, typ) }

// showIn is show writing values in the session's time zone.
func showIn(ctx *Context, arr arrow.Array, typ types.T) []string {
	out := make([]string, arr.Len())
	for i := range out {
		if arr.IsNull(i) {
			out[i] = "NULL"
			continue
		}
		v := types.DatumAt(arr, i, typ)
		if d, ok := v.(*apd.Decimal); ok {
			out[i] = numText(d)
			continue
		}
		out[i] = types.FormatText(typ, v, ctx.Format)
	}
	return out
}

// arg is one argument of a test call: its type and its rows as text.
type arg struct {
	t    types.T
	vals []string
}

func a(t types.T, vals ...string) arg { return arg{t, vals} }

// evalCall resolves and runs op/function name over the args (casting them as Resolve says) and
// returns the result rows as text and the result type.
func evalCall(t *testing.T, kind, name string, args ...arg) ([]string, types.T, error) {
	t.Helper()
	return evalCallIn(t, testCtx(), kind, name, args...)
}

// evalCallIn is evalCall with a given session.
func evalCallIn(t *testing.T, ctx *Context, kind, name string, args ...arg) ([]string, types.T, error) {
	t.Helper()
	argTypes := make([]types.T, len(args))
	for i, x := range args {
		argTypes[i] = x.t
	}
	var o *Overload
	var casts []types.T
	var err error
	if kind == "cast" || kind == "assign" {
		return evalCast(t, ctx, kind, name, args[0])
	}
	switch kind {
	case "op":
		o, casts, err = ResolveOperator(name, argTypes[0], argTypes[1])
	case "unary":
		o, casts, err = ResolveUnary(name, argTypes[0])
	default:
		o, casts, err = Resolve(name, argTypes)
	}
	if err != nil {
		return nil, types.T{}, err
	}
	n := 1
	if len(args) > 0 {
		n = len(args[0].vals)
	}
	cols := make([]arrow.Array, len(args))
	for i, x := range args {
		c := colIn(t, ctx, x.t, x.vals...)
		cols[i], err = Cast(ctx, c, x.t, casts[i])
		c.Release()
		if err != nil {
			return nil, o.Ret, err
		}
	}
	res, err := o.Eval(ctx, cols, n)
	if err != nil {
		return nil, o.Ret, err
	}
	if res.Len() != n {
		t.Fatalf("%s: result has %d rows, want %d", name, res.Len(), n)
	}
	return showIn(ctx, res, o.Ret), o.Ret, nil
}

// errString renders an error as "CODE message" for comparisons.
func errString(err error) string {
	var pe *pgerror.Error
	if errors.As(err, &pe) {
		return fmt.Sprintf("%s %s", pe.Code, pe.Message)
	}
	return "untyped: " + err.Error()
}

// evalCase is one row of a table-driven evaluation test: want is the rows joined by "|", or
// an error rendered by errString.
type evalCase struct {
	kind, name string
	args       []arg
	want       string
	ret        types.T // checked when set
	zone       string  // the session's TimeZone; UTC when empty
}

func runCases(t *testing.T, cases []evalCase) {
	t.Helper()
	for _, c := range cases {
		ctx := testCtx()
		if c.zone != "" {
			loc, err := time.LoadLocation(c.zone)
			if err != nil {
				t.Fatal(err)
			}
			fc := types.DefaultFormatContext
			fc.Location = loc
			ctx.Format = &fc
		}
		got, ret, err := evalCallIn(t, ctx, c.kind, c.name, c.args...)
		var s string
		if err != nil {
			s = errString(err)
		} else {
			s = join(got)
		}
		if s != c.want {
			t.Errorf("%s %s %v: got %q, want %q", c.kind, c.name, c.args, s, c.want)
		}
		if err == nil && c.ret.Family != types.Unknown && ret != c.ret {
			t.Errorf("%s %s %v: result type %s, want %s", c.kind, c.name, c.args, ret, c.ret)
		}
	}
}

func join(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += "|"
		}
		out += s
	}
	return out
}

// evalCast runs x::name (kind "cast") or an assignment cast (kind "assign").
func evalCast(t *testing.T, ctx *Context, kind, name string, x arg) ([]string, types.T, error) {
	t.Helper()
	base, mods := name, []int32(nil)
	if k := strings.IndexByte(name, '('); k > 0 {
		base = name[:k]
		for _, m := range strings.Split(strings.TrimSuffix(name[k+1:], ")"), ",") {
			v, _ := strconv.Atoi(strings.TrimSpace(m))
			mods = append(mods, int32(v))
		}
	}
	to, err := types.ParseTypeName(base, mods)
	if err != nil {
		t.Fatalf("type %s: %v", name, err)
	}
	c := colIn(t, ctx, x.t, x.vals...)
	defer c.Release()
	cc := CastExplicit
	if kind == "assign" {
		cc = CastAssignment
	}
	res, err := CastIn(ctx, c, x.t, to, cc)
	if err != nil {
		return nil, to, err
	}
	return showIn(ctx, res, to), to, nil
}
