package fn

import (
	"strings"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// castRules holds pg_cast.castcontext for the type pairs eddy supports. Pairs not listed fall
// back to I/O conversion: to a string type in assignment, from a string type explicitly only.
var castRules = map[[2]types.Family]CastContext{}

func init() {
	const i, a, e = CastImplicit, CastAssignment, CastExplicit
	regs := []types.Family{types.Oid, types.RegClass, types.RegType, types.RegProc}
	rule := func(from types.Family, c CastContext, to ...types.Family) {
		for _, t := range to {
			castRules[[2]types.Family{from, t}] = c
		}
	}
	rule(types.Int2, i, types.Int4, types.Int8, types.Float4, types.Float8, types.Numeric)
	rule(types.Int2, i, regs...)
	rule(types.Int4, i, types.Int8, types.Float4, types.Float8, types.Numeric)
	rule(types.Int4, i, regs...)
	rule(types.Int4, a, types.Int2)
	rule(types.Int4, e, types.Bool, types.InternalChar)
	rule(types.Int8, i, types.Float4, types.Float8, types.Numeric)
	rule(types.Int8, i, regs...)
	rule(types.Int8, a, types.Int2, types.Int4)
	rule(types.Float4, i, types.Float8)
	rule(types.Float4, a, types.Int2, types.Int4, types.Int8, types.Numeric)
	rule(types.Float8, a, types.Int2, types.Int4, types.Int8, types.Float4, types.Numeric)
	rule(types.Numeric, i, types.Float4, types.Float8)
	rule(types.Numeric, a, types.Int2, types.Int4, types.Int8)
	rule(types.Bool, e, types.Int4)
	rule(types.Text, i, types.Varchar, types.Char, types.Name, types.RegClass)
	rule(types.Text, a, types.InternalChar)
	rule(types.Varchar, i, types.Text, types.Char, types.Name, types.RegClass)
	rule(types.Varchar, a, types.InternalChar)
	rule(types.Char, i, types.Text, types.Varchar, types.Name)
	rule(types.Char, a, types.InternalChar)
	rule(types.Name, i, types.Text)
	rule(types.Name, a, types.Char, types.Varchar)
	rule(types.InternalChar, i, types.Text)
	rule(types.InternalChar, a, types.Char, types.Varchar)
	rule(types.InternalChar, e, types.Int4)
	rule(types.Date, i, types.Timestamp, types.TimestampTZ)
	rule(types.Time, i, types.Interval)
	rule(types.Timestamp, i, types.TimestampTZ)
	rule(types.Timestamp, a, types.Date, types.Time)
	rule(types.TimestampTZ, a, types.Date, types.Time, types.Timestamp)
	rule(types.Interval, a, types.Time)
	for _, r := range regs {
		if r != types.Oid {
			rule(types.Oid, i, r)
			rule(r, i, types.Oid)
		}
		rule(r, a, types.Int4, types.Int8)
	}
}

// castContext returns the most permissive context in which from may be cast to to (implicit >
// assignment > explicit), and false if there is no cast at all.
func castContext(from, to types.T) (CastContext, bool) {
	if from.Family == to.Family || from.Family == types.Unknown {
		return CastImplicit, true
	}
	if c, ok := castRules[[2]types.Family{from.Family, to.Family}]; ok {
		return c, true
	}
	if !ioConvertible(from) || !ioConvertible(to) {
		return 0, false
	}
	if to.IsString() {
		return CastAssignment, true
	}
	if from.IsString() {
		return CastExplicit, true
	}
	return 0, false
}

func ioConvertible(t types.T) bool {
	switch t.Family {
	case types.Void, types.Record:
		return false
	}
	return true
}

// CanCast reports whether a value of type from may be converted to type to in context c.
func CanCast(from, to types.T, c CastContext) bool {
	got, ok := castContext(from, to)
	return ok && got >= c
}

// commonFuncs are the functions whose argument types are unified like CASE branches; the value
// is the construct named in errors.
var commonFuncs = map[string]string{"coalesce": "COALESCE", "greatest": "GREATEST", "least": "LEAST", "nullif": "NULLIF"}

// CommonType resolves the type of a UNION, CASE, COALESCE or VALUES column from its inputs, as
// PostgreSQL's select_common_type does. Errors name the construct as UNION; see CommonTypeFor.
func CommonType(ts []types.T) (types.T, error) { return CommonTypeFor("UNION", ts) }

// CommonTypeFor is CommonType with the construct ("CASE", "COALESCE", "VALUES", ...) named in
// error messages.
func CommonTypeFor(construct string, in []types.T) (types.T, error) {
	if len(in) == 0 {
		return types.TextT, nil
	}
	// All the same type (modifiers included) keeps it; differing modifiers are dropped.
	same, sameFam := true, true
	for _, t := range in[1:] {
		if t != in[0] {
			same = false
		}
		if t.Family != in[0].Family {
			sameFam = false
		}
	}
	if same {
		if in[0].Family == types.Unknown {
			return types.TextT, nil
		}
		return in[0], nil
	}
	if sameFam {
		return types.T{Family: in[0].Family}, nil
	}
	var cand types.T
	seen := false
	for _, t := range in {
		if t.Family == types.Unknown {
			continue
		}
		t = types.T{Family: t.Family}
		if !seen {
			cand, seen = t, true
			continue
		}
		if t.Family == cand.Family {
			continue
		}
		if t.Category() != cand.Category() {
			return types.T{}, pgerror.Newf(pgerror.DatatypeMismatch, "%s types %s and %s cannot be matched",
				construct, cand.SQLName(), t.SQLName())
		}
		if !isPreferred(cand) && CanCast(cand, t, CastImplicit) && !CanCast(t, cand, CastImplicit) {
			cand = t
		}
	}
	if !seen {
		return types.TextT, nil
	}
	for _, t := range in {
		if !CanCast(t, cand, CastImplicit) {
			return types.T{}, pgerror.Newf(pgerror.CannotCoerce, "%s could not convert type %s to %s",
				construct, t.SQLName(), cand.SQLName())
		}
	}
	return cand, nil
}

func resolveCommon(name, construct string, args []types.T) (*Overload, []types.T, error) {
	if (name == "nullif" && len(args) != 2) || len(args) == 0 {
		return nil, nil, pgerror.Newf(pgerror.UndefinedFunction, "function %s(%s) does not exist", name, typeList(args)).
			WithHint("No function matches the given name and argument types. You might need to add explicit type casts.")
	}
	if name == "nullif" {
		// NULLIF(a, b) is a = b resolved as an operator, returning a's type.
		eq, casts, err := ResolveOperator("=", args[0], args[1])
		if err != nil {
			return nil, nil, err
		}
		ret := casts[0]
		cmpT := ret
		o := &Overload{Name: name, Args: casts, Ret: ret, NullSafe: true, Eval: nullifEval(eq, ret, cmpT)}
		return o, casts, nil
	}
	t, err := CommonTypeFor(construct, args)
	if err != nil {
		return nil, nil, err
	}
	casts := make([]types.T, len(args))
	for i := range casts {
		casts[i] = t
	}
	var eval evalFn
	switch name {
	case "coalesce":
		eval = coalesceEval(t)
	case "greatest":
		eval = extremeEval(t, 1)
	default:
		eval = extremeEval(t, -1)
	}
	o := &Overload{Name: name, Args: casts, Ret: t, NullSafe: true, Eval: eval}
	return o, casts, nil
}

// normalizeName lower-cases a function name and strips a pg_catalog qualification.
func normalizeName(name string) string {
	return strings.TrimPrefix(strings.ToLower(name), "pg_catalog.")
}
