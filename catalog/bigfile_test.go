package catalog

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// bigFile is a valid catalog file of n services (after a person and a
// portfolio), each document written alike, block and flow style mixed:
//
//	1  apiVersion: itspm/v1
//	2  kind: Service
//	3  metadata: {name: svc-N}
//	4  spec:
//	5    portfolio: workplace
//	6    owner: dana
//	7    stage: operate
//	8    cost:
//	9      monthly:
//	10       - {month: 2026-09, budget: 100}
//	11       - month: 2026-10
//	12         budget: 100
//	13   sla: [{kpi: availability, target: 99.9}]
//	14 ---
func bigFile(n int) []string {
	lines := []string{
		"# generated",
		"apiVersion: itspm/v1", "kind: Person", "metadata: {name: dana}", "spec: {}", "---",
		"apiVersion: itspm/v1", "kind: Portfolio", "metadata: {name: workplace}", "spec: {title: Workplace}",
	}
	for i := range n {
		lines = append(lines, "---",
			"apiVersion: itspm/v1", "kind: Service", fmt.Sprintf("metadata: {name: svc-%05d}", i), "spec:",
			"  portfolio: workplace", "  owner: dana", "  stage: operate",
			"  cost:", "    monthly:", "      - {month: 2026-09, budget: 100}", "      - month: 2026-10", "        budget: 100",
			"  sla: [{kpi: availability, target: 99.9}]")
	}
	return append(lines, "")
}

// TestProblemsDeepInABigFile: Parse keeps no YAML nodes, so Check reads
// documents with validation problems again to find their lines; problems in
// the 9,000th document of a big file (and in an earlier one) are still
// reported at their exact lines, next to a problem Parse itself found in
// the same document and one in a document between them.
func TestProblemsDeepInABigFile(t *testing.T) {
	lines := bigFile(9500)
	var starts []int // index of each document's first line
	for i, l := range lines {
		if l == "apiVersion: "+APIVersion {
			starts = append(starts, i)
		}
	}
	// at is the index of the line of document doc (0-based) that starts
	// with prefix.
	at := func(doc int, prefix string) int {
		t.Helper()
		for i := starts[doc]; i < len(lines) && (doc+1 == len(starts) || i < starts[doc+1]); i++ {
			if strings.HasPrefix(lines[i], prefix) {
				return i
			}
		}
		t.Fatalf("document %d has no line starting %q", doc, prefix)
		return 0
	}
	early, middle, deep := 300, 5000, 8999
	earlyOwner := at(early, "  owner: ")
	lines[earlyOwner] = "  owner: nobody"
	middleStage := at(middle, "  stage: ")
	lines[middleStage] = "  stage: [operate]" // a type error, found by Parse
	deepOwner := at(deep, "  owner: ")
	lines[deepOwner] = "  owner: nobody"
	deepMonth := at(deep, "      - month: ") // spec.cost.monthly[1]
	lines[deepMonth] = "      - month: 2026-13"
	deepKPI := at(deep, "  sla: ")
	lines[deepKPI] = "  sla: [{kpi: availability, target: 99.9}, {kpi: Bad KPI, target: 1}]"
	deepField := at(deep, "  stage: ") + 1
	lines = append(lines[:deepField], append([]string{"  colour: blue"}, lines[deepField:]...)...)
	// The inserted line moved what follows it down by one.
	deepMonth++
	deepKPI++
	data := strings.Join(lines, "\n")

	want := []string{
		fmt.Sprintf(`gen.yaml:%d: spec.owner: unknown person "nobody"`, earlyOwner+1),
		fmt.Sprintf(`gen.yaml:%d: spec.stage: expected a text value, got a list`, middleStage+1),
		fmt.Sprintf(`gen.yaml:%d: spec.owner: unknown person "nobody"`, deepOwner+1),
		fmt.Sprintf(`gen.yaml:%d: unknown field "colour" in spec`, deepField+1),
		fmt.Sprintf(`gen.yaml:%d: spec.cost.monthly[1].month: "2026-13" is not a month (want YYYY-MM)`, deepMonth+1),
		fmt.Sprintf(`gen.yaml:%d: spec.sla[1].kpi: "Bad KPI" is not a KPI name (lowercase letters, digits and '-')`, deepKPI+1),
	}
	got := problems([]File{{Path: "gen.yaml", Data: []byte(data)}}, nil)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}
