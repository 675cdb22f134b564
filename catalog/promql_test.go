package catalog

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/itspm/itspm/domain"
)

const promqlService = `apiVersion: itspm/v1
kind: Person
metadata: {name: lee}
spec: {slackUser: U0LEE}
---
apiVersion: itspm/v1
kind: Portfolio
metadata: {name: workplace}
spec: {manager: lee}
---
apiVersion: itspm/v1
kind: Service
metadata: {name: payroll}
spec:
  owner: lee
  portfolio: workplace
  stage: operate
  sla:
    - {kpi: availability, target: 99.9, unit: percent, query: 'QUERY'}
  performance:
    measurements:
      - {kpi: availability, month: 2026-09, value: 99.95, source: SOURCE}
`

func TestSLAQueryIsCheckedOnImport(t *testing.T) {
	for _, tc := range []struct {
		name, query, source string
		want                string // "" = valid; else in the error, at the line of field
		field               string
	}{
		{"gauge", `avg(up{job="payroll"}) * 100`, "prometheus", "", ""},
		{"typed source", `sum(rate(http_requests_total{code!~"5.."}[5m])) / sum(rate(http_requests_total[5m]))`, "typed", "", ""},
		{"syntax error", `avg(up{job="payroll"}`, "prometheus", "not valid PromQL", "query:"},
		{"unknown function", `avarage(up)`, "prometheus", "not valid PromQL", "query:"},
		{"range vector", `up{job="payroll"}[5m]`, "prometheus", "range vector", "query:"},
		{"scalar", `99.9`, "prometheus", "scalar", "query:"},
		{"bad source", `up`, "grafana", `"grafana" is not one of typed, prometheus`, "source:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := strings.ReplaceAll(promqlService, "QUERY", strings.ReplaceAll(tc.query, "'", "''"))
			text = strings.ReplaceAll(text, "SOURCE", tc.source)
			set, errs := Parse([]File{{Path: "svc.yaml", Data: []byte(text)}})
			if len(errs) == 0 {
				errs = set.Check(nil)
			}
			if tc.want == "" {
				if len(errs) > 0 {
					t.Fatalf("valid query rejected: %v", errs)
				}
				got := set.Catalog.Services[0]
				if got.SLA[0].Query != tc.query || got.Performance.Measurements[0].Source != tc.source {
					t.Errorf("decoded %+v / %+v", got.SLA[0], got.Performance.Measurements[0])
				}
				return
			}
			line := 0
			for i, l := range strings.Split(text, "\n") {
				if strings.Contains(l, tc.field) {
					line = i + 1
				}
			}
			if len(errs) != 1 {
				t.Fatalf("want one error containing %q, got %v", tc.want, errs)
			}
			if !strings.Contains(errs[0].Message, tc.want) || errs[0].Line != line || errs[0].File != "svc.yaml" {
				t.Errorf("got %s:%d: %s; want line %d with %q", errs[0].File, errs[0].Line, errs[0].Message, line, tc.want)
			}
		})
	}
}

// A catalog with queries and Prometheus measurements exports, imports and
// exports again to the same bytes; and the sample catalog (no sources, no
// queries) exports without either field, as it did before they existed.
func TestSLAQueryAndSourceRoundTripByteForByte(t *testing.T) {
	first := roundTrip(t, richCatalog())
	set, errs := Parse([]File{{Path: "export.yaml", Data: first}})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var second bytes.Buffer
	if err := Export(&second, &set.Catalog); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second.Bytes()) {
		t.Errorf("second export differs:\n%s\n---\n%s", first, second.String())
	}
	for _, want := range []string{"query: 1000 * histogram_quantile(", "source: prometheus}"} {
		if !strings.Contains(string(first), want) {
			t.Errorf("export lacks %q:\n%s", want, first)
		}
	}

	files, err := ReadFS(os.DirFS("sample"))
	if err != nil {
		t.Fatal(err)
	}
	sample, errs := Parse(files)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var out bytes.Buffer
	if err := Export(&out, &sample.Catalog); err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"source:", "query:"} {
		if strings.Contains(out.String(), field) {
			t.Errorf("the sample's export gained %q", field)
		}
	}
}

// The itspm/sla annotation of a Backstage component carries queries too,
// checked the same way.
func TestBackstageSLAQuery(t *testing.T) {
	doc := `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payroll
  annotations:
    itspm/sla: '[{kpi: availability, target: 99.9, unit: percent, query: "avg(up{job=\"payroll\"}) * 100"}, {kpi: latency, target: 1, query: "rate(x[5m]"}]'
spec: {type: service, lifecycle: production, owner: lee}
`
	set, errs := Parse([]File{{Path: "catalog-info.yaml", Data: []byte(doc)}})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var svc *domain.Service
	for i := range set.Catalog.Services {
		svc = &set.Catalog.Services[i]
	}
	if svc == nil || len(svc.SLA) != 2 || svc.SLA[0].Query != `avg(up{job="payroll"}) * 100` {
		t.Fatalf("annotation not decoded: %+v", svc)
	}
	var found bool
	for _, e := range set.Check(nil) {
		if strings.Contains(e.Message, "query") && strings.Contains(e.Message, "not valid PromQL") {
			found = true
		}
	}
	if !found {
		t.Errorf("the broken query of the second entry was not reported: %v", set.Check(nil))
	}
}
