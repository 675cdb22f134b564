package questions

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/itspm/itspm/commands"
)

// The numeric conditions and orders read from words, on the sample
// catalog (whose KPIs name availability and latency).
func TestComparisonsAndOrder(t *testing.T) {
	e, st := sampleEngine(t, nil)
	snap, err := st.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		q     string
		cmp   []Comparison
		order *Order
	}{
		{q: "which services have an RTO under 4 hours?", cmp: []Comparison{{Measure: RTO, Op: "<", Value: 240}}},
		{q: "services with an RPO of at most 30 min", cmp: []Comparison{{Measure: RPO, Op: "<=", Value: 30}}},
		{q: "an RTO of 4h or less", cmp: []Comparison{{Measure: RTO, Op: "<=", Value: 240}}},
		{q: "which services cost more than €100k a year", cmp: []Comparison{{Measure: AnnualTCO, Op: ">", Value: 100000}}},
		{q: "services with a TCO over 1.5M", cmp: []Comparison{{Measure: AnnualTCO, Op: ">", Value: 1.5e6}}},
		{q: "annual tco between 500 and 600k", cmp: []Comparison{{Measure: AnnualTCO, Op: "between", Value: 500000, Max: 600000}}},
		{q: "a unit price below €5", cmp: []Comparison{{Measure: UnitPrice, Op: "<", Value: 5}}},
		{q: "which services recover less than 50% of their cost", cmp: []Comparison{{Measure: Recovery, Op: "<", Value: 0.5}}},
		{q: "more than 10% over budget", cmp: []Comparison{{Measure: BudgetVariance, Op: ">", Value: 0.1}}},
		{q: "an availability target of at least 99.9%", cmp: []Comparison{{Measure: SLATarget, KPI: "availability", Op: ">=", Value: 99.9}}},
		{q: "availability below 99.5% last month", cmp: []Comparison{{Measure: SLAMeasured, KPI: "availability", Op: "<", Value: 99.5}}},
		{q: "a latency target above 1 second", cmp: []Comparison{{Measure: SLATarget, KPI: "latency", Op: ">", Value: 1000}}},
		{q: "tier 1 services in 2027", cmp: nil},
		{q: "is payroll over budget", cmp: nil},
		{q: "the most expensive service", order: &Order{Measure: AnnualTCO, Desc: true, N: 1}},
		{q: "which service has the longest RTO", order: &Order{Measure: RTO, Desc: true, N: 1}},
		{q: "top 5 by cost", order: &Order{Measure: AnnualTCO, Desc: true, N: 5}},
		{q: "the 3 cheapest services", order: &Order{Measure: AnnualTCO, Desc: false, N: 3}},
		{q: "which service has the lowest cost recovery", order: &Order{Measure: Recovery, Desc: false, N: 1}},
		{q: "who owns payroll", order: nil},
	}
	p := New(e)
	for _, tc := range tests {
		q := p.parse(snap, commands.Caller{}, tc.q)
		if diff := cmp.Diff(tc.cmp, comparisons(snap, q)); diff != "" {
			t.Errorf("comparisons(%q) (-want +got):\n%s", tc.q, diff)
		}
		if diff := cmp.Diff(tc.order, order(snap, q)); diff != "" {
			t.Errorf("order(%q) (-want +got):\n%s", tc.q, diff)
		}
	}
}

// A word that names a service and a tag, in a list question, is the tag,
// and the answer says which reading it used.
func TestAmbiguousWordSaysItsReading(t *testing.T) {
	e, _ := sampleEngine(t, nil)
	r, err := e.Handle(context.Background(), commands.Caller{SlackUser: "U0LEE"}, "which analytics services are there?")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.Text, "2 services are tagged analytics") || !strings.Contains(r.Context, `I read "analytics" as the tag analytics, not the service Analytics & BI.`) {
		t.Errorf("answer:\n%s", commands.PlainText(r))
	}
}
