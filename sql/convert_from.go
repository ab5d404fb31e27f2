package sql

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

var sprintf = fmt.Sprintf

// fromList converts a FROM clause. TiDB nests comma-separated items as cross joins; those
// without a CROSS JOIN marker become separate list entries.
func (b *bridge) fromList(j *ast.Join) ([]TableExpr, error) {
	if j == nil {
		return nil, nil
	}
	if j.Right != nil && j.Tp == ast.CrossJoin && j.On == nil && j.Using == nil && !j.NaturalJoin &&
		!j.ExplicitParens && !b.joinMarked(j.Right) {
		left, err := b.fromListNode(j.Left)
		if err != nil {
			return nil, err
		}
		right, err := b.tableExpr(j.Right)
		if err != nil {
			return nil, err
		}
		return append(left, right), nil
	}
	t, err := b.tableExpr(j)
	if err != nil {
		return nil, err
	}
	return []TableExpr{t}, nil
}

func (b *bridge) fromListNode(n ast.ResultSetNode) ([]TableExpr, error) {
	if j, ok := n.(*ast.Join); ok {
		return b.fromList(j)
	}
	t, err := b.tableExpr(n)
	if err != nil {
		return nil, err
	}
	return []TableExpr{t}, nil
}

// aliasOf returns the alias marker payload of a table source, if it has one.
func (b *bridge) aliasOf(n ast.ResultSetNode) *aliasInfo {
	ts, ok := n.(*ast.TableSource)
	if !ok || !strings.HasPrefix(ts.AsName.O, "eddy_x_alias_") {
		return nil
	}
	i, err := strconv.Atoi(strings.TrimPrefix(ts.AsName.O, "eddy_x_alias_"))
	if err != nil || i < 0 || i >= len(b.alias) {
		return nil
	}
	return b.alias[i]
}

// joinMarked reports whether FROM item n followed a JOIN keyword rather than a comma.
func (b *bridge) joinMarked(n ast.ResultSetNode) bool {
	a := b.aliasOf(n)
	return a != nil && (a.joinSet || a.joined)
}

// tableExpr converts one FROM item.
func (b *bridge) tableExpr(n ast.ResultSetNode) (TableExpr, error) {
	switch x := n.(type) {
	case *ast.Join:
		if x.Right == nil {
			return b.tableExpr(x.Left)
		}
		l, err := b.tableExpr(x.Left)
		if err != nil {
			return nil, err
		}
		r, err := b.tableExpr(x.Right)
		if err != nil {
			return nil, err
		}
		j := &Join{Left: l, Right: r, Natural: x.NaturalJoin}
		switch x.Tp {
		case ast.LeftJoin:
			j.Kind = LeftJoin
		case ast.RightJoin:
			j.Kind = RightJoin
		default:
			j.Kind = InnerJoin
			if x.On == nil && x.Using == nil && !x.NaturalJoin {
				j.Kind = CrossJoin
			}
		}
		a := b.aliasOf(x.Right)
		if a != nil && a.joinSet {
			j.Kind = a.join
		}
		if j.Kind == CrossJoin && a != nil && !a.joinSet && x.On == nil && x.Using == nil && !x.NaturalJoin {
			// JOIN without ON or USING: PostgreSQL reports the token after the right operand.
			return nil, b.syntaxErr(b.end)
		}
		if x.On != nil && isMarker(x.On.Expr, "eddy_x_cross") { // see tableItem
			j.Kind = CrossJoin
		} else if x.On != nil {
			if j.On, err = b.expr(x.On.Expr); err != nil {
				return nil, err
			}
		}
		for _, c := range x.Using {
			j.Using = append(j.Using, c.Name.O)
		}
		if j.Kind == InnerJoin && j.On == nil && j.Using == nil && !j.Natural {
			return nil, b.syntaxErr(b.end)
		}
		return j, nil
	case *ast.TableSource:
		var alias *Alias
		var pos int32
		var asOf Expr
		var asOfSavepoint string
		if a := b.aliasOf(x); a != nil {
			alias, pos, asOf, asOfSavepoint = a.alias, a.pos, a.asOf, a.asOfSavepoint
		} else if x.AsName.O != "" {
			alias = &Alias{Name: x.AsName.O}
		}
		switch src := x.Source.(type) {
		case *ast.TableName:
			return &TableRef{Name: ObjName{Schema: src.Schema.O, Name: src.Name.O, Pos: pos}, Alias: alias, AsOf: asOf,
				AsOfSavepoint: asOfSavepoint}, nil
		case *ast.SelectStmt:
			if src.Fields != nil && len(src.Fields.Fields) == 1 && isMarker(src.Fields.Fields[0].Expr, "eddy_x_tf") {
				call := src.Fields.Fields[0].Expr.(*ast.FuncCallExpr)
				if len(call.Args) != 1 {
					return nil, b.internalf("bad table function")
				}
				fe, err := b.expr(call.Args[0])
				if err != nil {
					return nil, err
				}
				fc, ok := fe.(*FuncCall)
				if !ok {
					return nil, b.internalf("bad table function")
				}
				return &TableFunc{Func: fc, Alias: alias}, nil
			}
			q, err := b.selectQuery(src)
			if err != nil {
				return nil, err
			}
			return &DerivedTable{Query: q, Alias: alias, Lateral: x.Lateral}, nil
		case *ast.SetOprStmt:
			q, err := b.setOprQuery(src)
			if err != nil {
				return nil, err
			}
			return &DerivedTable{Query: q, Alias: alias, Lateral: x.Lateral}, nil
		case *ast.Join:
			if alias != nil {
				return nil, b.unsupported(b.end, "an alias on a parenthesized join")
			}
			return b.tableExpr(src)
		}
		return nil, b.internalf("unexpected FROM item %T", x.Source)
	case *ast.TableName:
		return &TableRef{Name: ObjName{Schema: x.Schema.O, Name: x.Name.O}}, nil
	}
	return nil, b.internalf("unexpected FROM item %T", n)
}
