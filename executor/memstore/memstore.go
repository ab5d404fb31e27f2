package memstore

import (
	"fmt"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/cockroachdb/apd/v3"

	"github.com/eddydb/eddy/sql/types"
	"github.com/eddydb/eddy/storage"
)

// Store holds a catalog and the rows of its tables, each row a slice of datums.
type Store struct {
	Cat *storage.Catalog
	Mem memory.Allocator
	// BatchSize is the number of rows per scanned record (default 3, see M1).
	BatchSize int
	rows      map[uint32]map[string][]any
	nextID    int64
}

// New returns an empty store with the public schema.
func New(mem memory.Allocator) *Store {
	return &Store{
		Cat: &storage.Catalog{Schemas: []*storage.SchemaDesc{
			{ID: storage.PgCatalogSchemaID, Name: "pg_catalog"},
			{ID: storage.PublicSchemaID, Name: "public"},
			{ID: storage.InformationSchemaID, Name: "information_schema"},
		}, NextID: storage.FirstUserID},
		Mem:  mem,
		rows: map[uint32]map[string][]any{},
	}
}

// ReserveIDs hands out row ids.
func (s *Store) ReserveIDs(n int64) (int64, error) {
	first := s.nextID + 1
	s.nextID += n
	return first, nil
}

// CreateTable adds t (assigning IDs and the hidden row id as the FSM does).
func (s *Store) CreateTable(t *storage.TableDesc) {
	c := *t
	t = &c
	t.ID = s.Cat.NextID
	s.Cat.NextID++
	for i, col := range t.Columns {
		col.ID = uint32(i + 1)
	}
	if len(t.PrimaryKey) == 0 {
		t.Columns = append(t.Columns, &storage.ColumnDesc{ID: uint32(len(t.Columns) + 1), Name: storage.RowIDColumnName,
			Type: types.Int8T, NotNull: true, Hidden: true})
		t.PrimaryKey = []int{len(t.Columns) - 1}
	}
	t.NextColumnID = uint32(len(t.Columns) + 1)
	s.Cat.Tables = append(s.Cat.Tables, t)
	s.rows[t.ID] = map[string][]any{}
	s.Cat.Version++
}

// CreateSchema adds a schema.
func (s *Store) CreateSchema(name string) {
	s.Cat.Schemas = append(s.Cat.Schemas, &storage.SchemaDesc{ID: s.Cat.NextID, Name: name})
	s.Cat.NextID++
	s.Cat.Version++
}

// DropTable removes a table.
func (s *Store) DropTable(id uint32) {
	for i, t := range s.Cat.Tables {
		if t.ID == id {
			s.Cat.Tables = append(s.Cat.Tables[:i], s.Cat.Tables[i+1:]...)
			break
		}
	}
	delete(s.rows, id)
	s.Cat.Version++
}

// DropSchema removes a schema and its tables.
func (s *Store) DropSchema(id uint32) {
	for _, t := range append([]*storage.TableDesc(nil), s.Cat.Tables...) {
		if t.SchemaID == id {
			s.DropTable(t.ID)
		}
	}
	for i, sc := range s.Cat.Schemas {
		if sc.ID == id {
			s.Cat.Schemas = append(s.Cat.Schemas[:i], s.Cat.Schemas[i+1:]...)
			break
		}
	}
}

// Truncate removes every row of a table.
func (s *Store) Truncate(id uint32) { s.rows[id] = map[string][]any{} }

// AlterTable replaces a table's descriptor; rows are remapped by column ID, new columns read
// their Missing value.
func (s *Store) AlterTable(t *storage.TableDesc) {
	for i, old := range s.Cat.Tables {
		if old.ID != t.ID {
			continue
		}
		rows := map[string][]any{}
		for _, r := range s.rows[t.ID] {
			nr := make([]any, len(t.Columns))
			for j, c := range t.Columns {
				nr[j] = c.Missing
				for k, oc := range old.Columns {
					if oc.ID == c.ID {
						nr[j] = r[k]
					}
				}
			}
			rows[s.key(t, nr)] = nr
		}
		t.Version = old.Version + 1
		s.Cat.Tables[i] = t
		s.rows[t.ID] = rows
	}
	s.Cat.Version++
}

// RowCount returns the number of rows of a table.
func (s *Store) RowCount(id uint32) int { return len(s.rows[id]) }

func (s *Store) key(t *storage.TableDesc, row []any) string {
	var sb strings.Builder
	for _, k := range t.PrimaryKey {
		fmt.Fprintf(&sb, "%v|", datumText(row[k]))
	}
	return sb.String()
}

func datumText(v any) string {
	if d, ok := v.(*apd.Decimal); ok {
		var r apd.Decimal
		r.Reduce(d)
		return r.Text('f')
	}
	return fmt.Sprint(v)
}

// Reader returns a read view (not isolated from later writes).
func (s *Store) Reader() storage.Reader { return reader{s} }

type reader struct{ s *Store }

func (r reader) Catalog() *storage.Catalog { return r.s.Cat }
func (r reader) Close() error              { return nil }

func (r reader) Get(t *storage.TableDesc, key []any) ([]any, bool, error) {
	row := make([]any, len(t.Columns))
	for i, k := range t.PrimaryKey {
		row[k] = key[i]
	}
	got, ok := r.s.rows[t.ID][r.s.key(t, row)]
	return got, ok, nil
}

func (r reader) Scan(t *storage.TableDesc, cols []int) (storage.RecordIterator, error) {
	return r.scan(t, cols, func([]any) bool { return true })
}

// ScanRange filters Scan's rows by the bounds (see storage.Reader).
func (r reader) ScanRange(t *storage.TableDesc, cols []int, lo, hi []any, loInc, hiInc bool) (storage.RecordIterator, error) {
	for _, v := range append(append([]any(nil), lo...), hi...) {
		if v == nil {
			return r.scan(t, cols, func([]any) bool { return false })
		}
	}
	prefixCmp := func(row, bound []any) int {
		for i, b := range bound {
			if c := cmp(row[t.PrimaryKey[i]], b); c != 0 {
				return c
			}
		}
		return 0
	}
	return r.scan(t, cols, func(row []any) bool {
		if c := prefixCmp(row, lo); c < 0 || c == 0 && !loInc && len(lo) > 0 {
			return false
		}
		c := prefixCmp(row, hi)
		return c < 0 || c == 0 && (hiInc || len(hi) == 0)
	})
}

func (r reader) scan(t *storage.TableDesc, cols []int, keep func([]any) bool) (storage.RecordIterator, error) {
	rows := make([][]any, 0, len(r.s.rows[t.ID]))
	for _, row := range r.s.rows[t.ID] {
		if keep(row) {
			rows = append(rows, row)
		}
	}
	sort.Slice(rows, func(i, j int) bool { return lessKey(t, rows[i], rows[j]) })
	ts := make([]types.T, len(cols))
	names := make([]string, len(cols))
	for i, c := range cols {
		ts[i] = t.Columns[c].Type
		names[i] = t.Columns[c].Name
	}
	bs := r.s.BatchSize
	if bs <= 0 {
		bs = batch
	}
	return &iter{mem: r.s.Mem, batch: bs, rows: rows, cols: cols, schema: types.Schema(names, ts), ts: ts}, nil
}

func lessKey(t *storage.TableDesc, a, b []any) bool {
	for _, k := range t.PrimaryKey {
		if c := cmp(a[k], b[k]); c != 0 {
			return c < 0
		}
	}
	return false
}

func cmp(a, b any) int {
	switch x := a.(type) {
	case int64:
		y := b.(int64)
		if x < y {
			return -1
		} else if x > y {
			return 1
		}
		return 0
	case float64:
		y := b.(float64)
		if x < y {
			return -1
		} else if x > y {
			return 1
		}
		return 0
	case string:
		return strings.Compare(x, b.(string))
	case *apd.Decimal:
		return x.Cmp(b.(*apd.Decimal))
	case int32:
		return cmp(int64(x), int64(b.(int32)))
	case bool:
		return cmp(fmt.Sprint(x), fmt.Sprint(b))
	}
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}

type iter struct {
	mem    memory.Allocator
	batch  int
	rows   [][]any
	cols   []int
	ts     []types.T
	schema *arrow.Schema
	pos    int
}

// batch is small so tests cross batch boundaries.
const batch = 3

func (it *iter) Next() (arrow.Record, error) {
	if it.pos >= len(it.rows) {
		return nil, nil
	}
	end := min(it.pos+it.batch, len(it.rows))
	arrs := make([]arrow.Array, len(it.cols))
	for i, c := range it.cols {
		b := types.NewBuilder(it.mem, it.ts[i])
		for _, row := range it.rows[it.pos:end] {
			types.AppendDatum(b, it.ts[i], row[c])
		}
		arrs[i] = b.NewArray()
		b.Release()
	}
	rec := array.NewRecord(it.schema, arrs, int64(end-it.pos))
	for _, a := range arrs {
		a.Release()
	}
	it.pos = end
	return rec, nil
}

func (it *iter) Close() error { return nil }

// Txn stages writes and applies them on Commit.
type Txn struct {
	s      *Store
	staged map[uint32]map[string][]any
}

// Begin starts staging writes.
func (s *Store) Begin() *Txn { return &Txn{s: s, staged: map[uint32]map[string][]any{}} }

func (tx *Txn) table(t *storage.TableDesc) map[string][]any {
	m, ok := tx.staged[t.ID]
	if !ok {
		m = map[string][]any{}
		for k, v := range tx.s.rows[t.ID] {
			m[k] = v
		}
		tx.staged[t.ID] = m
	}
	return m
}

func rowsOf(t *storage.TableDesc, rec arrow.Record) [][]any {
	out := make([][]any, rec.NumRows())
	for i := range out {
		row := make([]any, len(t.Columns))
		for c, col := range t.Columns {
			row[c] = types.DatumAt(rec.Column(c), i, col.Type)
		}
		out[i] = row
	}
	return out
}

// Insert implements executor.Writer.
func (tx *Txn) Insert(t *storage.TableDesc, rec arrow.Record) error {
	m := tx.table(t)
	for _, row := range rowsOf(t, rec) {
		k := tx.s.key(t, row)
		if _, dup := m[k]; dup {
			return fmt.Errorf("memstore: duplicate key %s in %s", k, t.Name)
		}
		m[k] = row
	}
	return nil
}

// Delete implements executor.Writer.
func (tx *Txn) Delete(t *storage.TableDesc, rec arrow.Record) error {
	m := tx.table(t)
	for _, row := range rowsOf(t, rec) {
		delete(m, tx.s.key(t, row))
	}
	return nil
}

// Update implements executor.Writer.
func (tx *Txn) Update(t *storage.TableDesc, old, new arrow.Record) error {
	if err := tx.Delete(t, old); err != nil {
		return err
	}
	return tx.Insert(t, new)
}

// Commit applies the staged writes.
func (tx *Txn) Commit() {
	for id, m := range tx.staged {
		tx.s.rows[id] = m
	}
}

// RetryOnConflict is a no-op: the in-memory store has no concurrent writers.
func (tx *Txn) RetryOnConflict(*storage.TableDesc) {}
