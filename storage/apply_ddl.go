package storage

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cockroachdb/pebble"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// applyDDL validates d against cat and returns the new catalog, staging row deletions into
// batch. The returned catalog shares unchanged descriptors with cat; changed ones are copies.
func applyDDL(batch *pebble.Batch, cat *Catalog, d *DDL, res *ApplyResult) (*Catalog, error) {
	if d.ExpectCatalogVersion != cat.Version {
		return nil, errSerialization("catalog changed concurrently")
	}
	nc := &Catalog{
		Version:  cat.Version + 1,
		Schemas:  slices.Clone(cat.Schemas),
		Tables:   slices.Clone(cat.Tables),
		NextID:   cat.NextID,
		Settings: cat.Settings,
	}
	var err error
	switch {
	case d.CreateSchema != nil:
		err = createSchema(nc, d.CreateSchema, res)
	case d.DropSchema != nil:
		err = dropSchema(batch, nc, d.DropSchema)
	case d.CreateTable != nil:
		err = createTable(nc, d.CreateTable, res)
	case d.DropTable != nil:
		err = dropRelation(batch, nc, d.DropTable.ID, d.DropTable.Cascade)
	case d.AlterTable != nil:
		err = alterTable(nc, d.AlterTable.Desc)
	case d.TruncateTable != nil:
		t := nc.TableByID(d.TruncateTable.ID)
		if t == nil {
			return nil, pgerror.Newf(pgerror.UndefinedTable, "relation with OID %d does not exist", d.TruncateTable.ID)
		}
		err = deleteRows(batch, t.ID)
	case d.SetSystem != nil:
		nc.Settings = setSystem(cat.Settings, d.SetSystem)
	case d.SetPaused != nil:
		err = setPaused(nc, d.SetPaused)
	case d.ReplaceView != nil:
		err = replaceView(nc, d.ReplaceView.Desc, res)
	default:
		err = pgerror.New(pgerror.Internal, "empty DDL command")
	}
	if err != nil {
		return nil, err
	}
	return nc, nil
}

// setSystem returns settings with ss applied, still sorted by name (a new slice: catalogs are
// shared by readers).
func setSystem(settings []SystemSetting, ss *SetSystem) []SystemSetting {
	out := make([]SystemSetting, 0, len(settings)+1)
	for _, s := range settings {
		if s.Name != ss.Name {
			out = append(out, s)
		}
	}
	if !ss.Reset {
		out = append(out, SystemSetting{Name: ss.Name, Value: ss.Value})
		slices.SortFunc(out, func(a, b SystemSetting) int { return strings.Compare(a.Name, b.Name) })
	}
	return out
}

func createSchema(nc *Catalog, cs *CreateSchema, res *ApplyResult) error {
	if s := nc.Schema(cs.Name); s != nil {
		if cs.IfNotExists {
			res.ID = s.ID
			return nil
		}
		return pgerror.Newf(pgerror.DuplicateSchema, "schema %q already exists", cs.Name)
	}
	id := nc.NextID
	nc.NextID++
	nc.Schemas = append(nc.Schemas, &SchemaDesc{ID: id, Name: cs.Name})
	sortByID(nc)
	res.ID = id
	return nil
}

func dropSchema(batch *pebble.Batch, nc *Catalog, ds *DropSchema) error {
	s := nc.SchemaByID(ds.ID)
	if s == nil {
		return pgerror.Newf(pgerror.InvalidSchemaName, "schema with OID %d does not exist", ds.ID)
	}
	var tables []*TableDesc
	for _, t := range nc.Tables {
		if t.SchemaID == s.ID {
			tables = append(tables, t)
		}
	}
	if len(tables) > 0 && !ds.Cascade {
		return pgerror.Newf(pgerror.DependentObjectsStillExist,
			"cannot drop schema %s because other objects depend on it", s.Name).
			WithDetail(fmt.Sprintf("table %s.%s depends on schema %s", s.Name, tables[0].Name, s.Name)).
			WithHint("Use DROP ... CASCADE to drop the dependent objects too.")
	}
	for _, t := range tables {
		if nc.TableByID(t.ID) == nil {
			continue // went with an earlier one's dependents
		}
		if err := dropRelation(batch, nc, t.ID, true); err != nil {
			return err
		}
	}
	nc.Schemas = slices.DeleteFunc(nc.Schemas, func(x *SchemaDesc) bool { return x.ID == s.ID })
	return nil
}

func createTable(nc *Catalog, ct *CreateTable, res *ApplyResult) error {
	in := ct.Desc
	if in == nil {
		return pgerror.New(pgerror.Internal, "CREATE TABLE without a descriptor")
	}
	schema := nc.SchemaByID(in.SchemaID)
	if schema == nil {
		return pgerror.Newf(pgerror.InvalidSchemaName, "schema with OID %d does not exist", in.SchemaID)
	}
	if old := nc.Table(in.SchemaID, in.Name); old != nil {
		if ct.IfNotExists {
			res.ID = old.ID
			return nil
		}
		return pgerror.Newf(pgerror.DuplicateTable, "relation %q already exists", in.Name)
	}
	t := &TableDesc{ID: nc.NextID, SchemaID: in.SchemaID, Name: in.Name, Version: 1,
		PrimaryKey: slices.Clone(in.PrimaryKey), Kind: in.Kind, View: in.View, Connector: in.Connector,
		Watermark: in.Watermark}
	if err := checkNewRelation(nc, t); err != nil {
		return err
	}
	nc.NextID++
	seen := make(map[string]bool, len(in.Columns))
	for i, c := range in.Columns {
		if seen[c.Name] {
			return pgerror.Newf(pgerror.DuplicateColumn, "column %q specified more than once", c.Name)
		}
		seen[c.Name] = true
		cc := *c
		cc.ID = uint32(i + 1)
		t.Columns = append(t.Columns, &cc)
	}
	for _, ord := range t.PrimaryKey {
		if ord < 0 || ord >= len(t.Columns) {
			return pgerror.Newf(pgerror.Internal, "primary key ordinal %d out of range", ord)
		}
		t.Columns[ord].NotNull = true
	}
	if w := in.Watermark; w != nil {
		// The planner names the column by ordinal + 1 (IDs are assigned here).
		if w.Column == 0 || int(w.Column) > len(t.Columns) || t.Connector == nil || w.Delay < 0 {
			return pgerror.New(pgerror.Internal, "malformed watermark")
		}
		wm := *w
		wm.Column = t.Columns[w.Column-1].ID
		t.Watermark = &wm
	}
	if len(t.PrimaryKey) == 0 && t.Kind == KindTable {
		if seen[RowIDColumnName] {
			return pgerror.Newf(pgerror.DuplicateColumn, "column name %q conflicts with a system column name", RowIDColumnName)
		}
		t.Columns = append(t.Columns, &ColumnDesc{ID: uint32(len(t.Columns) + 1), Name: RowIDColumnName,
			Type: types.Int8T, NotNull: true, Hidden: true})
		t.PrimaryKey = []int{len(t.Columns) - 1}
	}
	t.NextColumnID = uint32(len(t.Columns) + 1)
	nc.Tables = append(nc.Tables, t)
	sortByID(nc)
	res.ID = t.ID
	return nil
}

// checkNewRelation checks what a new relation's kind requires: a view's dependencies exist and
// its inputs name their columns; a source has no key.
func checkNewRelation(nc *Catalog, t *TableDesc) error {
	switch t.Kind {
	case KindTable:
		if t.View != nil {
			return pgerror.New(pgerror.Internal, "a table with a view definition")
		}
	case KindMaterializedView:
		v := t.View
		if v == nil || len(v.Inputs) != len(v.DependsOn) || len(t.PrimaryKey) > 0 {
			return pgerror.New(pgerror.Internal, "malformed materialized view descriptor")
		}
		for i, id := range v.DependsOn {
			dep := nc.TableByID(id)
			if dep == nil {
				return errSerialization(fmt.Sprintf("could not serialize access: relation with OID %d was dropped concurrently", id))
			}
			for _, cid := range v.Inputs[i] {
				if !slices.ContainsFunc(dep.Columns, func(c *ColumnDesc) bool { return c.ID == cid }) {
					return errSerialization(fmt.Sprintf("could not serialize access: relation %q was altered concurrently", dep.Name))
				}
			}
		}
	case KindSource:
		if t.Connector == nil || len(t.PrimaryKey) > 0 {
			return pgerror.New(pgerror.Internal, "malformed source descriptor")
		}
	default:
		return pgerror.Newf(pgerror.Internal, "unknown relation kind %d", t.Kind)
	}
	return nil
}

// dropRelation drops relation id. Relations that depend on it (views over it, transitively)
// make the drop fail unless cascade is set, in which case they go first.
func dropRelation(batch *pebble.Batch, nc *Catalog, id uint32, cascade bool) error {
	t := nc.TableByID(id)
	if t == nil {
		return pgerror.Newf(pgerror.UndefinedTable, "relation with OID %d does not exist", id)
	}
	deps := nc.Dependents(id)
	if len(deps) > 0 && !cascade {
		return pgerror.Newf(pgerror.DependentObjectsStillExist,
			"cannot drop %s %s because other objects depend on it", t.Kind, t.Name).
			WithDetail(dependencyLines(nc, t, "")).
			WithHint("Use DROP ... CASCADE to drop the dependent objects too.")
	}
	for _, d := range deps {
		if nc.TableByID(d.ID) == nil {
			continue
		}
		if err := dropRelation(batch, nc, d.ID, true); err != nil {
			return err
		}
	}
	return dropTable(batch, nc, id)
}

func dropTable(batch *pebble.Batch, nc *Catalog, id uint32) error {
	if nc.TableByID(id) == nil {
		return pgerror.Newf(pgerror.UndefinedTable, "relation with OID %d does not exist", id)
	}
	if err := deleteRows(batch, id); err != nil {
		return err
	}
	nc.Tables = slices.DeleteFunc(nc.Tables, func(x *TableDesc) bool { return x.ID == id })
	return nil
}

func deleteRows(batch *pebble.Batch, id uint32) error {
	start, end := tableKeySpan(id)
	if err := batch.DeleteRange(start, end, nil); err != nil {
		return fmt.Errorf("stage delete range: %w", err)
	}
	if err := batch.Delete(viewFingerprintKey(id), nil); err != nil {
		return fmt.Errorf("stage delete fingerprint: %w", err)
	}
	return nil
}

// alterTable replaces a table descriptor. Columns with ID 0 are new and get IDs from
// NextColumnID; the primary key's columns may not change (that would need a rewrite).
func alterTable(nc *Catalog, in *TableDesc) error {
	old := nc.TableByID(in.ID)
	if old == nil {
		return pgerror.Newf(pgerror.UndefinedTable, "relation with OID %d does not exist", in.ID)
	}
	if in.SchemaID != old.SchemaID && nc.SchemaByID(in.SchemaID) == nil {
		return pgerror.Newf(pgerror.InvalidSchemaName, "schema with OID %d does not exist", in.SchemaID)
	}
	if other := nc.Table(in.SchemaID, in.Name); other != nil && other.ID != in.ID {
		return pgerror.Newf(pgerror.DuplicateTable, "relation %q already exists", in.Name)
	}
	t := &TableDesc{ID: old.ID, SchemaID: in.SchemaID, Name: in.Name, Version: old.Version + 1,
		PrimaryKey: slices.Clone(in.PrimaryKey), NextColumnID: max(old.NextColumnID, in.NextColumnID),
		Kind: old.Kind, View: old.View, Connector: old.Connector, Watermark: old.Watermark, Paused: old.Paused}
	oldByID := make(map[uint32]*ColumnDesc, len(old.Columns))
	for _, c := range old.Columns {
		oldByID[c.ID] = c
	}
	seen := make(map[string]bool, len(in.Columns))
	for _, c := range in.Columns {
		if seen[c.Name] {
			return pgerror.Newf(pgerror.DuplicateColumn, "column %q of relation %q already exists", c.Name, t.Name)
		}
		seen[c.Name] = true
		cc := *c
		switch oc := oldByID[c.ID]; {
		case c.ID == 0:
			cc.ID = t.NextColumnID
			t.NextColumnID++
		case oc == nil && c.ID < old.NextColumnID:
			// A dropped column's ID must never come back: old rows may still hold its values.
			return pgerror.Newf(pgerror.Internal, "column %q reuses a retired column ID %d", c.Name, c.ID)
		case oc == nil:
			t.NextColumnID = max(t.NextColumnID, c.ID+1)
		case oc.Type != c.Type:
			return pgerror.Unimplemented("changing a column's type")
		}
		t.Columns = append(t.Columns, &cc)
	}
	if len(t.PrimaryKey) != len(old.PrimaryKey) {
		return pgerror.Unimplemented("changing a table's primary key")
	}
	for i, ord := range t.PrimaryKey {
		if ord < 0 || ord >= len(t.Columns) || t.Columns[ord].ID != old.Columns[old.PrimaryKey[i]].ID {
			return pgerror.Unimplemented("changing a table's primary key")
		}
	}
	if err := checkColumnsInUse(nc, old, t); err != nil {
		return err
	}
	for i, tt := range nc.Tables {
		if tt.ID == t.ID {
			nc.Tables[i] = t
		}
	}
	return nil
}

// dependencyLines is PostgreSQL's DETAIL for a refused DROP: every relation that depends on t,
// directly or through others, one "x depends on y" line each (on column col of t when set).
func dependencyLines(nc *Catalog, t *TableDesc, col string) string {
	var lines []string
	seen := map[uint32]bool{}
	var walk func(t *TableDesc, col string)
	walk = func(t *TableDesc, col string) {
		for _, d := range nc.Dependents(t.ID) {
			if seen[d.ID] {
				continue
			}
			seen[d.ID] = true
			on := fmt.Sprintf("%s %s", t.Kind, t.Name)
			if col != "" {
				on = fmt.Sprintf("column %s of %s", col, on)
			}
			lines = append(lines, fmt.Sprintf("%s %s depends on %s", d.Kind, d.Name, on))
			walk(d, "")
		}
	}
	walk(t, col)
	return strings.Join(lines, "\n")
}

// checkColumnsInUse refuses an ALTER that drops a column a materialized view reads, naming
// every view that reads it (and those built on them).
func checkColumnsInUse(nc *Catalog, old, t *TableDesc) error {
	for _, c := range old.Columns {
		if slices.ContainsFunc(t.Columns, func(n *ColumnDesc) bool { return n.ID == c.ID }) {
			continue
		}
		var users []*TableDesc
		for _, d := range nc.Dependents(old.ID) {
			if slices.Contains(d.View.ColumnsUsed(slices.Index(d.View.DependsOn, old.ID)), c.ID) {
				users = append(users, d)
			}
		}
		if len(users) == 0 {
			continue
		}
		var lines []string
		for _, d := range users {
			lines = append(lines, fmt.Sprintf("%s %s depends on column %s of %s %s", d.Kind, d.Name, c.Name, old.Kind, old.Name))
			if more := dependencyLines(nc, d, ""); more != "" {
				lines = append(lines, more)
			}
		}
		return pgerror.Newf(pgerror.DependentObjectsStillExist,
			"cannot drop column %s of %s %s because other objects depend on it", c.Name, old.Kind, old.Name).
			WithDetail(strings.Join(lines, "\n")).
			WithHint("Use DROP ... CASCADE to drop the dependent objects too.")
	}
	return nil
}

// replaceView puts a new definition in place of materialized view in.ID. Its columns keep
// their IDs when the new query's column types are the old ones (only names may change);
// otherwise they are new columns, and the maintainer rebuilds the rows. Views over it pin its
// columns, so it has none.
func replaceView(nc *Catalog, in *TableDesc, res *ApplyResult) error {
	i := slices.IndexFunc(nc.Tables, func(t *TableDesc) bool { return t.ID == in.ID })
	if i < 0 {
		return errSerialization("could not serialize access: the materialized view was dropped concurrently")
	}
	old := nc.Tables[i]
	if old.Kind != KindMaterializedView || in.View == nil {
		return pgerror.Newf(pgerror.WrongObjectType, "\"%s\" is not a materialized view", old.Name)
	}
	if deps := nc.Dependents(old.ID); len(deps) > 0 && !SameColumns(old, in) {
		return ReplaceDependentsError(old, deps)
	}
	if old.Paused {
		return pgerror.Newf(pgerror.ObjectNotInPrerequisiteState, "materialized view \"%s\" is paused", old.Name).
			WithHint("ALTER MATERIALIZED VIEW ... RESUME it first.")
	}
	t := *old
	v := *in.View
	v.Generation = old.View.Generation + 1
	t.View, t.Version = &v, old.Version+1
	if err := checkNewRelation(nc, &t); err != nil {
		return err
	}
	same := len(in.Columns) == len(old.Columns)
	for j := 0; same && j < len(in.Columns); j++ {
		same = in.Columns[j].Type.Equal(old.Columns[j].Type)
	}
	t.Columns = nil
	seen := make(map[string]bool, len(in.Columns))
	for j, c := range in.Columns {
		if seen[c.Name] {
			return pgerror.Newf(pgerror.DuplicateColumn, "column %q specified more than once", c.Name)
		}
		seen[c.Name] = true
		cc := *c
		if same {
			cc.ID = old.Columns[j].ID
		} else {
			cc.ID = t.NextColumnID
			t.NextColumnID++
		}
		t.Columns = append(t.Columns, &cc)
	}
	nc.Tables[i] = &t
	res.ID = t.ID
	return nil
}

// SameColumns says relations a and b have columns of the same names and types, in order.
func SameColumns(a, b *TableDesc) bool {
	return slices.EqualFunc(a.Columns, b.Columns, func(x, y *ColumnDesc) bool {
		return x.Name == y.Name && x.Type.Equal(y.Type)
	})
}

// ReplaceDependentsError is the error for replacing, with other columns, a view that other
// views read.
func ReplaceDependentsError(t *TableDesc, deps []*TableDesc) error {
	lines := make([]string, len(deps))
	for i, d := range deps {
		lines[i] = fmt.Sprintf("%s %s depends on materialized view %s", d.Kind, d.Name, t.Name)
	}
	return pgerror.Newf(pgerror.DependentObjectsStillExist,
		"cannot change the columns of materialized view %s because other objects depend on it", t.Name).
		WithDetail(strings.Join(lines, "\n")).
		WithHint("Keep its columns' names and types, drop the views over it first, or create the new version under another name.")
}

// ClearRows stages the deletion of every stored row of relation id (and of a view's
// fingerprint): a replaced view whose rows are rebuilt.
func ClearRows(batch *pebble.Batch, id uint32) error { return deleteRows(batch, id) }

// sortByID keeps the catalog's slices ordered by ID (a Catalog promise).
func sortByID(nc *Catalog) {
	slices.SortFunc(nc.Schemas, func(a, b *SchemaDesc) int { return int(a.ID) - int(b.ID) })
	slices.SortFunc(nc.Tables, func(a, b *TableDesc) int { return int(a.ID) - int(b.ID) })
}

// setPaused pauses or resumes a connector-fed relation's ingestion, or a materialized view's
// maintenance.
func setPaused(nc *Catalog, sp *SetPaused) error {
	for i, t := range nc.Tables {
		if t.ID != sp.ID {
			continue
		}
		if t.Connector == nil && t.Kind != KindMaterializedView {
			return pgerror.Newf(pgerror.WrongObjectType, "%q is neither a source nor a materialized view", t.Name)
		}
		c := *t
		c.Paused = sp.Paused
		nc.Tables[i] = &c
		return nil
	}
	return pgerror.Newf(pgerror.UndefinedTable, "relation with OID %d does not exist", sp.ID)
}
