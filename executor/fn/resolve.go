package fn

import (
	"strings"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// Overload resolution follows PostgreSQL's "Type Conversion" chapter (func_select_candidate):
//
//  1. keep candidates with the right number of arguments (variadic ones expanded);
//  2. an exact match wins (for operators with one unknown side, the unknown is assumed to be
//     the other side's type);
//  3. keep candidates every argument can reach by an implicit cast (unknown reaches anything);
//  4. keep those with the most exact matches, then those accepting the preferred type of the
//     argument's category at the most positions;
//  5. for unknown arguments, pick a category (string if any candidate takes one there, else the
//     only one offered) and prefer candidates taking that category's preferred type;
//  6. if unknown and known arguments are mixed and the known ones agree on a type, assume the
//     unknowns have that type.
//
// What remains must be a single candidate; otherwise the call is ambiguous.

type candidate struct {
	o      *Overload
	params []types.T // expanded to the number of arguments
}

// Resolve picks the overload of function name (lower case, without schema) for the argument
// types, and returns the type each argument must be cast to before calling Eval.
func Resolve(name string, args []types.T) (*Overload, []types.T, error) {
	name = normalizeName(name)
	if ctx, ok := commonFuncs[name]; ok {
		return resolveCommon(name, ctx, args)
	}
	if name == "pg_typeof" && len(args) == 1 {
		// pg_typeof reports the argument's type before any resolution: unknown stays unknown.
		o := typeofOverload(args[0])
		return o, o.Args, nil
	}
	o, casts, ambiguous := pick(funcs[name], args, false)
	if o != nil {
		return bound(o, casts), casts, nil
	}
	sig := name + "(" + typeList(args) + ")"
	if ambiguous {
		return nil, nil, pgerror.Newf(pgerror.AmbiguousFunction, "function %s is not unique", sig).
			WithHint("Could not choose a best candidate function. You might need to add explicit type casts.")
	}
	return nil, nil, pgerror.Newf(pgerror.UndefinedFunction, "function %s does not exist", sig).
		WithHint("No function matches the given name and argument types. You might need to add explicit type casts.")
}

// ResolveOperator picks the overload of binary operator op for operand types l and r. LIKE and
// ILIKE are the operators ~~ and ~~* (negated: !~~, !~~*); the spellings "like", "ilike",
// "not like" and "not ilike" are accepted too.
func ResolveOperator(op string, l, r types.T) (*Overload, []types.T, error) {
	op = strings.ToLower(op)
	o, casts, ambiguous := pick(binOps[op], ts(l, r), true)
	if o != nil {
		return bound(o, casts), casts, nil
	}
	desc := l.SQLName() + " " + op + " " + r.SQLName()
	return nil, nil, operatorError(desc, ambiguous)
}

// ResolveUnary picks the overload of prefix operator op (- + ~ @ and |/ ||/) for operand type x.
func ResolveUnary(op string, x types.T) (*Overload, []types.T, error) {
	o, casts, ambiguous := pick(unaryOp[op], ts(x), true)
	if o != nil {
		return o, casts, nil
	}
	return nil, nil, operatorError(op+" "+x.SQLName(), ambiguous)
}

func operatorError(desc string, ambiguous bool) error {
	if ambiguous {
		return pgerror.Newf(pgerror.AmbiguousFunction, "operator is not unique: %s", desc).
			WithHint("Could not choose a best candidate operator. You might need to add explicit type casts.")
	}
	return pgerror.Newf(pgerror.UndefinedFunction, "operator does not exist: %s", desc).
		WithHint("No operator matches the given name and argument types. You might need to add explicit type casts.")
}

func typeList(args []types.T) string {
	names := make([]string, len(args))
	for i, t := range args {
		names[i] = t.SQLName()
	}
	return strings.Join(names, ", ")
}

// isPreferred reports whether t is the preferred type of its category (pg_type.typispreferred).
func isPreferred(t types.T) bool {
	switch t.Family {
	case types.Float8, types.Text, types.TimestampTZ, types.Interval, types.Bool, types.Oid:
		return true
	}
	return false
}

// category is pg_type.typcategory, with polymorphic parameters in the pseudo-type category.
func category(t types.T) byte {
	if t.Family == types.Unknown {
		return 'P'
	}
	return t.Category()
}

func coercible(arg, param types.T) bool {
	if arg.Family == types.Unknown || param.Family == types.Unknown || arg.Family == param.Family {
		return true
	}
	return CanCast(arg, param, CastImplicit)
}

// pick runs the resolution steps above. It returns the overload and casts, or nil and whether
// the failure was an ambiguity.
func pick(overloads []*Overload, args []types.T, isOp bool) (*Overload, []types.T, bool) {
	var cands []candidate
	for _, o := range overloads {
		if p, ok := expand(o, len(args)); ok {
			cands = append(cands, candidate{o, p})
		}
	}
	if len(cands) == 0 {
		return nil, nil, false
	}
	// Step 2: exact match.
	lookup := args
	if isOp && len(args) == 2 {
		l, r := args[0], args[1]
		if l.Family == types.Unknown && r.Family != types.Unknown {
			lookup = ts(r, r)
		} else if r.Family == types.Unknown && l.Family != types.Unknown {
			lookup = ts(l, l)
		}
	}
	for _, c := range cands {
		exact := true
		for i, p := range c.params {
			if p.Family != lookup[i].Family || p.Family == types.Unknown {
				exact = false
				break
			}
		}
		if exact {
			return c.o, castsFor(c.params, args), false
		}
	}
	// Step 3: implicit coercibility.
	cands = filter(cands, func(c candidate) bool {
		for i, p := range c.params {
			if !coercible(args[i], p) {
				return false
			}
		}
		return true
	})
	if len(cands) == 0 {
		return nil, nil, false
	}
	if len(cands) == 1 {
		return cands[0].o, castsFor(cands[0].params, args), false
	}
	// Step 4a: most exact matches.
	cands = keepBest(cands, func(c candidate) int {
		n := 0
		for i, p := range c.params {
			if args[i].Family != types.Unknown && p.Family == args[i].Family {
				n++
			}
		}
		return n
	})
	if len(cands) == 1 {
		return cands[0].o, castsFor(cands[0].params, args), false
	}
	// Step 4b: exact or preferred-in-category at the most positions.
	cands = keepBest(cands, func(c candidate) int {
		n := 0
		for i, p := range c.params {
			a := args[i]
			if a.Family == types.Unknown {
				continue
			}
			if p.Family == a.Family || (isPreferred(p) && p.Category() == a.Category()) {
				n++
			}
		}
		return n
	})
	if len(cands) == 1 {
		return cands[0].o, castsFor(cands[0].params, args), false
	}
	// Step 5: unknown arguments choose a category. When the candidates disagree at some
	// position (and none offers a string type there) the unknowns stay unresolved and step 6
	// has the last word.
	cats := make([]byte, len(args))
	resolved := true
	for i, a := range args {
		if a.Family != types.Unknown {
			continue
		}
		conflict := false
		for _, c := range cands {
			pc := category(c.params[i])
			switch {
			case cats[i] == 0, pc == 'S':
				cats[i] = pc
			case cats[i] != pc && cats[i] != 'S':
				conflict = true
			}
		}
		if conflict && cats[i] != 'S' {
			resolved = false
		}
	}
	if resolved {
		for i, a := range args {
			if a.Family != types.Unknown {
				continue
			}
			kept := filter(cands, func(c candidate) bool { return category(c.params[i]) == cats[i] })
			if pref := filter(kept, func(c candidate) bool { return isPreferred(c.params[i]) }); len(pref) > 0 {
				kept = pref
			}
			cands = kept
		}
	}
	if len(cands) == 1 {
		return cands[0].o, castsFor(cands[0].params, args), false
	}
	// Step 6: unknowns take the common type of the known arguments.
	var known types.T
	same, sawUnknown := true, false
	for _, a := range args {
		switch {
		case a.Family == types.Unknown:
			sawUnknown = true
		case known.Family == types.Unknown:
			known = a
		case known.Family != a.Family:
			same = false
		}
	}
	if sawUnknown && same && known.Family != types.Unknown {
		kept := filter(cands, func(c candidate) bool {
			for i, p := range c.params {
				if args[i].Family == types.Unknown && !coercible(known, p) {
					return false
				}
			}
			return true
		})
		if len(kept) == 1 {
			return kept[0].o, castsFor(kept[0].params, args), false
		}
	}
	return nil, nil, len(cands) > 1
}

func expand(o *Overload, n int) ([]types.T, bool) {
	if !o.Variadic {
		return o.Args, len(o.Args) == n
	}
	fixedN := len(o.Args) - 1
	if n < len(o.Args) {
		return nil, false
	}
	p := make([]types.T, n)
	copy(p, o.Args[:fixedN])
	for i := fixedN; i < n; i++ {
		p[i] = o.Args[fixedN]
	}
	return p, true
}

// castsFor returns the type each argument is cast to: the parameter type, or the argument's own
// type for polymorphic parameters (unknown literals become text) and same-family arguments
// (which keeps their modifiers).
func castsFor(params, args []types.T) []types.T {
	out := make([]types.T, len(args))
	for i, p := range params {
		a := args[i]
		switch {
		case p.Family == types.Unknown && a.Family == types.Unknown:
			out[i] = types.TextT
		case p.Family == types.Unknown || p.Family == a.Family:
			out[i] = a
		default:
			out[i] = p
		}
	}
	return out
}

func filter(cs []candidate, keep func(candidate) bool) []candidate {
	var out []candidate
	for _, c := range cs {
		if keep(c) {
			out = append(out, c)
		}
	}
	return out
}

func keepBest(cs []candidate, score func(candidate) int) []candidate {
	best := -1
	var out []candidate
	for _, c := range cs {
		switch s := score(c); {
		case s > best:
			best, out = s, []candidate{c}
		case s == best:
			out = append(out, c)
		}
	}
	return out
}
