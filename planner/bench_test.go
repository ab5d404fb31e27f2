package planner

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/executor/memstore"
	"strings"
	"testing"
)

// BenchmarkQueries runs whole statements (plan + execute) over a memstore table.
func BenchmarkQueries(b *testing.B) {
	const rows = 20000
	mem := memory.NewGoAllocator()
	h := &harness{t: &testing.T{}, store: memstore.New(mem), mem: memory.NewCheckedAllocator(mem), fast: mem}
	h.store.BatchSize = 1024
	h.exec("CREATE TABLE t (id int PRIMARY KEY, g int, v float8, s text)", nil)
	var sb strings.Builder
	sb.WriteString("INSERT INTO t VALUES ")
	for i := 0; i < rows; i++ {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, "(%d, %d, %d.5, 's%d')", i, i%100, i, i%7)
	}
	h.exec(sb.String(), nil)
	for _, q := range []string{
		"SELECT g, count(*), sum(v) FROM t WHERE id % 2 = 0 GROUP BY g",
		"SELECT count(*) FROM t a JOIN t b ON a.id = b.g",
		"SELECT id FROM t ORDER BY v DESC LIMIT 10",
		"SELECT count(*) FROM t WHERE EXISTS (SELECT 1 FROM t u WHERE u.g = t.id)",
	} {
		b.Run(q, func(b *testing.B) {
			for b.Loop() {
				h.exec(q, nil)
			}
			b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
