package server

import (
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/server/pgwire"
	"github.com/eddydb/eddy/sql"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
	"github.com/eddydb/eddy/storage"
)

// showColumns returns the result columns of a SHOW statement.
func (s *Session) showColumns(n *sql.ShowStmt) ([]pgwire.Column, error) {
	switch strings.ToLower(n.Name) {
	case "all":
		return textColumns("name", "setting", "description"), nil
	case "tables", "materialized views":
		return textColumns("Name"), nil
	case "sources":
		return textColumns("Name", "Connector", "Offset", "End", "Watermark", "Late rows", "Freshness p50", "Freshness p99"), nil
	case "jobs":
		return textColumns("Id", "Name", "Progress", "rows_done", "rows_total"), nil
	case "checkpoints":
		return textColumns("id", "log_index", "started_at", "sync_ms", "total_ms", "state_bytes", "new_bytes",
			"shared_files", "status"), nil
	case "schemas":
		return textColumns("Name"), nil
	case "savepoints":
		return textColumns(showSavepointsColumns...), nil
	case "cluster":
		return textColumns(showClusterColumns...), nil
	case "fingerprints":
		return textColumns("node_id", "view", "fingerprint_index", "fingerprint"), nil
	case "transaction isolation level":
		return textColumns("transaction_isolation"), nil
	}
	if st := lookupSystemSetting(n.Name); st != nil {
		return textColumns(st.name), nil
	}
	st := lookupSetting(n.Name)
	if st == nil {
		return nil, pgerror.Newf(pgerror.UndefinedObject, "unrecognized configuration parameter %q", n.Name)
	}
	return textColumns(strings.ToLower(st.name)), nil
}

// show runs SHOW.
func (s *Session) show(ctx context.Context, n *sql.ShowStmt, cols []pgwire.Column) (pgwire.Result, error) {
	var rows [][]string
	switch strings.ToLower(n.Name) {
	case "all":
		for _, st := range settingList {
			rows = append(rows, []string{st.name, s.settings.vals[st.name], st.desc})
		}
		for _, st := range systemSettingList {
			rows = append(rows, []string{st.name, s.e.systemValue(st), st.desc})
		}
		slices.SortFunc(rows, func(a, b []string) int { return strings.Compare(strings.ToLower(a[0]), strings.ToLower(b[0])) })
	case "checkpoints":
		if s.e.ckpt == nil {
			break
		}
		for _, r := range s.e.ckpt.records() {
			ms := func(d time.Duration) string { return strconv.FormatFloat(millis(d), 'f', 3, 64) }
			rows = append(rows, []string{strconv.FormatInt(r.Seq, 10), strconv.FormatUint(r.Index, 10),
				types.FormatText(types.TimestampTZT, r.Start.UnixMicro(), &s.settings.fc), ms(r.Handoff), ms(r.Total),
				strconv.FormatInt(r.Bytes, 10), strconv.FormatInt(r.NewBytes, 10), strconv.Itoa(r.SharedFiles), r.Status})
		}
	case "savepoints":
		var err error
		if rows, err = s.showSavepoints(); err != nil {
			return nil, err
		}
	case "cluster", "fingerprints":
		sts, err := s.e.clusterStatus(ctx)
		if err != nil {
			return nil, err
		}
		if strings.EqualFold(n.Name, "cluster") {
			rows = showClusterRows(sts)
			break
		}
		// One row per node and view: at equal fingerprint_index, a view's fingerprint must be
		// equal on every node.
		for _, st := range sts {
			for _, v := range st.Views {
				rows = append(rows, []string{st.ID, v.Name, strconv.FormatUint(st.FingerprintIndex, 10), v.Fingerprint})
			}
		}
	case "jobs":
		for _, j := range s.e.views.Jobs() {
			pct := 100.0
			if j.Total > 0 {
				pct = 100 * float64(min(j.Done, j.Total)) / float64(j.Total)
			}
			rows = append(rows, []string{itoa(int(j.View)), j.Name, strconv.FormatFloat(pct, 'f', 2, 64) + "%",
				strconv.FormatInt(j.Done, 10), strconv.FormatInt(j.Total, 10)})
		}
	case "tables", "materialized views", "sources":
		kind := map[string]storage.RelKind{"tables": storage.KindTable, "materialized views": storage.KindMaterializedView,
			"sources": storage.KindSource}[strings.ToLower(n.Name)]
		cat := s.e.store.Catalog()
		schemas := s.settings.searchPath()
		if n.From != "" {
			schemas = []string{n.From}
			if cat.Schema(n.From) == nil {
				return nil, pgerror.Newf(pgerror.InvalidSchemaName, "schema %q does not exist", n.From)
			}
		}
		for _, t := range cat.Tables {
			if t.Kind != kind {
				continue
			}
			if sc := cat.SchemaByID(t.SchemaID); sc != nil && slices.Contains(schemas, sc.Name) {
				rows = append(rows, append([]string{t.Name}, s.sourceColumns(t, len(cols)-1)...))
			}
		}
		slices.SortFunc(rows, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	case "schemas":
		for _, sc := range s.e.store.Catalog().Schemas {
			rows = append(rows, []string{sc.Name})
		}
		slices.SortFunc(rows, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	case "transaction isolation level":
		rows = [][]string{{s.settings.vals["transaction_isolation"]}}
	default:
		if st := lookupSystemSetting(n.Name); st != nil {
			rows = [][]string{{s.e.systemValue(st)}}
			break
		}
		v, err := s.settings.get(n.Name)
		if err != nil {
			return nil, err
		}
		rows = [][]string{{v}}
	}
	return textRows(cols, rows, "SHOW"), nil
}

// sourceColumns are SHOW SOURCES' columns after the name: connector, next offset, the end of a
// bounded stream (NULL when unbounded) and the recent ingest-to-visible latencies.
func (s *Session) sourceColumns(t *storage.TableDesc, n int) []string {
	if n == 0 {
		return nil
	}
	c, _ := s.e.views.Conn(t.ID)
	off := c.Next
	wm := ""
	if t.Watermark != nil && c.WM != math.MinInt64 {
		wm = types.FormatText(t.Columns[slices.IndexFunc(t.Columns, func(col *storage.ColumnDesc) bool {
			return col.ID == t.Watermark.Column
		})].Type, c.WM, &s.settings.fc)
	}
	end := ""
	if src, err := openConnector(t); err == nil {
		if e, ok := src.End(); ok {
			end = strconv.FormatInt(e, 10)
		}
	}
	p50, p99 := s.e.fresh.quantiles(t.ID)
	ms := func(d time.Duration) string {
		return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 2, 64) + " ms"
	}
	return []string{t.Connector.Name, strconv.FormatInt(off, 10), end, wm, strconv.FormatInt(c.Late, 10), ms(p50), ms(p99)}
}

func textColumns(names ...string) []pgwire.Column {
	cols := make([]pgwire.Column, len(names))
	for i, n := range names {
		cols[i] = pgwire.Column{Name: n, Type: types.TextT}
	}
	return cols
}

// textRows returns a result of text columns built from strings.
func textRows(cols []pgwire.Column, rows [][]string, tag string) *rowsResult {
	names := make([]string, len(cols))
	ts := make([]types.T, len(cols))
	for i, c := range cols {
		names[i], ts[i] = c.Name, types.TextT
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, types.Schema(names, ts))
	for _, row := range rows {
		for j, v := range row {
			b.Field(j).(*array.StringBuilder).Append(v)
		}
	}
	rec := b.NewRecord()
	b.Release()
	if tag == "SELECT" {
		tag = "SELECT " + itoa(len(rows))
	}
	return bufferedResult(cols, []arrow.Record{rec}, tag)
}

func explainResult(lines []string) *rowsResult {
	rows := make([][]string, len(lines))
	for i, l := range lines {
		rows[i] = []string{l}
	}
	return textRows(textColumns("QUERY PLAN"), rows, "EXPLAIN")
}

func itoa(n int) string { return strconv.Itoa(n) }

// resolveTable finds a table by possibly qualified name through the search path.
func resolveTable(cat *storage.Catalog, name sql.ObjName, searchPath []string) (*storage.TableDesc, error) {
	schemas := searchPath
	if name.Schema != "" {
		schemas = []string{name.Schema}
	}
	for _, sn := range schemas {
		if sc := cat.Schema(sn); sc != nil {
			if t := cat.Table(sc.ID, name.Name); t != nil {
				return t, nil
			}
		}
	}
	full := name.Name
	if name.Schema != "" {
		full = name.Schema + "." + name.Name
	}
	return nil, pgerror.Newf(pgerror.UndefinedTable, "relation %q does not exist", full).WithPosition(name.Pos)
}
