package catalog

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/itspm/itspm/internal/gencatalog"
)

// TestProblemsDeepInABigFile: Parse keeps no YAML nodes, so Check reads
// documents with validation problems again to find their lines; problems in
// the 9,000th document of a generated file (and in an earlier one) are still
// reported at their exact lines, next to a problem Parse itself found in
// the same document.
func TestProblemsDeepInABigFile(t *testing.T) {
	if testing.Short() {
		t.Skip("parses 9,000 services")
	}
	var buf bytes.Buffer
	if err := Export(&buf, gencatalog.Generate(9000, 7, "2026-11-27")); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(buf.String(), "\n")
	var starts []int // index of each document's first line
	for i, l := range lines {
		if l == "apiVersion: "+APIVersion {
			starts = append(starts, i)
		}
	}
	if len(starts) < 9000 {
		t.Fatalf("%d documents, want at least 9,000", len(starts))
	}
	// find is the index of the first line of document doc that starts
	// with prefix.
	find := func(doc int, prefix string) int {
		t.Helper()
		end := len(lines)
		if doc+1 < len(starts) {
			end = starts[doc+1]
		}
		for i := starts[doc]; i < end; i++ {
			if strings.HasPrefix(lines[i], prefix) {
				return i
			}
		}
		t.Fatalf("document %d has no line starting %q", doc, prefix)
		return 0
	}

	deep, early := 8999, 300
	lines[find(deep, "  owner: ")] = "  owner: nobody"
	month := find(deep, "      - {month: ") + 1 // the second month of spec.cost.monthly
	lines[month] = strings.Replace(lines[month], "month: 2026-", "month: 2026-1", 1)
	lines[find(early, "  owner: ")] = "  owner: nobody"
	tier := find(deep, "  tier: ")
	lines = append(lines[:tier+1], append([]string{"  colour: blue"}, lines[tier+1:]...)...)
	data := []byte(strings.Join(lines, "\n"))

	// Lines are 1-based; the documents after the inserted line moved down
	// by one, which the deep document's fields after it did too.
	earlyOwner := find(early, "  owner: ") + 1
	deepOwner := find(deep, "  owner: ") + 1
	colour := tier + 2
	deepMonth := month + 2
	want := []string{
		fmt.Sprintf("gen.yaml:%d: spec.owner: unknown person \"nobody\"", earlyOwner),
		fmt.Sprintf("gen.yaml:%d: spec.owner: unknown person \"nobody\"", deepOwner),
		fmt.Sprintf("gen.yaml:%d: unknown field \"colour\" in spec", colour),
		fmt.Sprintf("gen.yaml:%d: spec.cost.monthly[1].month: %q is not a month (want YYYY-MM)", deepMonth, strings.TrimSuffix(strings.Fields(lines[deepMonth-1])[2], ",")),
	}
	if got := lines[deepMonth-1]; !strings.Contains(got, "month: 2026-1") {
		t.Fatalf("line %d is %q, not the month changed", deepMonth, got)
	}
	got := problems([]File{{Path: "gen.yaml", Data: data}}, nil)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}
