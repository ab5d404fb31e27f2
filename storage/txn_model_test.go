package storage

import (
	"flag"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

var txnSeed = flag.Uint64("txn-seed", 0, "seed for TestTxnAgainstModel (0: several fixed seeds)")

// TestTxnAgainstModel runs random transactions (inserts, deletes, updates that may move keys,
// savepoints and rollbacks) against a map model. After every step the transaction's view must
// equal the model; after commit the store must.
func TestTxnAgainstModel(t *testing.T) {
	seeds := []uint64{1, 2, 3, 4, 5}
	if *txnSeed != 0 {
		seeds = []uint64{*txnSeed}
	}
	for _, seed := range seeds {
		rng := rand.New(rand.NewPCG(seed, 99))
		db := newTestDB(t)
		tb := db.createTable("t", []int{0}, colSpec{"id", types.Int8T}, colSpec{"v", types.Int8T})
		committed := map[int64]int64{}
		for txnNo := range 20 {
			tx := db.s.BeginTxn()
			model := maps.Clone(committed)
			var saves []map[int64]int64
			var marks []int
			for step := range 30 {
				id := int64(rng.IntN(12))
				old, exists := model[id]
				var err error
				switch op := rng.IntN(6); {
				case op <= 1:
					v := rng.Int64N(100)
					err = tx.InsertRows(tb, [][]any{{id, v}})
					if exists {
						if pgerror.GetCode(err) != pgerror.UniqueViolation {
							t.Fatalf("seed %d txn %d step %d: insert of existing %d: %v", seed, txnNo, step, id, err)
						}
						err = nil
					} else {
						model[id] = v
					}
				case op == 2 && exists:
					err = tx.DeleteRows(tb, [][]any{{id, old}})
					delete(model, id)
				case op == 3 && exists:
					to := int64(rng.IntN(12))
					if _, taken := model[to]; taken && to != id {
						continue
					}
					v := rng.Int64N(100)
					err = tx.UpdateRows(tb, [][]any{{id, old}}, [][]any{{to, v}})
					delete(model, id)
					model[to] = v
				case op == 4:
					saves = append(saves, maps.Clone(model))
					marks = append(marks, tx.Savepoint())
				case op == 5 && len(marks) > 0:
					i := rng.IntN(len(marks))
					tx.RollbackTo(marks[i])
					model = maps.Clone(saves[i])
					marks, saves = marks[:i+1], saves[:i+1]
				}
				if err != nil {
					t.Fatalf("seed %d txn %d step %d: %v", seed, txnNo, step, err)
				}
				r := tx.Reader()
				if got, want := fmtRows(scanAll(t, r, tb)), fmtModel(model); got != want {
					t.Fatalf("seed %d txn %d step %d: txn view\n%s\nwant\n%s", seed, txnNo, step, got, want)
				}
				r.Close()
			}
			if rng.IntN(4) == 0 {
				continue // abandoned (ROLLBACK)
			}
			w, err := tx.Command()
			if err != nil {
				t.Fatal(err)
			}
			if w != nil {
				db.mustApply(&Command{Write: w})
			}
			committed = model
			if got, want := fmtRows(db.rows(tb)), fmtModel(committed); got != want {
				t.Fatalf("seed %d txn %d: committed\n%s\nwant\n%s", seed, txnNo, got, want)
			}
		}
	}
}

func fmtModel(m map[int64]int64) string {
	var rows [][]any
	for _, k := range slices.Sorted(maps.Keys(m)) {
		rows = append(rows, []any{k, m[k]})
	}
	return fmtRows(rows)
}
