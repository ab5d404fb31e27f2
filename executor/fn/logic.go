package fn

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Three-valued logic over boolean columns. Each returns a new array owned by the caller,
// allocated from Go memory.

// And is SQL AND: false if either side is false, else NULL if either is NULL, else true.
func And(a, b *array.Boolean) *array.Boolean {
	n := a.Len()
	out := make([]bool, n)
	var valid []bool
	if a.NullN() > 0 || b.NullN() > 0 {
		valid = make([]bool, n)
	}
	for i := range out {
		an, bn := a.IsNull(i), b.IsNull(i)
		av, bv := !an && a.Value(i), !bn && b.Value(i)
		if (!an && !av) || (!bn && !bv) {
			if valid != nil {
				valid[i] = true
			}
			continue
		}
		if an || bn {
			continue
		}
		out[i] = true
		if valid != nil {
			valid[i] = true
		}
	}
	return makeBools(out, valid).(*array.Boolean)
}

// Or is SQL OR: true if either side is true, else NULL if either is NULL, else false.
func Or(a, b *array.Boolean) *array.Boolean {
	n := a.Len()
	out := make([]bool, n)
	var valid []bool
	if a.NullN() > 0 || b.NullN() > 0 {
		valid = make([]bool, n)
	}
	for i := range out {
		an, bn := a.IsNull(i), b.IsNull(i)
		av, bv := !an && a.Value(i), !bn && b.Value(i)
		if av || bv {
			out[i] = true
			if valid != nil {
				valid[i] = true
			}
			continue
		}
		if valid != nil && !an && !bn {
			valid[i] = true
		}
	}
	return makeBools(out, valid).(*array.Boolean)
}

// Not is SQL NOT: NULL stays NULL.
func Not(a *array.Boolean) *array.Boolean {
	n := a.Len()
	out := make([]bool, n)
	for i := range out {
		out[i] = !a.Value(i)
	}
	return makeBools(out, validity([]arrow.Array{a}, n)).(*array.Boolean)
}

// IsNull is x IS NULL for a column of any type; never NULL. IS NOT NULL is Not of it.
func IsNull(a arrow.Array) *array.Boolean {
	out := make([]bool, a.Len())
	if a.NullN() > 0 {
		for i := range out {
			out[i] = a.IsNull(i)
		}
	}
	return makeBools(out, nil).(*array.Boolean)
}

// IsTrue is x IS TRUE (want true) or x IS FALSE (want false); never NULL. IS NOT TRUE and IS
// NOT FALSE are Not of it, and IS UNKNOWN is IsNull.
func IsTrue(a *array.Boolean, want bool) *array.Boolean {
	out := make([]bool, a.Len())
	for i := range out {
		out[i] = !a.IsNull(i) && a.Value(i) == want
	}
	return makeBools(out, nil).(*array.Boolean)
}
