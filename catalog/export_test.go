package catalog

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/itspm/itspm/domain"
)

// richCatalog sets every field of every kind (TestRichCatalogIsComplete
// keeps it that way as the domain grows), with text that YAML would
// misread if written carelessly. It is valid, and deliberately unsorted.
func richCatalog() *domain.Catalog {
	return &domain.Catalog{
		People: []domain.Person{
			{Name: "lee", PersonSpec: domain.PersonSpec{DisplayName: "Lee Chen", Email: "lee@example.com", SlackUser: "U0LEE"}},
			{Name: "dana", PersonSpec: domain.PersonSpec{DisplayName: "Dana O'Ortiz: \"DO\"", Email: "dana@example.com", SlackUser: "W0DANA"}},
			{Name: "nobody-in-particular", Annotations: map[string]string{RefAnnotation: "user:development/nobody.in_particular"}},
			{Name: "123", PersonSpec: domain.PersonSpec{DisplayName: "true"}},
		},
		Portfolios: []domain.Portfolio{
			{Name: "workplace", Annotations: map[string]string{RefAnnotation: "domain:default/workplace", "note": "true"}, PortfolioSpec: domain.PortfolioSpec{Title: "Workplace & Services #1", Manager: "dana", Channel: "C0WORKPLACE"}},
		},
		Boards: []domain.Board{
			{Name: "design-authority", Annotations: map[string]string{RefAnnotation: "group:default/design-authority"}, BoardSpec: domain.BoardSpec{Title: "Design Authority", Members: []string{"dana", "lee", "123"}, Channel: "G0BOARD"}},
		},
		Tollgates: []domain.Tollgate{
			{Name: "tg-transition", TollgateSpec: domain.TollgateSpec{
				From: domain.StageDesign, To: domain.StageTransition, Board: "design-authority", Quorum: 2,
				Criteria: []string{"Service design package approved", "Cost model agreed, signed", "[draft] reviewed", "key: value", "- dash", "  leading and trailing  ", "null", "2026-05-04"},
			}},
		},
		Services: []domain.Service{
			{
				Name:        "payroll",
				Annotations: map[string]string{RefAnnotation: "component:default/payroll", "z/long": strings.Repeat("long text ", 12)},
				Title:       "Payroll: monthly # not a comment",
				Aliases:     []string{"pay", "yes", "1.5", "~"},
				Tags:        []string{"hr", "on", "2026-05-04"},
				ServiceSpec: domain.ServiceSpec{
					Description: "Monthly salary calculation and payment.\n  Indented second line: with colon.\nÜnïcødé ✓ and a tab\there.\n",
					Portfolio:   "workplace",
					Owner:       "lee",
					Stage:       domain.StageOperate,
					Tier:        1,
					Channel:     "C0PAYROLL",
					DependsOn:   []string{"identity", "hr-core"},
					Strategy:    &domain.Strategy{Why: "Pay staff correctly and on time.", AvailableFrom: "2021-04-01"},
					VendorProducts: []domain.VendorProduct{
						{Vendor: "SAP", Product: "SuccessFactors Payroll", ContractEnds: "2027-03-31", AnnualCost: 120000},
						{Vendor: "Tiny, Inc.", AnnualCost: 0.1},
					},
					Cost: &domain.Cost{
						Currency: "EUR", ChargingModel: "per-user", UnitPrice: 4.5,
						TCO:       domain.TCO{Licenses: 120000, Infrastructure: 40000, Labor: 90000.75, Support: 1e-7},
						Recovered: 1e21,
						Monthly: []domain.MonthCost{
							{Month: "2026-09", Budget: 22000, Actual: 23500},
							{Month: "2026-10", Budget: 1234567.891},
						},
					},
					SLA: []domain.SLATarget{
						{KPI: "availability", Target: 99.9, Unit: "percent"},
						{KPI: "p95-latency", Target: 800, Unit: "ms", BetterWhen: "lower",
							Query: `1000 * histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{job="payroll", path=~"/api/.*"}[5m])))`},
						{KPI: "errors", Target: -1, BetterWhen: "higher"},
					},
					Performance: &domain.Performance{
						ReviewEvery: domain.Quarterly,
						LastReview:  "2026-08-15",
						Measurements: []domain.Measurement{
							{KPI: "availability", Month: "2026-09", Value: 99.95},
							{KPI: "errors", Month: "2026-09", Value: 0},
							{KPI: "p95-latency", Month: "2026-09", Value: 612.5, Source: domain.SourcePrometheus},
						},
					},
					Roadmap: []domain.RoadmapItem{
						{Title: "Self-service payslips", Due: "2026-12-15", Status: "in-progress", Cost: 50000},
						{Title: "{braces} and [brackets]"},
					},
					Continuity: &domain.Continuity{
						RTO: "4h", RPO: "15m", Plan: "https://wiki.example.com/payroll-dr#plan", TestEvery: domain.Semiannual,
						LastTest: &domain.DRTest{Date: "2026-05-04", Result: "pass", Notes: "Failover took 3h 10m; see: ticket #42", RecordedBy: "lee"},
					},
					Improvements: []domain.Improvement{
						{Title: "Cut month-end batch time by half", Status: "in-progress", Due: "2027-01-31", Owner: "lee"},
					},
				},
			},
			{
				Name: "identity",
				ServiceSpec: domain.ServiceSpec{
					Portfolio: "workplace", Owner: "dana", Stage: domain.StageDesign,
					// Present but empty: must come back present.
					Strategy: &domain.Strategy{}, Cost: &domain.Cost{}, Performance: &domain.Performance{}, Continuity: &domain.Continuity{LastTest: &domain.DRTest{Date: "2026-01-02", Result: "fail"}},
				},
			},
			{Name: "hr-core", ServiceSpec: domain.ServiceSpec{Portfolio: "workplace", Owner: "dana", Stage: domain.StageRetirement, Tier: 4}},
		},
	}
}

// sortedCatalog is cat in export order.
func sortedCatalog(cat *domain.Catalog) *domain.Catalog {
	c := *cat
	c.People = slices.Clone(c.People)
	c.Portfolios = slices.Clone(c.Portfolios)
	c.Boards = slices.Clone(c.Boards)
	c.Tollgates = slices.Clone(c.Tollgates)
	c.Services = slices.Clone(c.Services)
	sort.Slice(c.People, func(i, j int) bool { return c.People[i].Name < c.People[j].Name })
	sort.Slice(c.Portfolios, func(i, j int) bool { return c.Portfolios[i].Name < c.Portfolios[j].Name })
	sort.Slice(c.Boards, func(i, j int) bool { return c.Boards[i].Name < c.Boards[j].Name })
	sort.Slice(c.Tollgates, func(i, j int) bool { return c.Tollgates[i].Name < c.Tollgates[j].Name })
	sort.Slice(c.Services, func(i, j int) bool { return c.Services[i].Name < c.Services[j].Name })
	return &c
}

// roundTrip exports cat, parses the output and checks it is cat again.
func roundTrip(t *testing.T, cat *domain.Catalog) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Export(&buf, cat); err != nil {
		t.Fatal(err)
	}
	set, errs := Parse([]File{{Path: "export.yaml", Data: buf.Bytes()}})
	if len(errs) > 0 {
		t.Fatalf("parse the export:\n%v\n%s", errs, buf.String())
	}
	if errs := set.Check(nil); len(errs) > 0 {
		t.Errorf("check the export:\n%v", errs)
	}
	if diff := cmp.Diff(sortedCatalog(cat), &set.Catalog); diff != "" {
		t.Errorf("export then import (-want +got):\n%s\n%s", diff, buf.String())
	}
	return buf.Bytes()
}

func TestExportRoundTrip(t *testing.T) {
	cat := richCatalog()
	if errs := (&Set{Catalog: *cat}).Check(nil); len(errs) > 0 {
		// Check on a set without positions still reports (at line 0).
		t.Fatalf("rich catalog is not valid: %v", errs)
	}
	out := roundTrip(t, cat)

	text := string(out)
	for _, want := range []string{
		"# ITSPM catalog (itspm/v1): 4 people, 1 portfolio, 1 board, 1 tollgate, 3 services.\n",
		"apiVersion: itspm/v1\nkind: Person\nmetadata: {name: \"123\"}\nspec: {displayName: \"true\"}\n---\n",
		"metadata:\n  name: nobody-in-particular\n  annotations: {itspm/backstage-ref: 'user:development/nobody.in_particular'}\nspec: {}\n",
		"    lastTest: {date: 2026-05-04, result: pass",
		"      - {month: 2026-09, budget: 22000, actual: 23500}\n",
		"  description: |\n",
		"    recovered: 1e+21\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("export lacks %q:\n%s", want, text)
		}
	}
	// Kinds in dependency order, names sorted.
	var order []string
	for _, line := range strings.Split(text, "\n") {
		if k, ok := strings.CutPrefix(line, "kind: "); ok {
			order = append(order, k)
		}
	}
	if !slices.IsSortedFunc(order, func(a, b string) int { return slices.Index(domain.Kinds, a) - slices.Index(domain.Kinds, b) }) {
		t.Errorf("kinds out of order: %v", order)
	}
	if i, j := strings.Index(text, "name: \"123\""), strings.Index(text, "name: dana"); i > j {
		t.Error("people are not sorted by name")
	}
}

func TestExportEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := Export(&buf, &domain.Catalog{}); err != nil {
		t.Fatal(err)
	}
	set, errs := Parse([]File{{Path: "empty.yaml", Data: buf.Bytes()}})
	if len(errs) > 0 || set.Catalog.Len() != 0 {
		t.Errorf("empty export %q: %v, %d documents", buf.String(), errs, set.Catalog.Len())
	}
}

// TestRichCatalogIsComplete fails when a domain type gains a field that
// richCatalog does not set, so the round trip keeps covering every field.
func TestRichCatalogIsComplete(t *testing.T) {
	all, set := map[string]bool{}, map[string]bool{}
	var visit func(v reflect.Value)
	visit = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() {
				visit(reflect.New(v.Type().Elem()).Elem())
			} else {
				visit(v.Elem())
			}
		case reflect.Slice:
			if v.Len() == 0 {
				visit(reflect.New(v.Type().Elem()).Elem())
			}
			for i := 0; i < v.Len(); i++ {
				visit(v.Index(i))
			}
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				f := v.Type().Field(i)
				key := v.Type().Name() + "." + f.Name
				all[key] = true
				if !v.Field(i).IsZero() {
					set[key] = true
				}
				visit(v.Field(i))
			}
		}
	}
	visit(reflect.ValueOf(richCatalog()).Elem())
	var missing []string
	for k := range all {
		if !set[k] {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("richCatalog leaves these fields unset: %v", missing)
	}
}

// The sample catalog (written alongside) must parse, be valid and survive
// an export round trip. Read as files, not through package sample.
func TestSampleRoundTrip(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("sample", "*.yaml"))
	if len(paths) == 0 {
		t.Skip("no sample catalog")
	}
	files, err := ReadFS(os.DirFS("sample"))
	if err != nil {
		t.Fatal(err)
	}
	set, errs := Parse(files)
	errs = append(errs, set.Check(nil)...)
	if len(errs) > 0 {
		t.Fatalf("sample catalog:\n%v", errs)
	}
	if set.Catalog.Len() == 0 {
		t.Fatal("sample catalog is empty")
	}
	roundTrip(t, &set.Catalog)
}
