package main

import (
	"os/exec"
	"strings"
	"testing"
)

// layerRank orders eddy's layers: a package may import only layers of lower rank (DESIGN.md).
// sql/pgerror and sql/types are the shared vocabulary every layer may use.
var layerRank = map[string]int{
	"sql":        0,
	"storage":    1,
	"executor":   2,
	"planner":    3,
	"raftlog":    3,
	"connectors": 3,
	"server":     4,
	"cmd":        5,
}

const module = "github.com/eddydb/eddy/"

func layerOf(pkg string) string {
	if !strings.HasPrefix(pkg, module) {
		return ""
	}
	rest := strings.TrimPrefix(pkg, module)
	if rest == "sql/pgerror" || rest == "sql/types" {
		return "vocabulary"
	}
	top, _, _ := strings.Cut(rest, "/")
	return top
}

func allowed(from, to string) bool {
	if to == "vocabulary" || from == to {
		return true
	}
	if from == "vocabulary" {
		return false
	}
	fr, ok1 := layerRank[from]
	tr, ok2 := layerRank[to]
	if !ok1 || !ok2 {
		return false
	}
	// raftlog drives storage (the FSM applies into it); planner and connectors sit on executor.
	return tr < fr
}

// TestLayers checks that imports between eddy's packages point down the layer stack only.
func TestLayers(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "../../...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := fields[0]
		from := layerOf(pkg)
		for _, imp := range fields[1:] {
			to := layerOf(imp)
			if to == "" || from == "" {
				continue
			}
			if !allowed(from, to) {
				t.Errorf("%s imports %s: layer %s may not import layer %s", pkg, imp, from, to)
			}
		}
	}
}
