package planner

import (
	"fmt"
	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
	"github.com/eddydb/eddy/storage"
)

// DDLKind is the kind of a schema change.
type DDLKind uint8

// Schema changes.
const (
	CreateTable DDLKind = iota
	CreateSchema
	DropTable
	DropSchema
	AlterTable
	TruncateTable
	// ReplaceView is CREATE OR REPLACE MATERIALIZED VIEW of an existing view: Table is the
	// new descriptor with the view's ID; Reuse says its state may be kept.
	ReplaceView
)

// DDLPlan describes a schema change as data; the server maps it onto storage DDL commands.
type DDLPlan struct {
	Kind DDLKind
	// Table is the new table (CreateTable: IDs zero, the FSM assigns them and adds the hidden
	// row id when PrimaryKey is empty) or the complete new descriptor (AlterTable).
	Table *storage.TableDesc
	// SchemaName is the schema CreateSchema creates.
	SchemaName  string
	IfNotExists bool
	// IDs are the tables (DropTable, TruncateTable) or schemas (DropSchema) affected.
	IDs     []uint32
	Cascade bool
	// NoOp is set when IF [NOT] EXISTS made the statement do nothing; Notices say why.
	NoOp    bool
	Notices []string
	// CheckNotNull names columns that became NOT NULL without a default (ADD COLUMN ... NOT NULL,
	// SET NOT NULL): the server must check the existing rows and raise 23502 if any is NULL
	// (for ADD COLUMN, if the table is not empty).
	CheckNotNull []string
	// Populate is set for CREATE TABLE ... AS: once the table exists, set Populate.TableID to
	// its ID and run it to insert the query's rows (PostgreSQL's tag is then "SELECT n").
	Populate *executor.Insert
	// Reuse (ReplaceView): the view's current operators' state may be kept.
	Reuse bool
}

func ddlPlan(tag string, d *DDLPlan) *Plan { return &Plan{Kind: DDL, DDL: d, Tag: tag} }

// createSchemaID returns the schema a new object goes to.
func (b *builder) creationSchema(name sql.ObjName) (*storage.SchemaDesc, error) {
	if name.Schema != "" {
		s := b.env.Catalog.Schema(name.Schema)
		if s == nil {
			return nil, pgerror.Newf(pgerror.InvalidSchemaName, "schema \"%s\" does not exist", name.Schema).WithPosition(name.Pos)
		}
		return s, nil
	}
	for _, sn := range b.searchPath() {
		if s := b.env.Catalog.Schema(sn); s != nil {
			return s, nil
		}
	}
	return nil, pgerror.New(pgerror.InvalidSchemaName, "no schema has been selected to create in").WithPosition(name.Pos)
}

func (b *builder) createTable(s *sql.CreateTableStmt) (*Plan, error) {
	if s.Source || len(s.With) > 0 {
		return b.createConnected(s)
	}
	if s.Watermark != nil {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "WATERMARK is supported on sources and on tables WITH (connector = ...)")
	}
	sch, err := b.creationSchema(s.Name)
	if err != nil {
		return nil, err
	}
	if b.env.Catalog.Table(sch.ID, s.Name.Name) != nil {
		if s.IfNotExists {
			return ddlPlan("CREATE TABLE", &DDLPlan{Kind: CreateTable, NoOp: true, IfNotExists: true,
				Notices: []string{"relation \"" + s.Name.Name + "\" already exists, skipping"}}), nil
		}
		return nil, pgerror.Newf(pgerror.DuplicateTable, "relation \"%s\" already exists", s.Name.Name).WithPosition(s.Name.Pos)
	}
	t := &storage.TableDesc{SchemaID: sch.ID, Name: s.Name.Name}
	if s.AsQuery != nil {
		return b.createTableAs(s, t)
	}
	for _, def := range s.Columns {
		if t.Column(def.Name) >= 0 {
			return nil, pgerror.Newf(pgerror.DuplicateColumn, "column \"%s\" specified more than once", def.Name).WithPosition(def.Pos)
		}
		col, err := b.columnDef(t, def)
		if err != nil {
			return nil, err
		}
		t.Columns = append(t.Columns, col)
		if def.PrimaryKey {
			if len(t.PrimaryKey) > 0 {
				return nil, pgerror.Newf(pgerror.InvalidTableDefinition, "multiple primary keys for table \"%s\" are not allowed", t.Name).WithPosition(def.Pos)
			}
			t.PrimaryKey = []int{len(t.Columns) - 1}
		}
	}
	if len(s.PrimaryKey) > 0 {
		if len(t.PrimaryKey) > 0 {
			return nil, pgerror.Newf(pgerror.InvalidTableDefinition, "multiple primary keys for table \"%s\" are not allowed", t.Name)
		}
		for _, n := range s.PrimaryKey {
			i := t.Column(n)
			if i < 0 {
				return nil, pgerror.Newf(pgerror.UndefinedColumn, "column \"%s\" named in key does not exist", n)
			}
			t.PrimaryKey = append(t.PrimaryKey, i)
		}
	}
	for _, k := range t.PrimaryKey {
		t.Columns[k].NotNull = true
	}
	return ddlPlan("CREATE TABLE", &DDLPlan{Kind: CreateTable, Table: t, IfNotExists: s.IfNotExists}), nil
}

// columnDef turns a column definition into a descriptor (ID left for the FSM).
func (b *builder) columnDef(t *storage.TableDesc, def *sql.ColumnDef) (*storage.ColumnDesc, error) {
	if def.Name == storage.RowIDColumnName {
		return nil, pgerror.Newf(pgerror.DuplicateColumn, "column name \"%s\" conflicts with a system column name", def.Name)
	}
	typ, err := typeOf(def.Type)
	if err != nil {
		return nil, err
	}
	col := &storage.ColumnDesc{Name: def.Name, Type: typ, NotNull: def.NotNull || def.PrimaryKey}
	if def.Serial {
		col.NotNull = true
		col.Default = "unique_rowid()"
		if def.Default != nil {
			return nil, pgerror.Newf(pgerror.SyntaxError, "multiple default values specified for column \"%s\" of table \"%s\"", def.Name, t.Name)
		}
		return col, nil
	}
	if def.Default != nil {
		x, err := b.expr(def.Default, &ectx{s: &scope{}, clause: "DEFAULT expressions"})
		if err != nil {
			return nil, err
		}
		if !canAssign(x.Type(), typ) {
			return nil, pgerror.Newf(pgerror.DatatypeMismatch, "column \"%s\" is of type %s but default expression is of type %s",
				def.Name, typ.SQLName(), x.Type().SQLName()).WithHint("You will need to rewrite or cast the expression.")
		}
		y, err := b.assign(x, typ, def.Name, 0)
		if err != nil {
			return nil, err
		}
		if c, ok := y.(*executor.Cast); ok {
			if _, isConst := c.X.(*executor.Const); isConst {
				// A constant default that does not convert fails now, as in PostgreSQL.
				if _, err := executor.EvalConst(c); err != nil {
					return nil, err
				}
			}
		}
		col.Default = formatExpr(def.Default)
	}
	return col, nil
}

func (b *builder) createSchema(s *sql.CreateSchemaStmt) (*Plan, error) {
	if b.env.Catalog.Schema(s.Name) != nil {
		if s.IfNotExists {
			return ddlPlan("CREATE SCHEMA", &DDLPlan{Kind: CreateSchema, SchemaName: s.Name, IfNotExists: true, NoOp: true,
				Notices: []string{"schema \"" + s.Name + "\" already exists, skipping"}}), nil
		}
		return nil, pgerror.Newf(pgerror.DuplicateSchema, "schema \"%s\" already exists", s.Name)
	}
	return ddlPlan("CREATE SCHEMA", &DDLPlan{Kind: CreateSchema, SchemaName: s.Name, IfNotExists: s.IfNotExists}), nil
}

func (b *builder) drop(s *sql.DropStmt) (*Plan, error) {
	switch s.Kind {
	case sql.MaterializedViewObject, sql.SourceObject:
		return b.dropRelation(s)
	case sql.TableObject:
		d := &DDLPlan{Kind: DropTable, Cascade: s.Cascade}
		for _, n := range s.Names {
			t, vt, err := b.table(n)
			if vt != nil {
				return nil, pgerror.Newf(pgerror.InsufficientPrivilege, "permission denied: \"%s\" is a system catalog", n.Name)
			}
			if err != nil {
				if pgerror.GetCode(err) != pgerror.UndefinedTable && pgerror.GetCode(err) != pgerror.InvalidSchemaName {
					return nil, err
				}
				if s.IfExists {
					d.Notices = append(d.Notices, "table \""+n.Name+"\" does not exist, skipping")
					continue
				}
				return nil, pgerror.Newf(pgerror.UndefinedTable, "table \"%s\" does not exist", n.Name).WithPosition(n.Pos)
			}
			if err := wrongKindDrop(t, storage.KindTable, n); err != nil {
				return nil, err
			}
			d.IDs = append(d.IDs, t.ID)
			d.Notices = append(d.Notices, b.cascadeNotices(t, s.Cascade)...)
		}
		d.NoOp = len(d.IDs) == 0
		return ddlPlan("DROP TABLE", d), nil
	case sql.SchemaObject:
		d := &DDLPlan{Kind: DropSchema, Cascade: s.Cascade}
		for _, n := range s.Names {
			sc := b.env.Catalog.Schema(n.Name)
			if sc == nil {
				if s.IfExists {
					d.Notices = append(d.Notices, "schema \""+n.Name+"\" does not exist, skipping")
					continue
				}
				return nil, pgerror.Newf(pgerror.InvalidSchemaName, "schema \"%s\" does not exist", n.Name).WithPosition(n.Pos)
			}
			if !s.Cascade {
				for _, t := range b.env.Catalog.Tables {
					if t.SchemaID == sc.ID {
						return nil, pgerror.Newf(pgerror.DependentObjectsStillExist, "cannot drop schema %s because other objects depend on it", n.Name).
							WithDetail("table " + n.Name + "." + t.Name + " depends on schema " + n.Name).
							WithHint("Use DROP ... CASCADE to drop the dependent objects too.")
					}
				}
			}
			d.IDs = append(d.IDs, sc.ID)
		}
		d.NoOp = len(d.IDs) == 0
		return ddlPlan("DROP SCHEMA", d), nil
	}
	return nil, pgerror.Unimplemented("DROP of this object kind")
}

func (b *builder) truncate(s *sql.TruncateStmt) (*Plan, error) {
	d := &DDLPlan{Kind: TruncateTable}
	for _, n := range s.Tables {
		t, err := b.storedTable(n)
		if err != nil {
			return nil, err
		}
		if err := wrongKind(t, storage.KindTable, n); err != nil {
			return nil, err
		}
		d.IDs = append(d.IDs, t.ID)
	}
	return ddlPlan("TRUNCATE TABLE", d), nil
}

// cloneTable deep-copies a descriptor so ALTER can edit it.
func cloneTable(t *storage.TableDesc) *storage.TableDesc {
	c := *t
	c.Columns = make([]*storage.ColumnDesc, len(t.Columns))
	for i, col := range t.Columns {
		cc := *col
		c.Columns[i] = &cc
	}
	c.PrimaryKey = append([]int(nil), t.PrimaryKey...)
	return &c
}

func (b *builder) alterTable(s *sql.AlterTableStmt) (*Plan, error) {
	old, vt, err := b.table(s.Name)
	if vt != nil {
		return nil, pgerror.Newf(pgerror.InsufficientPrivilege, "permission denied: \"%s\" is a system catalog", s.Name.Name)
	}
	if err != nil {
		if s.IfExists && pgerror.GetCode(err) == pgerror.UndefinedTable {
			return ddlPlan("ALTER TABLE", &DDLPlan{Kind: AlterTable, NoOp: true,
				Notices: []string{"relation \"" + s.Name.Name + "\" does not exist, skipping"}}), nil
		}
		return nil, err
	}
	if what := refusedAlter(old, s.Cmds); what != "" {
		return nil, pgerror.Newf(pgerror.WrongObjectType, "ALTER action %s cannot be performed on relation \"%s\"", what, old.Name).
			WithDetail(fmt.Sprintf("This operation is not supported for %ss.", old.Kind))
	}
	t := cloneTable(old)
	d := &DDLPlan{Kind: AlterTable, Table: t}
	colErr := func(code pgerror.Code, name, what string) error {
		return pgerror.Newf(code, "column \"%s\" of relation \"%s\" %s", name, t.Name, what)
	}
	for _, cmd := range s.Cmds {
		switch c := cmd.(type) {
		case *sql.AddColumn:
			if t.Column(c.Def.Name) >= 0 {
				if c.IfNotExists {
					d.Notices = append(d.Notices, "column \""+c.Def.Name+"\" of relation \""+t.Name+"\" already exists, skipping")
					continue
				}
				return nil, colErr(pgerror.DuplicateColumn, c.Def.Name, "already exists")
			}
			if c.Def.PrimaryKey {
				return nil, pgerror.Unimplemented("adding a primary key column")
			}
			col, err := b.columnDef(t, c.Def)
			if err != nil {
				return nil, err
			}
			col.ID = t.NextColumnID
			t.NextColumnID++
			if col.Default != "" {
				x, err := b.defaultOf(col)
				if err != nil {
					return nil, err
				}
				k, ok := x.(*executor.Const)
				if !ok {
					return nil, pgerror.Unimplemented("ADD COLUMN with a non-constant default")
				}
				col.Missing = k.Value
			}
			if col.NotNull && col.Missing == nil {
				d.CheckNotNull = append(d.CheckNotNull, col.Name)
			}
			t.Columns = append(t.Columns, col)
		case *sql.DropColumn:
			i := t.Column(c.Name)
			if i < 0 || t.Columns[i].Hidden {
				if c.IfExists {
					d.Notices = append(d.Notices, "column \""+c.Name+"\" of relation \""+t.Name+"\" does not exist, skipping")
					continue
				}
				return nil, colErr(pgerror.UndefinedColumn, c.Name, "does not exist")
			}
			for _, k := range t.PrimaryKey {
				if k == i {
					return nil, pgerror.Newf(pgerror.FeatureNotSupported, "cannot drop column \"%s\" because it is part of the primary key of table \"%s\"", c.Name, t.Name)
				}
			}
			t.Columns = append(t.Columns[:i], t.Columns[i+1:]...)
			for j, k := range t.PrimaryKey {
				if k > i {
					t.PrimaryKey[j] = k - 1
				}
			}
		case *sql.RenameColumn:
			i := t.Column(c.Old)
			if i < 0 || t.Columns[i].Hidden {
				return nil, pgerror.Newf(pgerror.UndefinedColumn, "column \"%s\" does not exist", c.Old)
			}
			if t.Column(c.New) >= 0 {
				return nil, colErr(pgerror.DuplicateColumn, c.New, "already exists")
			}
			t.Columns[i].Name = c.New
		case *sql.RenameTable:
			if b.env.Catalog.Table(t.SchemaID, c.New) != nil {
				return nil, pgerror.Newf(pgerror.DuplicateTable, "relation \"%s\" already exists", c.New)
			}
			t.Name = c.New
		case *sql.AlterColumnDefault:
			i := t.Column(c.Column)
			if i < 0 || t.Columns[i].Hidden {
				return nil, colErr(pgerror.UndefinedColumn, c.Column, "does not exist")
			}
			if c.Default == nil {
				t.Columns[i].Default = ""
				continue
			}
			x, err := b.expr(c.Default, &ectx{s: &scope{}, clause: "DEFAULT expressions"})
			if err != nil {
				return nil, err
			}
			if _, err := b.assign(x, t.Columns[i].Type, t.Columns[i].Name, 0); err != nil {
				return nil, err
			}
			t.Columns[i].Default = formatExpr(c.Default)
		case *sql.AlterColumnNotNull:
			i := t.Column(c.Column)
			if i < 0 || t.Columns[i].Hidden {
				return nil, colErr(pgerror.UndefinedColumn, c.Column, "does not exist")
			}
			if !c.NotNull {
				for _, k := range t.PrimaryKey {
					if k == i {
						return nil, pgerror.Newf(pgerror.InvalidTableDefinition, "column \"%s\" is in a primary key", c.Column)
					}
				}
			} else if !t.Columns[i].NotNull {
				d.CheckNotNull = append(d.CheckNotNull, c.Column)
			}
			t.Columns[i].NotNull = c.NotNull
		default:
			return nil, pgerror.Unimplemented("this ALTER TABLE command")
		}
	}
	return ddlPlan("ALTER TABLE", d), nil
}

// defaultOf plans a column's stored default expression.
func (b *builder) defaultOf(col *storage.ColumnDesc) (executor.Expr, error) {
	ast, err := parseExpr(col.Default)
	if err != nil {
		return nil, err
	}
	x, err := b.expr(ast, &ectx{s: &scope{}, clause: "DEFAULT expressions"})
	if err != nil {
		return nil, err
	}
	return b.assign(x, col.Type, col.Name, 0)
}

// createTableAs plans CREATE TABLE ... AS query: the columns come from the query, the key is
// the hidden row id the FSM appends, and Populate fills the table.
func (b *builder) createTableAs(s *sql.CreateTableStmt, t *storage.TableDesc) (*Plan, error) {
	q, err := b.query(s.AsQuery, nil)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(q.cols))
	for i, c := range q.cols {
		names[i] = c.name
	}
	for i, def := range s.Columns {
		if i < len(names) {
			names[i] = def.Name
		}
	}
	p := &executor.Project{Input: q.node}
	for i, c := range q.cols {
		for _, prev := range t.Columns {
			if prev.Name == names[i] {
				return nil, pgerror.Newf(pgerror.DuplicateColumn, "column \"%s\" specified more than once", names[i])
			}
		}
		typ := c.typ
		if typ.Family == types.Unknown {
			typ = types.TextT
		}
		t.Columns = append(t.Columns, &storage.ColumnDesc{Name: names[i], Type: typ})
		p.Exprs = append(p.Exprs, &executor.ColRef{Idx: c.idx, T: c.typ})
		p.Types = append(p.Types, typ)
	}
	p.Exprs = append(p.Exprs, &executor.Func{Name: "unique_rowid", T: types.Int8T})
	p.Types = append(p.Types, types.Int8T)
	ins := &executor.Insert{Input: p}
	for i := range p.Exprs {
		ins.Cols = append(ins.Cols, i)
	}
	return ddlPlan("CREATE TABLE AS", &DDLPlan{Kind: CreateTable, Table: t, IfNotExists: s.IfNotExists, Populate: ins}), nil
}

// refusedAlter names the first action of an ALTER TABLE that old's kind does not allow
// (PostgreSQL's wording), or "" when all are allowed: views and sources can be renamed, and
// their columns too, but not otherwise altered.
func refusedAlter(old *storage.TableDesc, cmds []sql.AlterTableCmd) string {
	if old.Kind == storage.KindTable {
		return ""
	}
	for _, c := range cmds {
		switch c := c.(type) {
		case *sql.RenameTable, *sql.RenameColumn:
		case *sql.AddColumn:
			return "ADD COLUMN"
		case *sql.DropColumn:
			return "DROP COLUMN"
		case *sql.AlterColumnDefault:
			if c.Default == nil {
				return "ALTER COLUMN ... DROP DEFAULT"
			}
			return "ALTER COLUMN ... SET DEFAULT"
		case *sql.AlterColumnNotNull:
			if c.NotNull {
				return "ALTER COLUMN ... SET NOT NULL"
			}
			return "ALTER COLUMN ... DROP NOT NULL"
		default:
			return "ALTER TABLE"
		}
	}
	return ""
}
