package fn

import (
	"sort"
	"strings"

	"github.com/eddydb/eddy/sql/types"
)

// The registries are filled by init functions of each family's file and never change after
// package initialisation, so lookups need no lock.
var (
	funcs   = map[string][]*Overload{}
	binOps  = map[string][]*Overload{}
	unaryOp = map[string][]*Overload{}
)

// anyT marks a polymorphic parameter in Overload.Args (see Overload).
var anyT = types.UnknownT

func fam(f types.Family) types.T { return types.T{Family: f} }

// ts is shorthand for an argument list.
func ts(t ...types.T) []types.T { return t }

// defFunc registers a strict, immutable function overload.
func defFunc(name string, args []types.T, ret types.T, eval evalFn) *Overload {
	o := &Overload{Name: name, Args: args, Ret: ret, Eval: eval}
	funcs[name] = append(funcs[name], o)
	return o
}

// defBin registers a binary operator overload.
func defBin(op string, l, r, ret types.T, eval evalFn) *Overload {
	o := &Overload{Name: op, Args: ts(l, r), Ret: ret, Eval: eval}
	binOps[op] = append(binOps[op], o)
	return o
}

// defUnary registers a prefix operator overload.
func defUnary(op string, x, ret types.T, eval evalFn) *Overload {
	o := &Overload{Name: op, Args: ts(x), Ret: ret, Eval: eval}
	unaryOp[op] = append(unaryOp[op], o)
	return o
}

// Functions returns the names of every registered function, sorted.
func Functions() []string {
	out := make([]string, 0, len(funcs))
	for name := range funcs {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// Overloads returns the registered overloads of function name (lower case), for catalog views
// such as pg_proc, in a stable order (by argument count, then argument type names). The caller
// must not modify them.
func Overloads(name string) []*Overload {
	out := append([]*Overload(nil), funcs[normalizeName(name)]...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Args, out[j].Args
		if len(a) != len(b) {
			return len(a) < len(b)
		}
		return typeList(a) < typeList(b)
	})
	return out
}

// HasFunction reports whether a function of that name exists, whatever its arguments.
func HasFunction(name string) bool {
	name = strings.ToLower(name)
	if _, ok := funcs[name]; ok {
		return true
	}
	_, ok := commonFuncs[name]
	return ok
}

var numericFamilies = []types.Family{types.Int2, types.Int4, types.Int8, types.Float4, types.Float8, types.Numeric}

// comparableFamilies are the types with comparison operators and conditional functions.
var comparableFamilies = []types.Family{
	types.Bool, types.Int2, types.Int4, types.Int8, types.Float4, types.Float8, types.Numeric,
	types.Text, types.Varchar, types.Char, types.Name, types.Bytea, types.Date, types.Time,
	types.Timestamp, types.TimestampTZ, types.Interval, types.Oid, types.RegClass, types.RegType,
	types.RegProc, types.InternalChar, types.TextArray,
}

// binders build the Eval of overloads with polymorphic parameters once the argument types are
// known; Resolve returns a bound copy.
var binders = map[*Overload]func(args []types.T) evalFn{}

// defPoly registers a function with polymorphic parameters whose Eval depends on the argument
// types.
func defPoly(name string, args []types.T, ret types.T, nullSafe bool, bind func(args []types.T) evalFn) *Overload {
	o := &Overload{Name: name, Args: args, Ret: ret, NullSafe: nullSafe}
	funcs[name] = append(funcs[name], o)
	binders[o] = bind
	return o
}

// bound returns o ready to evaluate arguments of the given (already cast) types.
func bound(o *Overload, casts []types.T) *Overload {
	bind, ok := binders[o]
	if !ok {
		return o
	}
	c := *o
	c.Args = casts
	c.Variadic = false
	c.Eval = bind(casts)
	return &c
}

// defPolyBin is defPoly for a binary operator.
func defPolyBin(op string, l, r, ret types.T, bind func(args []types.T) evalFn) *Overload {
	o := &Overload{Name: op, Args: ts(l, r), Ret: ret}
	binOps[op] = append(binOps[op], o)
	binders[o] = bind
	return o
}
