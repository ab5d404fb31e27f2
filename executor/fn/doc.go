// Package fn is eddy's library of scalar functions, operators and casts, evaluated on whole Arrow
// columns, with PostgreSQL's overload resolution and cast rules.
//
// Entry points:
//
//	Resolve(name, argTypes)        picks a function overload and the casts its arguments need
//	ResolveOperator(op, l, r)      the same for infix operators (r only for prefix operators)
//	Cast(ctx, arr, from, to)       converts a column, with PostgreSQL's errors (22P02, 22003, ...)
//	CanCast(from, to, context)     whether a cast is allowed in a context
//	CommonType(types)              UNION/CASE/COALESCE type resolution
//
// Invariants:
//   - F1 determinism: results depend only on the arguments and the Context.
//   - F2 errors are *pgerror.Error with PostgreSQL's SQLSTATE and wording.
//   - F3 an Eval never retains or releases its argument arrays; it returns a new array owned by
//     the caller.
package fn
