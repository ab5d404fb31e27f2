package fn

import (
	"testing"

	"github.com/eddydb/eddy/sql/types"
)

// LIKE with ESCAPE has no function form in PostgreSQL's SQL, so these expectations are written
// by hand from `x LIKE p ESCAPE e`.
func TestLikeEscape(t *testing.T) {
	txt := types.TextT
	runCases(t, []evalCase{
		{kind: "fn", name: "like", args: []arg{a(txt, "a%c", "abc", "a_c"), a(txt, "a#%c", "a#%c", "a__c"), a(txt, "#", "#", "")}, want: "t|f|f"},
		{kind: "fn", name: "ilike", args: []arg{a(txt, "ABC", "xbc"), a(txt, "a%", "a%")}, want: "t|f"},
		{kind: "fn", name: "ilike", args: []arg{a(txt, "A%C"), a(txt, "a!%c"), a(txt, "!")}, want: "t"},
		{kind: "fn", name: "like", args: []arg{a(txt, "abc"), a(txt, "a%"), a(txt, "##")}, want: "22019 invalid escape string"},
		{kind: "fn", name: "not_like", args: []arg{a(txt, "abc", "NULL"), a(txt, "a%", "a")}, want: "f|NULL"},
		{kind: "fn", name: "like", args: []arg{a(txt, "a.*c"), a(txt, "a.*c")}, want: "t"},
		{kind: "fn", name: "like", args: []arg{a(txt, "a.c"), a(txt, "a.*c")}, want: "f"},
	})
}
