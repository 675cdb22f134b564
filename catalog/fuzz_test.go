package catalog

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParse: parsing never panics, and whatever parses cleanly survives an
// export round trip.
func FuzzParse(f *testing.F) {
	f.Add([]byte(baseYAML))
	f.Add([]byte(backstageYAML))
	f.Add([]byte(svc(with("cost: {tco: {labor: 5}, monthly: [{month: 2026-09}]}", "sla: [{kpi: a, target: 1}]")...)))
	f.Add([]byte("a: &a [x]\nb: *a\n<<: {c: 1}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		set, errs := Parse([]File{{Path: "f.yaml", Data: data}})
		set.Check(nil)
		if len(errs) > 0 {
			return
		}
		var buf bytes.Buffer
		if err := Export(&buf, &set.Catalog); err != nil {
			t.Fatal(err)
		}
		again, errs := Parse([]File{{Path: "export.yaml", Data: buf.Bytes()}})
		if len(errs) > 0 {
			t.Fatalf("export does not parse: %v\n%s", errs, buf.String())
		}
		if diff := cmp.Diff(sortedCatalog(&set.Catalog), &again.Catalog, emptyEqual); diff != "" {
			t.Fatalf("round trip (-want +got):\n%s\n%s", diff, buf.String())
		}
	})
}
