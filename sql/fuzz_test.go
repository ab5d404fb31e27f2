package sql

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/eddydb/eddy/sql/pgerror"
)

// FuzzParse checks S1 and S2 on arbitrary input: Parse never panics, every rejection carries a
// user-facing SQLSTATE, and accepted statements format into text Parse accepts again. The seed
// corpus is every golden input and every psql catalog query.
//
//	go test ./sql -run '^$' -fuzz FuzzParse -fuzztime 30s
func FuzzParse(f *testing.F) {
	for _, s := range goldenInputs(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		if len(q) > 4096 {
			t.Skip()
		}
		checkParseProperties(t, q)
	})
}

// TestMutatedGoldenInputs is a deterministic cousin of FuzzParse: it deletes, duplicates and
// swaps words of every golden input and checks the same properties on each mutant.
func TestMutatedGoldenInputs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, in := range goldenInputs(t) {
		words := strings.Fields(in)
		for range 60 {
			w := append([]string(nil), words...)
			if len(w) == 0 {
				break
			}
			i, j := rng.IntN(len(w)), rng.IntN(len(w))
			switch rng.IntN(3) {
			case 0:
				w = append(w[:i], w[i+1:]...)
			case 1:
				w = append(w[:i], append([]string{w[j]}, w[i:]...)...)
			default:
				w[i], w[j] = w[j], w[i]
			}
			checkParseProperties(t, strings.Join(w, " "))
		}
	}
}

// checkParseProperties asserts S1-S3 for one input.
func checkParseProperties(t *testing.T, q string) {
	t.Helper()
	{
		stmts, err := Parse(q)
		if err != nil {
			var pe *pgerror.Error
			if !errors.As(err, &pe) || pe.Code == pgerror.Internal {
				t.Fatalf("rejected without a user-facing SQLSTATE: %v", err)
			}
			if strings.HasPrefix(pe.Message, "could not") {
				t.Fatalf("internal failure: %v", pe.Message)
			}
			return
		}
		for _, s := range stmts {
			text := FormatStatement(s.Stmt)
			again, err := Parse(text)
			if err != nil {
				t.Fatalf("formatted statement does not parse: %v\ninput: %q\nformatted: %q", err, q, text)
			}
			if len(again) != 1 || !reflect.DeepEqual(stripPos(s.Stmt), stripPos(again[0].Stmt)) {
				t.Fatalf("round trip differs\ninput: %q\nformatted: %q", q, text)
			}
		}
	}
}

// goldenInputs returns the inputs of testdata/parse and testdata/psql.
func goldenInputs(tb testing.TB) []string {
	var out []string
	files, _ := filepath.Glob("testdata/parse/*")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		for _, block := range strings.Split(string(b), "\n\n") {
			lines := strings.Split(block, "\n")
			var in []string
			for _, l := range lines[1:] {
				if l == "----" {
					break
				}
				in = append(in, l)
			}
			if len(in) > 0 {
				out = append(out, strings.Join(in, "\n"))
			}
		}
	}
	psql, _ := filepath.Glob("testdata/psql/*.sql")
	for _, f := range psql {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}
