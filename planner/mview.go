package planner

import (
	"fmt"
	"slices"
	"strings"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/executor/stream"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
	"github.com/eddydb/eddy/storage"
)

// viewSettings are the session settings that change how a view's query evaluates; CREATE
// captures them so every replica, and every later restart, computes with the same ones.
var viewSettings = []string{"datestyle", "intervalstyle", "timezone"}

// createView plans CREATE MATERIALIZED VIEW: the query becomes a dataflow whose encoded graph,
// with the query's text and the relations it reads, travels in the CREATE command.
func (b *builder) createView(s *sql.CreateViewStmt) (*Plan, error) {
	t, sp, noop, err := b.viewDesc(s)
	if err != nil || noop != nil {
		return noop, err
	}
	old := b.replaced(s)
	if old == nil {
		return ddlPlan("CREATE MATERIALIZED VIEW", &DDLPlan{Kind: CreateTable, Table: t, IfNotExists: s.IfNotExists}), nil
	}
	t.ID = old.ID
	reuse := false
	if s.FromSavepoint == "" {
		// Number the new operators so that the kept ones read their state where it is and no
		// other one meets a dropped operator's state.
		p := &stream.ReusePlan{}
		if b.env.StartView != nil {
			vs, err := b.env.StartView(t, sp.Graph, old, "", sp.Explain)
			if err != nil {
				return nil, err
			}
			p, reuse = vs.Plan, vs.Reuse
		}
		og, err := stream.DecodeGraph(old.View.Plan)
		if err != nil {
			return nil, pgerror.Wrap(err, pgerror.Internal, err.Error())
		}
		stream.Renumber(sp.Graph, p, old.ID, og)
		if t.View.Plan, err = stream.EncodeGraph(sp.Graph); err != nil {
			return nil, pgerror.Wrap(err, pgerror.Internal, err.Error())
		}
	}
	return ddlPlan("CREATE MATERIALIZED VIEW", &DDLPlan{Kind: ReplaceView, Table: t, Reuse: reuse}), nil
}

// replaced returns the view CREATE OR REPLACE replaces (nil: it creates one). viewDesc has
// checked the name is a materialized view's.
func (b *builder) replaced(s *sql.CreateViewStmt) *storage.TableDesc {
	if !s.OrReplace {
		return nil
	}
	sch, err := b.creationSchema(s.Name)
	if err != nil {
		return nil
	}
	return b.env.Catalog.Table(sch.ID, s.Name.Name)
}

// explainCreateView prints the dataflow CREATE MATERIALIZED VIEW would run, one operator a line.
func (b *builder) explainCreateView(s *sql.CreateViewStmt) (*Plan, error) {
	if !s.Materialized {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "EXPLAIN CREATE VIEW is not supported; EXPLAIN the query instead")
	}
	var lines []string
	if s.OrReplace || s.FromSavepoint != "" {
		t, sp, noop, err := b.viewDesc(s)
		if err != nil {
			return nil, err
		}
		if noop != nil {
			return nil, pgerror.New(pgerror.Internal, "EXPLAIN of a statement that does nothing")
		}
		if b.env.StartView == nil {
			return nil, pgerror.New(pgerror.FeatureNotSupported, "EXPLAIN CREATE OR REPLACE is not available here")
		}
		vs, err := b.env.StartView(t, sp.Graph, b.replaced(s), s.FromSavepoint, sp.Explain)
		if err != nil {
			return nil, err
		}
		lines = vs.Explain
	} else {
		sp, err := b.streamPlan(s)
		if err != nil {
			return nil, err
		}
		lines = slices.Clone(sp.Explain)
		slices.Reverse(lines) // the output operator first, as EXPLAIN prints plans top down
	}
	return &Plan{Kind: Explain, Columns: []Column{{Name: "QUERY PLAN", Type: types.TextT}}, Explain: lines, Tag: "EXPLAIN"}, nil
}

func (b *builder) streamPlan(s *sql.CreateViewStmt) (*StreamPlan, error) {
	env := *b.env
	env.AllowSources = true
	sp, err := BuildStreamWith(s.Query, &env, StreamOptions{EmitOnWindowClose: s.EmitOnWindowClose})
	if err != nil {
		return nil, err
	}
	if len(s.Columns) > len(sp.Columns) {
		return nil, pgerror.New(pgerror.SyntaxError, "too many column names were specified")
	}
	for i, n := range s.Columns {
		sp.Columns[i].Name = n
	}
	return sp, nil
}

// viewDesc builds the descriptor of a new materialized view (IDs left to the FSM). noop is set
// when IF NOT EXISTS finds the name taken.
func (b *builder) viewDesc(s *sql.CreateViewStmt) (*storage.TableDesc, *StreamPlan, *Plan, error) {
	if !s.Materialized {
		return nil, nil, nil, pgerror.New(pgerror.FeatureNotSupported, "CREATE VIEW is not supported yet; use CREATE MATERIALIZED VIEW")
	}
	if s.FromSavepoint != "" {
		if b.env.SavepointCatalog == nil {
			return nil, nil, nil, pgerror.New(pgerror.FeatureNotSupported, "savepoints cannot be read here")
		}
		if _, err := b.env.SavepointCatalog(s.FromSavepoint); err != nil {
			return nil, nil, nil, err
		}
	}
	if len(s.With) > 0 {
		return nil, nil, nil, pgerror.Newf(pgerror.FeatureNotSupported, "materialized view option \"%s\" is not supported", s.With[0].Key)
	}
	sch, err := b.creationSchema(s.Name)
	if err != nil {
		return nil, nil, nil, err
	}
	old := b.env.Catalog.Table(sch.ID, s.Name.Name)
	if old != nil && s.OrReplace {
		if err := wrongKind(old, storage.KindMaterializedView, s.Name); err != nil {
			return nil, nil, nil, err
		}
		if old.Paused {
			return nil, nil, nil, pgerror.Newf(pgerror.ObjectNotInPrerequisiteState, "materialized view \"%s\" is paused", old.Name).
				WithHint("ALTER MATERIALIZED VIEW ... RESUME it first.")
		}
	} else if old != nil {
		if s.IfNotExists {
			return nil, nil, ddlPlan("CREATE MATERIALIZED VIEW", &DDLPlan{Kind: CreateTable, NoOp: true, IfNotExists: true,
				Notices: []string{"relation \"" + s.Name.Name + "\" already exists, skipping"}}), nil
		}
		return nil, nil, nil, pgerror.Newf(pgerror.DuplicateTable, "relation \"%s\" already exists", s.Name.Name)
	}
	sp, err := b.streamPlan(s)
	if err != nil {
		return nil, nil, nil, err
	}
	plan, err := stream.EncodeGraph(sp.Graph)
	if err != nil {
		return nil, nil, nil, pgerror.Wrap(err, pgerror.Internal, err.Error())
	}
	def := &storage.ViewDef{Query: strings.TrimSpace(s.QueryText), Plan: plan, DependsOn: sp.Sources, FromSavepoint: s.FromSavepoint}
	used := usedColumns(sp.Graph)
	for _, id := range sp.Sources {
		dep := b.env.Catalog.TableByID(id)
		ids := make([]uint32, len(dep.Columns))
		var uses []uint32
		for i, c := range dep.Columns {
			ids[i] = c.ID
			if used[id] == nil || used[id][i] {
				uses = append(uses, c.ID)
			}
		}
		def.Inputs = append(def.Inputs, ids)
		def.Uses = append(def.Uses, uses)
	}
	for _, name := range viewSettings {
		for k, v := range b.env.Settings {
			if strings.EqualFold(k, name) {
				def.Settings = append(def.Settings, [2]string{name, v})
			}
		}
	}
	t := &storage.TableDesc{SchemaID: sch.ID, Name: s.Name.Name, Kind: storage.KindMaterializedView, View: def}
	for _, c := range sp.Columns {
		t.Columns = append(t.Columns, &storage.ColumnDesc{Name: c.Name, Type: c.Type})
	}
	if old != nil && s.OrReplace {
		if deps := b.env.Catalog.Dependents(old.ID); len(deps) > 0 && !storage.SameColumns(old, t) {
			return nil, nil, nil, storage.ReplaceDependentsError(old, deps)
		}
	}
	return t, sp, nil, nil
}

// createConnected plans CREATE SOURCE, and CREATE TABLE ... WITH (connector = ...). The
// connector's options are checked by the server, which knows the connectors.
func (b *builder) createConnected(s *sql.CreateTableStmt) (*Plan, error) {
	tag := "CREATE TABLE"
	kind := storage.KindTable
	if s.Source {
		tag, kind = "CREATE SOURCE", storage.KindSource
		if len(s.PrimaryKey) > 0 || slices.ContainsFunc(s.Columns, func(c *sql.ColumnDef) bool { return c.PrimaryKey }) {
			return nil, pgerror.New(pgerror.FeatureNotSupported, "a source has no primary key; declare a table WITH (connector = ...) instead")
		}
	}
	conn := &storage.ConnectorDef{}
	seen := map[string]bool{}
	for _, o := range s.With {
		k := strings.ToLower(o.Key)
		if seen[k] {
			return nil, pgerror.Newf(pgerror.InvalidParameterValue, "option \"%s\" specified more than once", o.Key)
		}
		seen[k] = true
		if k == "connector" {
			conn.Name = strings.ToLower(strings.TrimSpace(o.Value))
			continue
		}
		conn.Options = append(conn.Options, [2]string{k, o.Value})
	}
	if conn.Name == "" {
		return nil, pgerror.Newf(pgerror.InvalidParameterValue, "%s needs WITH (connector = '...')", strings.ToLower(tag[7:])).
			WithHint("Available connectors: datagen, nexmark.")
	}
	slices.SortFunc(conn.Options, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	plain := *s
	plain.Source, plain.With, plain.Watermark = false, nil, nil
	p, err := b.createTable(&plain)
	if err != nil || p.DDL.NoOp {
		if p != nil {
			p.Tag = tag
		}
		return p, err
	}
	t := p.DDL.Table
	t.Kind, t.Connector = kind, conn
	if s.Watermark != nil {
		if t.Watermark, err = b.watermark(t, s.Watermark); err != nil {
			return nil, err
		}
	}
	for _, c := range t.Columns {
		if c.Default != "" {
			return nil, pgerror.Newf(pgerror.FeatureNotSupported, "column \"%s\": defaults are not supported on connector-fed relations", c.Name)
		}
	}
	p.Tag = tag
	return p, nil
}

// wrongKind is PostgreSQL's error for a statement aimed at the wrong kind of relation.
func wrongKind(t *storage.TableDesc, want storage.RelKind, n sql.ObjName) error {
	if t.Kind == want {
		return nil
	}
	return pgerror.Newf(pgerror.WrongObjectType, "\"%s\" is not a %s", t.Name, want)
}

// wrongKindDrop is wrongKind for DROP, which hints at the right DROP statement.
func wrongKindDrop(t *storage.TableDesc, want storage.RelKind, n sql.ObjName) error {
	err := wrongKind(t, want, n)
	if err == nil {
		return nil
	}
	drop := map[storage.RelKind]string{storage.KindTable: "DROP TABLE", storage.KindMaterializedView: "DROP MATERIALIZED VIEW",
		storage.KindSource: "DROP SOURCE"}[t.Kind]
	return pgerror.Newf(pgerror.WrongObjectType, "\"%s\" is not a %s", t.Name, want).
		WithHint(fmt.Sprintf("Use %s to remove a %s.", drop, t.Kind))
}

// dropRelation plans DROP MATERIALIZED VIEW and DROP SOURCE.
func (b *builder) dropRelation(s *sql.DropStmt) (*Plan, error) {
	want, tag := storage.KindMaterializedView, "DROP MATERIALIZED VIEW"
	if s.Kind == sql.SourceObject {
		want, tag = storage.KindSource, "DROP SOURCE"
	}
	d := &DDLPlan{Kind: DropTable, Cascade: s.Cascade}
	for _, n := range s.Names {
		t, vt, err := b.table(n)
		if vt != nil {
			return nil, pgerror.Newf(pgerror.WrongObjectType, "\"%s\" is not a %s", n.Name, want)
		}
		if err != nil {
			if pgerror.GetCode(err) != pgerror.UndefinedTable && pgerror.GetCode(err) != pgerror.InvalidSchemaName {
				return nil, err
			}
			if s.IfExists {
				d.Notices = append(d.Notices, fmt.Sprintf("%s \"%s\" does not exist, skipping", want, n.Name))
				continue
			}
			return nil, pgerror.Newf(pgerror.UndefinedTable, "%s \"%s\" does not exist", want, n.Name)
		}
		if err := wrongKindDrop(t, want, n); err != nil {
			return nil, err
		}
		d.IDs = append(d.IDs, t.ID)
		d.Notices = append(d.Notices, b.cascadeNotices(t, s.Cascade)...)
	}
	d.NoOp = len(d.IDs) == 0
	return ddlPlan(tag, d), nil
}

// cascadeNotices are PostgreSQL's notices for the dependents a DROP ... CASCADE takes along.
func (b *builder) cascadeNotices(t *storage.TableDesc, cascade bool) []string {
	if !cascade {
		return nil
	}
	var deps []*storage.TableDesc
	seen := map[uint32]bool{}
	var walk func(id uint32)
	walk = func(id uint32) {
		for _, d := range b.env.Catalog.Dependents(id) {
			if !seen[d.ID] {
				seen[d.ID] = true
				deps = append(deps, d)
				walk(d.ID)
			}
		}
	}
	walk(t.ID)
	switch len(deps) {
	case 0:
		return nil
	case 1:
		return []string{fmt.Sprintf("drop cascades to %s %s", deps[0].Kind, deps[0].Name)}
	}
	lines := make([]string, len(deps))
	for i, d := range deps {
		lines[i] = fmt.Sprintf("drop cascades to %s %s", d.Kind, d.Name)
	}
	// The server splits a notice at NUL into message and detail.
	return []string{fmt.Sprintf("drop cascades to %d other objects\x00%s", len(deps), strings.Join(lines, "\n"))}
}

// watermark checks WATERMARK FOR col AS expr: col is a timestamp column and expr is col, or col
// minus a constant interval without months (the delay).
func (b *builder) watermark(t *storage.TableDesc, w *sql.Watermark) (*storage.WatermarkDef, error) {
	ord := t.Column(w.Column)
	if ord < 0 {
		return nil, pgerror.Newf(pgerror.UndefinedColumn, "column \"%s\" named in WATERMARK does not exist", w.Column)
	}
	if f := t.Columns[ord].Type.Family; f != types.Timestamp && f != types.TimestampTZ {
		return nil, pgerror.Newf(pgerror.DatatypeMismatch, "WATERMARK column \"%s\" must be a timestamp, not %s", w.Column, t.Columns[ord].Type)
	}
	x, err := b.expr(w.Expr, &ectx{s: &scope{cols: tableCols(t, t.Name, 0)}, clause: "WATERMARK"})
	if err != nil {
		return nil, err
	}
	def := &storage.WatermarkDef{Column: uint32(ord + 1), Expr: sql.FormatExpr(w.Expr)}
	bad := pgerror.Newf(pgerror.FeatureNotSupported, "WATERMARK FOR %s must be %s or %s - INTERVAL '...'", w.Column, w.Column, w.Column)
	isCol := func(e executor.Expr) bool {
		c, ok := e.(*executor.ColRef)
		return ok && c.Idx == ord
	}
	switch e := x.(type) {
	case *executor.ColRef:
		if !isCol(e) {
			return nil, bad
		}
	case *executor.BinOp:
		c, ok := e.R.(*executor.Const)
		if !ok {
			return nil, bad
		}
		iv, isIv := c.Value.(types.IntervalValue)
		if e.Op != "-" || !isCol(e.L) || !isIv || iv.Months != 0 {
			return nil, bad
		}
		def.Delay = int64(iv.Days)*86_400_000_000 + iv.Micros
		if def.Delay < 0 {
			return nil, pgerror.New(pgerror.InvalidParameterValue, "a WATERMARK delay must not be negative")
		}
	default:
		return nil, bad
	}
	return def, nil
}

// usedColumns finds, per source relation of g, which of its columns the dataflow reads: the
// planner puts a projection to the scanned columns right above each source, so a source whose
// consumers are all plain column projections reads just those; nil means every column.
func usedColumns(g *stream.Graph) map[uint32][]bool {
	out := map[uint32][]bool{}
	for _, n := range g.Nodes {
		src, ok := n.Spec.(*stream.SourceSpec)
		if !ok {
			continue
		}
		used := make([]bool, len(src.Types))
		all := false
		for _, m := range g.Nodes {
			if !slices.Contains(m.Inputs, n.ID) {
				continue
			}
			p, ok := m.Spec.(*stream.ProjectSpec)
			if !ok {
				all = true
				break
			}
			for _, e := range p.Exprs {
				c, ok := e.(*executor.ColRef)
				if !ok || c.Idx >= len(used) {
					all = true
					break
				}
				used[c.Idx] = true
			}
		}
		if prev, seen := out[src.Table]; seen && prev == nil {
			continue
		}
		if all {
			out[src.Table] = nil
			continue
		}
		if prev := out[src.Table]; prev != nil {
			for i := range used {
				used[i] = used[i] || prev[i]
			}
		}
		out[src.Table] = used
	}
	return out
}
