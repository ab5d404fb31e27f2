package executor

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/eddydb/eddy/executor/fn"
	"github.com/eddydb/eddy/sql/types"
)

// fnContext returns the function context with this execution's allocator.
func (ec *ExecContext) fnContext() *fn.Context {
	if ec.fnCtx == nil {
		c := fn.Context{}
		if ec.Fn != nil {
			c = *ec.Fn
		}
		c.Mem = ec.Mem
		ec.catalogHooks(&c) // builtins_catalog.go
		ec.fnCtx = &c
	}
	return ec.fnCtx
}

// overload finds the executor/fn overload implementing e, whose operands the planner already
// cast to the overload's parameter types. nil means fn has none and the built-in fallback runs.
func (ec *ExecContext) overload(e Expr) *fn.Overload {
	if ov, ok := ec.ovCache[e]; ok {
		return ov
	}
	var ov *fn.Overload
	var casts []types.T
	var err error
	var args []types.T
	switch x := e.(type) {
	case *BinOp:
		args = []types.T{x.L.Type(), x.R.Type()}
		ov, casts, err = fn.ResolveOperator(x.Op, args[0], args[1])
	case *UnOp:
		args = []types.T{x.X.Type()}
		ov, casts, err = fn.ResolveUnary(x.Op, args[0])
	case *Func:
		for _, a := range x.Args {
			args = append(args, a.Type())
		}
		ov, casts, err = fn.Resolve(x.Name, args)
	}
	if err != nil || ov == nil || ov.Eval == nil || ov.Ret.Family != e.Type().Family {
		ov = nil
	} else {
		for i := range casts {
			if casts[i].Family != args[i].Family {
				ov = nil
				break
			}
		}
	}
	if ec.ovCache == nil {
		ec.ovCache = map[Expr]*fn.Overload{}
	}
	ec.ovCache[e] = ov
	return ov
}

// callOverload evaluates ov over argument columns of n rows.
func (ec *ExecContext) callOverload(ov *fn.Overload, args []arrow.Array, n int) (arrow.Array, error) {
	return ov.Eval(ec.fnContext(), args, n)
}
