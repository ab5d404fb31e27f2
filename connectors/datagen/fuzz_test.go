package datagen

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/eddydb/eddy/sql/pgerror"
)

// FuzzNew feeds one arbitrary option to New: it must never panic, must reject with 22023 only
// (D2), and a generator it accepts must produce a batch without leaking memory.
func FuzzNew(f *testing.F) {
	for _, seed := range [][2]string{
		{"fields.i8.kind", "sequence"}, {"fields.i4.min", "-3"}, {"fields.f8.max", "1e300"},
		{"fields.ts.max_past", "3 days"}, {"fields.d.basetime", "1999-12-31"}, {"fields.v.length", "0"},
		{"datagen.rows.per.second", "1"}, {"fields.n52.min", "-999.99"}, {"fields.i2.seed", "-1"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, key, value string) {
		g, err := New(allTypes, map[string]string{key: value})
		if err != nil {
			if pe := pgerror.As(err); pe == nil || pe.Code != pgerror.InvalidParameterValue {
				t.Fatalf("%s=%q rejected without 22023: %v", key, value, err)
			}
			return
		}
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		to := int64(10)
		if end, ok := g.End(); ok {
			to = min(to, end)
		}
		rec, err := g.Batch(mem, 0, to)
		if err != nil {
			t.Fatal(err)
		}
		rec.Release()
		mem.AssertSize(t, 0)
	})
}
