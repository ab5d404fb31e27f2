package planner

import (
	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/executor/systables"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
	"github.com/eddydb/eddy/storage"
)

// builder plans one statement.
type builder struct {
	env *Env
	// params holds the type of each $n: declared by the client, or inferred from the first
	// context that fixes it. refs lists the ParamRefs to patch once the type is final.
	params   []types.T
	declared []bool
	refs     [][]*executor.ParamRef
	// ctes is a stack of WITH scopes, innermost last.
	ctes []map[string]*cteDef
	// nextWorkID numbers the working tables of WITH RECURSIVE.
	nextWorkID int
	// asOf records the scans of tables named FOR SYSTEM_TIME AS OF (see Plan.asOf).
	asOf map[*executor.Scan]sql.Expr
}

// cteDef is a planned WITH query.
type cteDef struct {
	r *rel
	// used records a reference (to tell a recursive CTE from one that only says RECURSIVE).
	used bool
}

func newBuilder(env *Env, paramTypes []types.T) *builder {
	b := &builder{env: env}
	for i, t := range paramTypes {
		b.growParams(i + 1)
		if t.Family != types.Unknown {
			b.params[i] = t
			b.declared[i] = true
		}
	}
	return b
}

func (b *builder) growParams(n int) {
	for len(b.params) < n {
		b.params = append(b.params, types.UnknownT)
		b.declared = append(b.declared, false)
		b.refs = append(b.refs, nil)
	}
}

// param returns a reference to $n; its type is Unknown until context fixes it.
func (b *builder) param(p *sql.Param) (executor.Expr, error) {
	if p.N < 1 {
		return nil, pgerror.Newf(pgerror.UndefinedParameter, "there is no parameter $%d", p.N).WithPosition(p.Pos)
	}
	b.growParams(p.N)
	ref := &executor.ParamRef{N: p.N, T: b.params[p.N-1]}
	b.refs[p.N-1] = append(b.refs[p.N-1], ref)
	return ref, nil
}

// setParamType fixes the type of an untyped parameter.
func (b *builder) setParamType(n int, t types.T) {
	if b.params[n-1].Family != types.Unknown {
		return
	}
	b.params[n-1] = t
	for _, r := range b.refs[n-1] {
		r.T = t
	}
}

// finishParams gives parameters no context typed the type text, and returns the final types.
func (b *builder) finishParams() ([]types.T, error) {
	for i := range b.params {
		if b.params[i].Family == types.Unknown {
			b.setParamType(i+1, types.TextT)
		}
	}
	return b.params, nil
}

// table resolves a table name through the search path (pg_catalog first for system tables).
// It returns either a stored table or a virtual one.
func (b *builder) table(name sql.ObjName) (*storage.TableDesc, *systables.Table, error) {
	cat := b.env.Catalog
	if name.Schema != "" {
		if vt := systables.Lookup(name.Schema, name.Name); vt != nil {
			return nil, vt, nil
		}
		s := cat.Schema(name.Schema)
		if s == nil {
			return nil, nil, undefinedTable(name)
		}
		if t := cat.Table(s.ID, name.Name); t != nil {
			return t, nil, nil
		}
		return nil, nil, undefinedTable(name)
	}
	if vt := systables.Lookup("pg_catalog", name.Name); vt != nil {
		return nil, vt, nil
	}
	for _, sn := range b.searchPath() {
		if s := cat.Schema(sn); s != nil {
			if t := cat.Table(s.ID, name.Name); t != nil {
				return t, nil, nil
			}
		}
		if vt := systables.Lookup(sn, name.Name); vt != nil {
			return nil, vt, nil
		}
	}
	return nil, nil, undefinedTable(name)
}

func (b *builder) searchPath() []string {
	if len(b.env.SearchPath) == 0 {
		return []string{storage.DefaultSchemaName}
	}
	return b.env.SearchPath
}

func undefinedTable(name sql.ObjName) error {
	n := name.Name
	if name.Schema != "" {
		n = name.Schema + "." + name.Name
	}
	return pgerror.Newf(pgerror.UndefinedTable, "relation \"%s\" does not exist", n).WithPosition(name.Pos)
}

// storedTable resolves a name that must be a stored table (DML and DDL targets).
func (b *builder) storedTable(name sql.ObjName) (*storage.TableDesc, error) {
	t, vt, err := b.table(name)
	if err != nil {
		return nil, err
	}
	if vt != nil {
		return nil, pgerror.Newf(pgerror.InsufficientPrivilege, "permission denied: \"%s\" is a system catalog", vt.Name)
	}
	return t, nil
}

// writableTable resolves the target of INSERT, UPDATE, DELETE or COPY FROM: a table (also one
// fed by a connector); views and sources are maintained by eddy, not written by users.
func (b *builder) writableTable(name sql.ObjName, verb string) (*storage.TableDesc, error) {
	t, err := b.storedTable(name)
	if err != nil {
		return nil, err
	}
	if t.Kind != storage.KindTable {
		return nil, pgerror.Newf(pgerror.WrongObjectType, "cannot %s %s \"%s\"", verb, t.Kind, t.Name).WithPosition(name.Pos)
	}
	return t, nil
}

func (b *builder) lookupCTE(name string) *cteDef {
	for i := len(b.ctes) - 1; i >= 0; i-- {
		if d, ok := b.ctes[i][name]; ok {
			d.used = true
			return d
		}
	}
	return nil
}
