package llm

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/internal/fakeopenai"
)

// parserList is what the built-in parser lists for a question: the
// service each section line starts with.
func parserList(t *testing.T, e *commands.Engine, snap *domain.Snapshot, q string) []string {
	t.Helper()
	r, err := e.Handle(context.Background(), lee, q)
	if err != nil {
		t.Fatalf("%q: %v", q, err)
	}
	var out []string
	for _, sec := range r.Sections {
		for _, l := range sec.Lines {
			best := ""
			for _, n := range snap.ServiceNames() {
				lab := commands.ServiceLabel(snap.Services[n])
				if strings.HasPrefix(l, lab) && len(lab) > len(commands.ServiceLabel(snapOr(snap, best))) {
					best = n
				}
			}
			if best != "" && !slices.Contains(out, best) {
				out = append(out, best)
			}
		}
	}
	sort.Strings(out)
	return out
}

func snapOr(snap *domain.Snapshot, n string) *domain.Service {
	if s, ok := snap.Services[n]; ok {
		return s
	}
	return &domain.Service{}
}

// toolList is the services a list_services result holds.
func toolList(t *testing.T, result string) []string {
	t.Helper()
	var res struct {
		Error    string
		Count    int
		Services []struct{ Name string }
	}
	if err := json.Unmarshal([]byte(result), &res); err != nil || res.Error != "" {
		t.Fatalf("list_services result %s (%v)", result, err)
	}
	var out []string
	for _, s := range res.Services {
		out = append(out, s.Name)
	}
	if res.Count != len(out) {
		t.Errorf("count %d for %d services", res.Count, len(out))
	}
	sort.Strings(out)
	return out
}

// The list_services tool takes the parser's filters as typed arguments:
// for the same question, a model's call and the built-in parser list the
// same services (issue 17).
func TestListServicesAgreesWithTheParser(t *testing.T) {
	e, st := sampleEngine(t, nil)
	snap, err := st.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ q, args string }{
		{"which tier 1 services have an RTO under 4 hours?", `{"tier":[1],"compare":[{"measure":"rto","op":"<","value":240}]}`},
		{"which services are charged per user?", `{"charging_model":["per-user"]}`},
		{"top 3 services by cost", `{"order_by":{"measure":"annual_tco","direction":"highest","limit":3}}`},
		{"which service has the longest RTO?", `{"order_by":{"measure":"rto","direction":"highest"}}`},
		{"which services recover less than 50% of their cost?", `{"compare":[{"measure":"recovery","op":"<","value":50}]}`},
		{"which tier 1 or 2 services failed their last DR test?", `{"tier":[1,2],"dr_result":["fail"]}`},
		{"which services have an availability target of at least 99.9%?", `{"compare":[{"measure":"sla_target","kpi":"availability","op":">=","value":99.9}]}`},
		{"which services in the workplace portfolio cost more than €150k a year?", `{"portfolio":["workplace"],"compare":[{"measure":"annual_tco","op":">","value":150000}]}`},
		{"how many services use Microsoft?", `{"vendor":["Microsoft"]}`},
	}
	for _, tc := range tests {
		t.Run(tc.q, func(t *testing.T) {
			want := parserList(t, e, snap, tc.q)
			if len(want) == 0 {
				t.Fatalf("the parser lists nothing for %q; the case tests nothing", tc.q)
			}
			run := &toolRun{snap: snap, today: e.Today()}
			got, err := run.call("list_services", tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, toolList(t, got)); diff != "" {
				t.Errorf("parser (-) and list_services %s (+) differ:\n%s", tc.args, diff)
			}
		})
	}
}

// Through the fake OpenAI: the model lists with typed filters and answers
// from the result; the answer cites the services listed.
func TestLLMListsWithTypedFilters(t *testing.T) {
	e, st, fake := llmEngine(t, Config{}, nil)
	snap, err := st.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	fake.Script(
		fakeopenai.Step{ToolCalls: []fakeopenai.ToolCall{fakeopenai.Call("list_services",
			`{"tier":[1],"compare":[{"measure":"rto","op":"<","value":240}]}`)}},
		fakeopenai.Step{Reply: func(r fakeopenai.Request) fakeopenai.Step {
			for _, res := range r.ToolResults() {
				var v struct {
					Count     int
					MatchedOn []string `json:"matched_on"`
					Services  []struct{ Title string }
				}
				if err := json.Unmarshal([]byte(res), &v); err != nil || v.Count == 0 {
					return fakeopenai.Step{Content: "bad result " + res}
				}
				var titles []string
				for _, s := range v.Services {
					titles = append(titles, s.Title)
				}
				return fakeopenai.Step{Content: strings.Join(v.MatchedOn, "; ") + ": " + strings.Join(titles, ", ")}
			}
			return fakeopenai.Step{Content: "no tool result"}
		}},
	)
	r, err := e.Handle(context.Background(), lee, "which tier 1 services can be back within 4 hours?")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Text, "are tier 1; have RTO < 4h") {
		t.Errorf("answer = %q", r.Text)
	}
	run := &toolRun{snap: snap, today: e.Today()}
	res, _ := run.call("list_services", `{"tier":[1],"compare":[{"measure":"rto","op":"<","value":240}]}`)
	for _, n := range toolList(t, res) {
		if !strings.Contains(r.Text, snap.Services[n].Label()) || !strings.Contains(r.Context, n) {
			t.Errorf("the answer or its sources lack %s: %q / %q", n, r.Text, r.Context)
		}
	}
	if p := fake.Problems(); len(p) > 0 {
		t.Errorf("protocol problems: %v", p)
	}
}

func TestListServicesRefusesBadFilters(t *testing.T) {
	e, st := sampleEngine(t, nil)
	snap, err := st.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for args, want := range map[string]string{
		`{"compare":[{"measure":"height","op":"<","value":3}]}`:   `\"height\" is not a measure`,
		`{"compare":[{"measure":"rto","op":"~","value":3}]}`:      "op must be one of",
		`{"board":["the moon council"]}`:                          `no board called \"the moon council\"`,
		`{"stage":["flying"]}`:                                    `\"flying\" is not a stage`,
		`{"contract_ends_from":"soon"}`:                           "YYYY-MM-DD",
		`{"order_by":{"measure":"weight","direction":"highest"}}`: `\"weight\" is not a measure`,
	} {
		run := &toolRun{snap: snap, today: e.Today()}
		got, _ := run.call("list_services", args)
		if !strings.Contains(got, want) {
			t.Errorf("list_services %s = %s, want an error with %s", args, got, want)
		}
	}
}
