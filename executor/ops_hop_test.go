package executor_test

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/eddydb/eddy/executor"
	"github.com/eddydb/eddy/sql/pgerror"
	"github.com/eddydb/eddy/sql/types"
)

const sec = int64(1_000_000)

// hopStarts lists the window starts of t the slow way: every aligned start s with
// s <= t < s+size.
func hopStarts(t, slide, size, offset int64) []int64 {
	var out []int64
	for s := offset + (t/slide-size/slide-2)*slide; s <= t+slide; s += slide {
		if s <= t && t < s+size {
			out = append(out, s)
		}
	}
	return out
}

func TestHopWindowStarts(t *testing.T) {
	cases := []struct {
		t, slide, size, offset int64
		first                  int64
	}{
		{t: 0, slide: 10 * sec, size: 10 * sec, first: 0},                              // on a boundary: opens it
		{t: 10*sec - 1, slide: 10 * sec, size: 10 * sec, first: 0},                     // last microsecond of [0, 10s)
		{t: -1, slide: 10 * sec, size: 10 * sec, first: -10 * sec},                     // before 1970: rounds down
		{t: -10 * sec, slide: 10 * sec, size: 10 * sec, first: -10 * sec},              // negative boundary
		{t: -10*sec - 1, slide: 10 * sec, size: 10 * sec, first: -20 * sec},            // just before it
		{t: 5 * sec, slide: 2 * sec, size: 10 * sec, first: -4 * sec},                  // 5 windows: -4, -2, 0, 2, 4
		{t: 4 * sec, slide: 2 * sec, size: 10 * sec, first: -4 * sec},                  // on a slide boundary
		{t: -3 * sec, slide: 2 * sec, size: 10 * sec, first: -12 * sec},                // -12 .. -4
		{t: 0, slide: 10 * sec, size: 10 * sec, offset: 3 * sec, first: -7 * sec},      // offset
		{t: 3 * sec, slide: 10 * sec, size: 10 * sec, offset: 3 * sec, first: 3 * sec}, // offset boundary
	}
	for _, c := range cases {
		got, err := executor.HopWindowStarts(c.t, c.slide, c.size, c.offset)
		if err != nil || got != c.first {
			t.Errorf("HopWindowStarts(%d, %d, %d, %d) = %d, %v; want %d", c.t, c.slide, c.size, c.offset, got, err, c.first)
		}
	}
	// Against the definition, around zero and on every kind of boundary.
	for _, w := range [][3]int64{{1, 1, 0}, {2, 10, 0}, {5, 15, 1}, {3, 3, 2}, {7, 21, 6}} {
		slide, size, offset := w[0]*sec, w[1]*sec, w[2]*sec
		for t0 := -30 * sec; t0 <= 30*sec; t0 += sec / 2 {
			for _, tt := range []int64{t0 - 1, t0, t0 + 1} {
				first, err := executor.HopWindowStarts(tt, slide, size, offset)
				if err != nil {
					t.Fatal(err)
				}
				var got []int64
				for k := int64(0); k < size/slide; k++ {
					got = append(got, first+k*slide)
				}
				if want := hopStarts(tt, slide, size, offset); !slices.Equal(got, want) {
					t.Fatalf("t=%d slide=%d size=%d offset=%d: starts %v, want %v", tt, slide, size, offset, got, want)
				}
			}
		}
	}
	// Infinite timestamps have no window.
	for _, tt := range []int64{math.MaxInt64, math.MinInt64, math.MaxInt64 - 1} {
		_, err := executor.HopWindowStarts(tt, 2*sec, 10*sec, 0)
		if pe := pgerror.As(err); pe == nil || pe.Code != pgerror.DatetimeFieldOverflow {
			t.Errorf("t=%d: error %v, want 22008", tt, err)
		}
	}
	if _, err := executor.HopWindowStarts(0, 3*sec, 10*sec, 0); err == nil {
		t.Error("size not a multiple of slide: no error")
	}
}

// TestHopWindowOperator runs a HopWindow over VALUES: NULL times drop out, every other row is
// repeated once per window, window columns keep the time column's type, and the node
// survives a gob round trip.
func TestHopWindowOperator(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for _, tt := range []types.T{types.TimestampT, types.TimestampTZT} {
		vals := &executor.Values{Out: executor.Out{Types: []types.T{types.Int8T, tt}}}
		for i, v := range []any{int64(-1), nil, 4 * sec, int64(0)} {
			vals.Rows = append(vals.Rows, []executor.Expr{&executor.Const{Value: int64(i + 1), T: types.Int8T}, &executor.Const{Value: v, T: tt}})
		}
		var root executor.Node = &executor.HopWindow{Out: executor.Out{Types: []types.T{types.Int8T, tt, tt, tt}},
			Input: vals, TimeCol: 1, Slide: 2 * sec, Size: 6 * sec}
		var buf bytes.Buffer
		if err := gob.NewEncoder(&buf).Encode(&root); err != nil {
			t.Fatal(err)
		}
		var back executor.Node
		if err := gob.NewDecoder(&buf).Decode(&back); err != nil {
			t.Fatal(err)
		}
		rows := runAll(t, back, &executor.ExecContext{Mem: mem})
		got := fmt.Sprint(rows)
		s := func(k int64) int64 { return k * sec }
		want := fmt.Sprint([][]any{
			{int64(1), int64(-1), s(-6), s(0)}, {int64(1), int64(-1), s(-4), s(2)}, {int64(1), int64(-1), s(-2), s(4)},
			{int64(3), s(4), s(0), s(6)}, {int64(3), s(4), s(2), s(8)}, {int64(3), s(4), s(4), s(10)},
			{int64(4), int64(0), s(-4), s(2)}, {int64(4), int64(0), s(-2), s(4)}, {int64(4), int64(0), s(0), s(6)},
		})
		if got != want {
			t.Errorf("%s:\n got %s\nwant %s", tt, got, want)
		}
		if lines := executor.Explain(back); lines[0] != "Hop Window (slide 00:00:02, size 00:00:06)" {
			t.Errorf("explain: %q", lines)
		}
	}
}
