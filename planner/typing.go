package planner

// PostgreSQL's type resolution for operators, CASE/UNION/COALESCE and casts, on the subset of
// types eddy has.
//
// TODO(planner): temporary stand-in for executor/fn's ResolveOperator, CommonType and CanCast,
// which did not build yet when this was written; switch over once they do.

import (
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

func numRank(t types.T) int {
	switch t.Family {
	case types.Int2:
		return 1
	case types.Int4:
		return 2
	case types.Int8:
		return 3
	case types.Numeric:
		return 4
	case types.Float4:
		return 5
	case types.Float8:
		return 6
	}
	return 0
}

func isTimeLike(t types.T) bool {
	switch t.Family {
	case types.Date, types.Timestamp, types.TimestampTZ:
		return true
	}
	return false
}

// plain drops modifiers: the type values of an expression computed from columns carry none.
func plain(t types.T) types.T { return types.T{Family: t.Family} }

// commonType resolves the type of UNION/CASE/COALESCE/IN/VALUES branches.
func commonType(ts []types.T, construct string) (types.T, error) {
	var res types.T
	have := false
	for _, t := range ts {
		if t.Family == types.Unknown {
			continue
		}
		if !have {
			res, have = t, true
			continue
		}
		switch {
		case t == res:
		case t.Family == res.Family:
			res = plain(t)
		case numRank(t) > 0 && numRank(res) > 0:
			if numRank(t) > numRank(res) {
				res = plain(t)
			}
		case t.IsString() && res.IsString():
			res = types.TextT
		case isTimeLike(t) && isTimeLike(res):
			if t.Family == types.TimestampTZ || res.Family == types.TimestampTZ {
				res = types.TimestampTZT
			} else {
				res = types.TimestampT
			}
		case res.Family == types.Oid && t.IsInteger() || t.Family == types.Oid && res.IsInteger():
			res = types.OidT
		default:
			return types.T{}, pgerror.Newf(pgerror.DatatypeMismatch, "%s types %s and %s cannot be matched",
				construct, res.SQLName(), t.SQLName())
		}
	}
	if !have {
		return types.TextT, nil
	}
	return res, nil
}

// opTypes chooses the signature of a binary operator: the types to cast the operands to and
// the result type. Unknown operands take the other side's type.
func opTypes(op string, l, r types.T) (lt, rt, ret types.T, err error) {
	lu, ru := l.Family == types.Unknown, r.Family == types.Unknown
	switch {
	case lu && ru:
		l, r = types.TextT, types.TextT
	case lu:
		l = unknownPartner(op, r)
	case ru:
		r = unknownPartner(op, l)
	}
	fail := func() (types.T, types.T, types.T, error) {
		return types.T{}, types.T{}, types.T{}, pgerror.Newf(pgerror.UndefinedFunction, "operator does not exist: %s %s %s",
			l.SQLName(), op, r.SQLName()).WithHint("No operator matches the given name and argument types. You might need to add explicit type casts.")
	}
	switch op {
	case "=", "<>", "!=", "<", "<=", ">", ">=":
		c, err := commonType([]types.T{l, r}, "")
		if err != nil || c.Family == types.Interval && l.Family != r.Family {
			return fail()
		}
		c = plain(c)
		if c.Family == types.Char || c.Family == types.Varchar {
			if l.Family != r.Family {
				c = types.TextT
			}
		}
		return c, c, types.BoolT, nil
	case "||":
		if l.IsString() || r.IsString() {
			return types.TextT, types.TextT, types.TextT, nil
		}
		return fail()
	case "+", "-", "*", "/", "%", "^":
		if numRank(l) > 0 && numRank(r) > 0 {
			c, _ := commonType([]types.T{l, r}, "")
			c = plain(c)
			if op == "^" {
				if c.Family != types.Numeric {
					c = types.Float8T
				}
			}
			if op == "%" && (c.Family == types.Float4 || c.Family == types.Float8) {
				return fail()
			}
			return c, c, c, nil
		}
		return dateTimeOp(op, l, r, fail)
	case "&", "|", "#", "<<", ">>":
		if l.IsInteger() && r.IsInteger() {
			c, _ := commonType([]types.T{l, r}, "")
			if op == "<<" || op == ">>" {
				return l, types.Int4T, l, nil
			}
			return c, c, c, nil
		}
		return fail()
	}
	return fail()
}

// unknownPartner is the type an untyped literal takes next to an operand of type t.
func unknownPartner(op string, t types.T) types.T {
	switch op {
	case "+", "-":
		if isTimeLike(t) || t.Family == types.Time {
			if op == "-" && t.Family != types.Time {
				return t // date - 'date' is the common reading; timestamp - 'ts' likewise
			}
			return types.IntervalT
		}
	case "||":
		return types.TextT
	}
	return t
}

func dateTimeOp(op string, l, r types.T, fail func() (types.T, types.T, types.T, error)) (types.T, types.T, types.T, error) {
	lf, rf := l.Family, r.Family
	switch {
	case lf == types.Date && rf == types.Date && op == "-":
		return l, r, types.Int4T, nil
	case lf == types.Date && r.IsInteger() && (op == "+" || op == "-"):
		return l, types.Int4T, types.DateT, nil
	case l.IsInteger() && rf == types.Date && op == "+":
		return types.Int4T, r, types.DateT, nil
	case lf == types.Date && rf == types.Interval && (op == "+" || op == "-"):
		return types.TimestampT, r, types.TimestampT, nil
	case lf == types.Interval && rf == types.Date && op == "+":
		return l, types.TimestampT, types.TimestampT, nil
	case (lf == types.Timestamp || lf == types.TimestampTZ) && rf == types.Interval && (op == "+" || op == "-"):
		return l, r, l, nil
	case lf == types.Interval && (rf == types.Timestamp || rf == types.TimestampTZ) && op == "+":
		return l, r, r, nil
	case isTimeLike(l) && isTimeLike(r) && op == "-":
		c, _ := commonType([]types.T{l, r}, "")
		return c, c, types.IntervalT, nil
	case lf == types.Interval && rf == types.Interval && (op == "+" || op == "-"):
		return l, r, l, nil
	case lf == types.Time && rf == types.Interval && (op == "+" || op == "-"):
		return l, r, l, nil
	case lf == types.Time && rf == types.Time && op == "-":
		return l, r, types.IntervalT, nil
	}
	return fail()
}

// unaryType checks a prefix operator.
func unaryType(op string, t types.T) (types.T, error) {
	if t.Family == types.Unknown {
		t = types.NumericT
		if op == "~" {
			t = types.Int4T
		}
	}
	switch op {
	case "-", "+", "@":
		if numRank(t) > 0 || (t.Family == types.Interval && op == "-") {
			return plain(t), nil
		}
	case "~":
		if t.IsInteger() {
			return t, nil
		}
	case "|/":
		if numRank(t) > 0 {
			return types.Float8T, nil
		}
	}
	return types.T{}, pgerror.Newf(pgerror.UndefinedFunction, "operator does not exist: %s %s", op, t.SQLName()).
		WithHint("No operator matches the given name and argument type. You might need to add an explicit type cast.")
}

// castable reports whether from converts to to explicitly.
func castable(from, to types.T) bool {
	switch {
	case from.Family == to.Family, from.Family == types.Unknown:
		return true
	case from.IsString() || to.IsString():
		return true
	case numRank(from) > 0 && numRank(to) > 0:
		return true
	case from.Family == types.Bool && to.Family == types.Int4, from.Family == types.Int4 && to.Family == types.Bool:
		return true
	case isTimeLike(from) && isTimeLike(to):
		return true
	case (from.Family == types.Timestamp || from.Family == types.TimestampTZ) && to.Family == types.Time:
		return true
	case from.IsInteger() && isOidLike(to), isOidLike(from) && (to.IsInteger() || isOidLike(to)):
		return true
	case (from.Family == types.Int2Vector || from.Family == types.OidVector) && to.Family == types.Int8Array:
		return true // psql's prattrs::int2[] (planned over an always-empty catalog table)
	}
	return false
}

func isOidLike(t types.T) bool {
	switch t.Family {
	case types.Oid, types.RegClass, types.RegType, types.RegProc:
		return true
	}
	return false
}

// assignable reports whether from converts to to in an INSERT/UPDATE target.
func assignable(from, to types.T) bool {
	switch {
	case from.Family == to.Family, from.Family == types.Unknown:
		return true
	case numRank(from) > 0 && numRank(to) > 0:
		return true
	case to.IsString():
		return true
	case from.IsString() && to.IsString():
		return true
	case isTimeLike(from) && isTimeLike(to):
		return true
	case from.IsInteger() && isOidLike(to):
		return true
	}
	return false
}
