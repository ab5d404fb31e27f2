package planner

import (
	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql/types"
)

// keyAccess gives a table scan filtered by quals a primary-key access path when the conditions
// pin the key: equalities on the leading key columns (a point lookup when they cover the key),
// then optionally a range (<, <=, >, >=, BETWEEN) on the next key column. The values must read
// no column of the scanned row: constants, parameters, outer references of a correlated
// subquery, or expressions over those. The conditions stay in the Filter above, so the span
// only has to contain the matching rows. Other nodes, and scans no condition narrows, are left
// as they are.
func (b *builder) keyAccess(in executor.Node, quals []executor.Expr) {
	s, ok := in.(*executor.Scan)
	if !ok || s.Key != nil || b.env == nil || b.env.Catalog == nil {
		return
	}
	t := b.env.Catalog.TableByID(s.TableID)
	if t == nil {
		return
	}
	// bounds[ordinal] collects the usable conditions on each scanned table column.
	type bound struct {
		op string
		v  executor.Expr
	}
	bounds := map[int][]bound{}
	for _, q := range quals {
		bo, ok := q.(*executor.BinOp)
		if !ok {
			continue
		}
		op := bo.Op
		col, v := keyColumn(bo.L), bo.R
		if col == nil {
			col, v, op = keyColumn(bo.R), bo.L, flipCmp(op)
		}
		if col == nil || op == "" || col.Idx >= len(s.Cols) || !keyValue(v) {
			continue
		}
		ord := s.Cols[col.Idx]
		if !keyTypesMatch(t.Columns[ord].Type, v.Type()) {
			continue
		}
		bounds[ord] = append(bounds[ord], bound{op, v})
	}
	span := &executor.KeySpan{}
	for _, ord := range t.PrimaryKey {
		var eq executor.Expr
		for _, bd := range bounds[ord] {
			if bd.op == "=" {
				eq = bd.v
				break
			}
		}
		if eq != nil {
			span.Eq = append(span.Eq, eq)
			continue
		}
		for _, bd := range bounds[ord] {
			switch bd.op {
			case ">", ">=":
				if span.Lo == nil {
					span.Lo, span.LoInc = bd.v, bd.op == ">="
				}
			case "<", "<=":
				if span.Hi == nil {
					span.Hi, span.HiInc = bd.v, bd.op == "<="
				}
			}
		}
		break
	}
	if len(span.Eq) > 0 || span.Lo != nil || span.Hi != nil {
		for _, ord := range t.PrimaryKey[:min(len(t.PrimaryKey), len(span.Eq)+1)] {
			span.Names = append(span.Names, t.Columns[ord].Name)
		}
		s.Key = span
	}
}

// keyColumn returns the column e reads when e is a column reference, possibly widened to a
// larger integer type (which keeps its order).
func keyColumn(e executor.Expr) *executor.ColRef {
	if c, ok := e.(*executor.Cast); ok && c.X.Type().IsInteger() && c.T.IsInteger() &&
		intWidth(c.X.Type()) <= intWidth(c.T) {
		e = c.X
	}
	col, _ := e.(*executor.ColRef)
	return col
}

func intWidth(t types.T) int {
	switch t.Family {
	case types.Int2:
		return 2
	case types.Int4:
		return 4
	}
	return 8
}

// flipCmp returns the comparison with its operands swapped ("" if op is not a comparison
// a key span can use).
func flipCmp(op string) string {
	switch op {
	case "=":
		return "="
	case "<":
		return ">"
	case "<=":
		return ">="
	case ">":
		return "<"
	case ">=":
		return "<="
	}
	return ""
}

// keyValue reports whether e can be computed once before the scan: it reads no column and
// holds no subquery or volatile function.
func keyValue(e executor.Expr) bool {
	switch x := e.(type) {
	case nil:
		return true
	case *executor.ColRef, *executor.Subquery:
		return false
	case *executor.ParamRef:
		return x.T.Family != types.Unknown
	case *executor.Func:
		switch x.Name {
		case "random", "nextval", "setval", "unique_rowid", "clock_timestamp", "timeofday", "gen_random_uuid":
			return false
		}
	}
	for _, c := range exprChildren(e) {
		if !keyValue(c) {
			return false
		}
	}
	return true
}

// keyTypesMatch reports whether values of type v compare with key column type k as the key
// encoding orders k's values: the same type family, any two integer types, or text and
// varchar. bpchar (blank-padded comparison) and floats are left to the filter.
func keyTypesMatch(k, v types.T) bool {
	str := func(f types.Family) bool { return f == types.Text || f == types.Varchar }
	switch {
	case k.Family == types.Char || k.Family == types.Float4 || k.Family == types.Float8:
		return false
	case k.IsInteger() && v.IsInteger(), str(k.Family) && str(v.Family):
		return true
	}
	return k.Family == v.Family
}
