// Package fn is eddy's library of scalar functions, operators and casts, evaluated on whole Arrow
// columns, with PostgreSQL's overload resolution and cast rules.
//
// Entry points:
//
//	Resolve(name, argTypes)        picks a function overload and the casts its arguments need
//	ResolveOperator(op, l, r)      the same for infix operators (LIKE is ~~, ILIKE ~~*)
//	ResolveUnary(op, x)            the same for prefix operators (- + ~ @ |/ ||/)
//	Cast(ctx, arr, from, to)       converts a column as an explicit cast, with PostgreSQL's errors
//	CastIn(ctx, arr, from, to, c)  the same in assignment/implicit context (22001 on overlong text)
//	CanCast(from, to, context)     whether a cast is allowed in a context (pg_cast.castcontext)
//	CommonType(types)              UNION/CASE/COALESCE type resolution (CommonTypeFor names the construct)
//	And, Or, Not, IsNull, IsTrue   three-valued logic on boolean columns
//	IsDistinct(l, r, t)            IS DISTINCT FROM
//	Compare, Hash, AppendKey       row ordering, hashing and map keys for sort, join and group
//
// How a call is evaluated: the planner resolves it once, casts each argument column to the type
// Resolve returned for it, and calls Overload.Eval with columns of equal length n (a constant
// arrives as a length-n column). Eval loops over typed slices (Int64Values, Float64Values,
// validity bitmaps); the row-at-a-time datum path (mapRows) serves only functions off the hot
// path. Files group the library by family: arith (numeric operators), compare, logic, cast and
// cast_rules, math, numeric (apd helpers), string, regex (LIKE, POSIX, format()), datetime
// (operators, zone handling), datetime_fn, datetime_fmt (to_char/to_timestamp), numfmt
// (number templates), cond (COALESCE/GREATEST/LEAST/NULLIF), array (text[] in text form),
// system (version(), catalog helpers), extra (AT TIME ZONE, encode/decode, current_setting,
// cast functions such as int4(x)), misc (SIMILAR TO, pg_size_pretty).
//
// Tests: most expectations in *_test.go tables were produced by running the same calls on
// PostgreSQL 15; the tests themselves need no server.
//
// Resolution follows PostgreSQL's func_select_candidate (see resolve.go): exact match, then
// implicit casts, most exact matches, preferred types of each category (float8, text,
// timestamptz, interval, bool, oid), and unknown literals leaning towards text. An Args entry of
// types.UnknownT in an Overload is a polymorphic parameter; Resolve returns such overloads bound
// to the actual argument types.
//
// Invariants:
//   - F1 determinism: results depend only on the arguments and the Context. now() and
//     clock_timestamp() are Context.Now; random() draws from Context.Seed.
//   - F2 errors are *pgerror.Error with PostgreSQL's SQLSTATE and wording.
//   - F3 an Eval never retains or releases its argument arrays; it returns a new array owned by
//     the caller.
//   - F4 every Eval handles NULLs itself: a strict overload (NullSafe false) yields NULL in
//     exactly the rows where an argument is NULL and never raises an error for such a row, so
//     callers need not mask its inputs.
//   - F5 Compare, Hash and AppendKey agree: rows that compare equal hash equal and encode alike.
package fn
