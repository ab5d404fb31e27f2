package planner

import (
	"github.com/eddydb/eddy/executor/fn"
	"github.com/eddydb/eddy/sql/types"
)

// The planner types operators, functions and casts with executor/fn's PostgreSQL resolution
// rules. typing.go's rules remain as a fallback for the few forms fn does not define yet (their
// evaluation then uses the executor's built-in fallback).

// resolveOp picks a binary operator signature: operand target types and result type.
func resolveOp(op string, l, r types.T) (types.T, types.T, types.T, error) {
	ov, casts, err := fn.ResolveOperator(op, l, r)
	if err == nil && ov != nil && len(casts) == 2 {
		lt, rt := concrete(casts[0], l), concrete(casts[1], r)
		return lt, rt, ov.Ret, nil
	}
	if lt, rt, ret, err2 := opTypes(op, l, r); err2 == nil {
		return lt, rt, ret, nil
	}
	if err == nil {
		_, _, _, err = opTypes(op, l, r)
	}
	return types.T{}, types.T{}, types.T{}, err
}

// concrete replaces a polymorphic (Unknown) parameter type by the argument's own type, and an
// untyped argument's by text.
func concrete(param, arg types.T) types.T {
	if param.Family != types.Unknown {
		return param
	}
	if arg.Family == types.Unknown {
		return types.TextT
	}
	return arg
}

// resolveFunc picks a function overload: argument target types and result type.
func resolveFunc(name string, args []types.T) (types.T, []types.T, error) {
	ov, casts, err := fn.Resolve(name, args)
	if err == nil && ov != nil && len(casts) == len(args) {
		out := make([]types.T, len(args))
		for i := range casts {
			out[i] = concrete(casts[i], args[i])
		}
		return ov.Ret, out, nil
	}
	return types.T{}, nil, err
}

// commonTypeOf resolves the type of UNION/CASE/COALESCE/VALUES branches.
func commonTypeOf(ts []types.T, construct string) (types.T, error) {
	t, err := fn.CommonTypeFor(construct, ts)
	if err == nil {
		return t, nil
	}
	if t2, err2 := commonType(ts, construct); err2 == nil {
		return t2, nil
	}
	return types.T{}, err
}

func canCastExplicit(from, to types.T) bool {
	return fn.CanCast(from, to, fn.CastExplicit) || castable(from, to)
}

func canAssign(from, to types.T) bool {
	return fn.CanCast(from, to, fn.CastAssignment) || assignable(from, to)
}
