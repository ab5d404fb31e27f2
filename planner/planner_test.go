package planner

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/executor/memstore"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

// harness runs SQL against a memstore through the planner and executor.
type harness struct {
	t     *testing.T
	mem   *memory.CheckedAllocator
	store *memstore.Store
	// fast replaces the checked allocator for execution in benchmarks.
	fast memory.Allocator
	// paramLog is the inferred parameter types of the last statement with parameters.
	paramLog string
}

func newHarness(t *testing.T) *harness {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	return &harness{t: t, mem: mem, store: memstore.New(mem)}
}

func (h *harness) env() *Env {
	return &Env{Catalog: h.store.Cat, SearchPath: []string{"public"}, User: "eddy", Database: "eddy",
		Settings: map[string]string{"timezone": "UTC"}}
}

func errText(err error) string {
	pe := pgerror.As(err)
	if pe == nil {
		return fmt.Sprintf("ERROR (internal): %v\n", err)
	}
	s := fmt.Sprintf("ERROR %s: %s\n", pe.Code, pe.Message)
	if pe.Detail != "" {
		s += "DETAIL: " + pe.Detail + "\n"
	}
	if pe.Position != 0 {
		s += fmt.Sprintf("POSITION: %d\n", pe.Position)
	}
	return s
}

func (h *harness) run(stmt sql.Statement, params []any) string {
	var pts []types.T
	p, err := Build(stmt, h.env(), pts)
	if err != nil {
		return errText(err)
	}
	switch p.Kind {
	case DDL:
		return h.applyDDL(p)
	case Explain:
		return strings.Join(p.Explain, "\n") + "\n"
	}
	if len(p.ParamTypes) > 0 {
		names := make([]string, len(p.ParamTypes))
		for i, t := range p.ParamTypes {
			names[i] = t.String()
		}
		defer func() { h.paramLog = "params: " + strings.Join(names, ", ") + "\n" }()
	}
	return h.runNode(p, params)
}

func (h *harness) runNode(p *Plan, params []any) string {
	defer h.mem.AssertSize(h.t, 0)
	var datums []any
	for i, v := range params {
		d, err := types.ParseText(p.ParamTypes[i], v.(string), &types.DefaultFormatContext)
		if err != nil {
			return errText(err)
		}
		datums = append(datums, d)
	}
	params = datums
	tx := h.store.Begin()
	var alloc memory.Allocator = h.mem
	if h.fast != nil {
		alloc = h.fast
	}
	ec := &executor.ExecContext{Mem: alloc, Reader: h.store.Reader(), Txn: tx, Params: params,
		ReserveIDs: h.store.ReserveIDs}
	ctx := context.Background()
	it, err := executor.Run(ctx, p.Root, ec)
	if err != nil {
		return errText(err)
	}
	defer it.Close()
	var out strings.Builder
	if len(p.Columns) > 0 {
		names := make([]string, len(p.Columns))
		for i, c := range p.Columns {
			names[i] = c.Name
		}
		out.WriteString(strings.Join(names, "|") + "\n")
	}
	rows := 0
	for {
		r, err := it.Next(ctx)
		if err != nil {
			return errText(err)
		}
		if r == nil {
			break
		}
		for i := 0; i < int(r.NumRows()); i++ {
			vals := make([]string, r.NumCols())
			for c := range vals {
				v := types.DatumAt(r.Column(c), i, p.Columns[c].Type)
				if v == nil {
					vals[c] = "NULL"
				} else {
					vals[c] = executor.FormatText(v, p.Columns[c].Type)
				}
			}
			out.WriteString(strings.Join(vals, "|") + "\n")
			rows++
		}
		r.Release()
	}
	tx.Commit()
	if len(p.Columns) > 0 && p.Kind != Query {
		fmt.Fprintf(&out, "(%d rows)\n", rows)
	}
	switch p.Kind {
	case Insert:
		fmt.Fprintf(&out, "INSERT 0 %d\n", it.RowsAffected())
	case Update, Delete:
		fmt.Fprintf(&out, "%s %d\n", p.Tag, it.RowsAffected())
	default:
		fmt.Fprintf(&out, "(%d rows)\n", rows)
	}
	return out.String()
}

func (h *harness) applyDDL(p *Plan) string {
	d := p.DDL
	var out strings.Builder
	for _, n := range d.Notices {
		out.WriteString("NOTICE: " + n + "\n")
	}
	if !d.NoOp {
		switch d.Kind {
		case CreateTable:
			h.store.CreateTable(d.Table)
			if d.Populate != nil {
				d.Populate.TableID = h.store.Cat.Tables[len(h.store.Cat.Tables)-1].ID
				prune(d.Populate, nil)
				out.WriteString(h.runNode(&Plan{Kind: Insert, Root: d.Populate, Tag: "SELECT"}, nil))
			}
		case CreateSchema:
			h.store.CreateSchema(d.SchemaName)
		case DropTable:
			for _, id := range d.IDs {
				h.store.DropTable(id)
			}
		case DropSchema:
			for _, id := range d.IDs {
				h.store.DropSchema(id)
			}
		case TruncateTable:
			for _, id := range d.IDs {
				h.store.Truncate(id)
			}
		case AlterTable:
			for _, c := range d.CheckNotNull {
				if h.store.RowCount(d.Table.ID) > 0 {
					return fmt.Sprintf("ERROR 23502: column \"%s\" of relation \"%s\" contains null values\n", c, d.Table.Name)
				}
			}
			h.store.AlterTable(d.Table)
		}
	}
	out.WriteString(p.Tag + "\n")
	return out.String()
}
