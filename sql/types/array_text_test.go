package types

import (
	"fmt"
	"testing"
)

func TestSplitArrayText(t *testing.T) {
	show := func(es []*string) string {
		s := "["
		for i, e := range es {
			if i > 0 {
				s += " "
			}
			if e == nil {
				s += "NULL"
			} else {
				s += fmt.Sprintf("%q", *e)
			}
		}
		return s + "]"
	}
	for _, c := range []struct {
		in   string
		want string // "bad" for malformed
	}{
		{`{}`, `[]`},
		{`{ }`, `[]`},
		{`{a,b}`, `["a" "b"]`},
		{`{ a , b }`, `["a" "b"]`},
		{`{"a b",NULL,null,"NULL"}`, `["a b" NULL NULL "NULL"]`},
		{`{"x\"y",a\,b}`, `["x\"y" "a,b"]`},
		{`{a,}`, `bad`},
		{`{a,,b}`, `bad`},
		{`{"a}`, `bad`},
		{`a,b`, `bad`},
		{`{"a"b}`, `bad`},
	} {
		got, ok := SplitArrayText(c.in)
		g := show(got)
		if !ok {
			g = "bad"
		}
		if g != c.want {
			t.Errorf("SplitArrayText(%s) = %s, want %s", c.in, g, c.want)
		}
	}
}
