package planner

import (
	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/executor/stream"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
	"github.com/eddydb/eddy/storage"
)

// Env is what planning reads: the catalog snapshot and the session's settings.
type Env struct {
	Catalog *storage.Catalog
	// SearchPath lists the schemas unqualified names resolve in, e.g. ["public"]; pg_catalog is
	// always searched first for system tables.
	SearchPath     []string
	User, Database string
	// Settings are the session settings (for current_setting).
	Settings map[string]string
	// AllowSources lets FROM name a source (a materialized view's query reads its stream;
	// a batch query cannot, as a source stores no rows).
	AllowSources bool
	// SavepointCatalog returns the catalog durable savepoint name was taken with (AS OF
	// SAVEPOINT); nil where savepoints cannot be read.
	SavepointCatalog func(name string) (*storage.Catalog, error)
	// StartView decides how materialized view t (its dataflow g) would start, replacing old
	// (nil: a new view) FROM SAVEPOINT savepoint ("": none): what state it keeps, and the
	// EXPLAIN lines (lines, one per node of g) annotated with it. nil where no state can be
	// kept (a replacement is then rebuilt whole).
	StartView func(t *storage.TableDesc, g *stream.Graph, old *storage.TableDesc, savepoint string, lines []string) (*ViewStart, error)
}

// ViewStart is how a view being created or replaced starts (Env.StartView).
type ViewStart struct {
	Plan *stream.ReusePlan
	// Reuse says the replaced view's state may be kept (it is not backfilling).
	Reuse   bool
	Explain []string
}

// Column is one result column.
type Column struct {
	Name string
	Type types.T
	// TableID and AttNum identify the table column a result column reads directly (for
	// RowDescription); zero otherwise. AttNum is 1-based.
	TableID uint32
	AttNum  int16
}

// Kind is what a plan does.
type Kind uint8

// Plan kinds.
const (
	Query Kind = iota
	Insert
	Update
	Delete
	DDL
	Explain
)

// Plan is a planned statement.
type Plan struct {
	Kind Kind
	// Columns are the result columns (for DML the RETURNING columns; nil if none).
	Columns []Column
	// ParamTypes are the final types of $1..$n.
	ParamTypes []types.T
	// Root is the executable plan (Query and DML kinds; also COPY).
	Root executor.Node
	// DDL describes a schema change (Kind DDL).
	DDL *DDLPlan
	// Tag is the command tag verb: "SELECT", "INSERT", "CREATE TABLE", ...
	Tag string
	// Explain holds the lines EXPLAIN prints (Kind Explain).
	Explain []string
	// CopyFrom is set for COPY t FROM STDIN: the target table and the columns the input rows
	// supply (ordinals into the table). Root is then an Insert whose input is an
	// executor.ExternalInput with one column per entry of CopyColumns.
	CopyFrom    *storage.TableDesc
	CopyColumns []int

	// asOf holds the scans of tables named FOR SYSTEM_TIME AS OF, with the expression: the
	// batch engine reads the table as it is (the clause is for views' temporal joins, which
	// BuildStream lowers).
	asOf map[*executor.Scan]sql.Expr
}

// Build plans one statement. (Named Build because the result type is Plan.) paramTypes are the types the client declared for $1..$n; a zero
// (Unknown) entry, or a missing one, asks the planner to infer the type.
func Build(stmt sql.Statement, env *Env, paramTypes []types.T) (_ *Plan, err error) {
	// A panic here is a planner bug: report it instead of taking the session down.
	defer func() {
		if p := recover(); p != nil {
			err = pgerror.Newf(pgerror.Internal, "internal error in planner: %v", p)
		}
	}()
	b := newBuilder(env, paramTypes)
	p, err := b.statement(stmt)
	if err != nil {
		return nil, err
	}
	p.asOf = b.asOf
	if p.Root != nil {
		prune(p.Root, allTrue(len(p.Root.OutTypes())))
	}
	if p.Kind != DDL {
		pts, err := b.finishParams()
		if err != nil {
			return nil, err
		}
		p.ParamTypes = pts
	}
	return p, nil
}

func (b *builder) statement(stmt sql.Statement) (*Plan, error) {
	switch s := stmt.(type) {
	case *sql.SelectStmt:
		q, err := b.query(s.Query, nil)
		if err != nil {
			return nil, err
		}
		return &Plan{Kind: Query, Columns: q.columns(), Root: q.node, Tag: "SELECT"}, nil
	case *sql.InsertStmt:
		return b.insert(s)
	case *sql.UpdateStmt:
		return b.update(s)
	case *sql.DeleteStmt:
		return b.delete(s)
	case *sql.CopyStmt:
		return b.copy(s)
	case *sql.ExplainStmt:
		if s.Analyze {
			return nil, pgerror.Unimplemented("EXPLAIN ANALYZE")
		}
		if cv, ok := s.Stmt.(*sql.CreateViewStmt); ok {
			return b.explainCreateView(cv)
		}
		inner, err := b.statement(s.Stmt)
		if err != nil {
			return nil, err
		}
		if inner.Root != nil {
			prune(inner.Root, allTrue(len(inner.Root.OutTypes())))
		}
		if inner.Root == nil {
			return nil, pgerror.New(pgerror.FeatureNotSupported, "EXPLAIN is only supported for queries and DML")
		}
		return &Plan{Kind: Explain, Columns: []Column{{Name: "QUERY PLAN", Type: types.TextT}},
			Explain: executor.Explain(inner.Root), Tag: "EXPLAIN"}, nil
	case *sql.CreateTableStmt:
		return b.createTable(s)
	case *sql.CreateSchemaStmt:
		return b.createSchema(s)
	case *sql.CreateViewStmt:
		return b.createView(s)
	case *sql.DropStmt:
		return b.drop(s)
	case *sql.AlterTableStmt:
		return b.alterTable(s)
	case *sql.TruncateStmt:
		return b.truncate(s)
	}
	return nil, pgerror.Newf(pgerror.FeatureNotSupported, "statement %T is not supported by the planner", stmt)
}

func allTrue(n int) []bool {
	r := make([]bool, n)
	for i := range r {
		r[i] = true
	}
	return r
}
