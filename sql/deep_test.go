package sql

import (
	"strings"
	"testing"
)

// TestDeepNesting checks that deeply nested input is handled (S2) in reasonable time.
func TestDeepNesting(t *testing.T) {
	for _, n := range []int{100, 5000} {
		q := "SELECT " + strings.Repeat("(", n) + "1" + strings.Repeat(")", n)
		if _, err := Parse(q); err != nil {
			t.Errorf("depth %d: %s", n, describeErr(err))
		}
		q = "SELECT " + strings.Repeat("- ", n) + "1"
		if _, err := Parse(q); err != nil {
			t.Errorf("depth %d: %s", n, describeErr(err))
		}
		q = "SELECT " + strings.Repeat("ARRAY[", n) + "1" + strings.Repeat("]", n)
		if _, err := Parse(q); err != nil {
			t.Errorf("depth %d: %s", n, describeErr(err))
		}
	}
}
