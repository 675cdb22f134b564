package domain

import (
	"testing"
	"time"
)

// metricsCatalog is a small catalog whose every figure below is worked out
// by hand. Today is 2026-12-04, so "last month" is 2026-11, the budget
// window is 2026-01..2026-12 and the contract window ends 2027-03-04.
//
//	a (ops):  strategy, roadmap 1, review quarterly last 2026-10-01 (due 2027-01-01: on time),
//	          SLA availability ≥ 99.9 measured 2026-11 = 99.95 (met), DR plan, test
//	          semiannual last 2026-08-01 pass (due 2027-02-01: current),
//	          TCO 100 recovered 100 (100%), months 2026-10 100/120 (over), 2026-11 100/90,
//	          2026-12 budget 100 no actual; 1 open + 1 done improvement;
//	          contract ends 2027-01-31 (in window), another 2028-01-01 (not).
//	b (ops):  no strategy, no roadmap, review never, SLA latency ≤ 800 measured
//	          2026-11 = 900 (missed), no DR plan, test annual last 2025-06-01 fail
//	          (due 2026-06-01: overdue), TCO 200 recovered 50 (25%), month 2025-11
//	          (out of window) 10/20; no improvements; contract ended 2026-11-30 (not in window).
//	c (ops):  strategy, no SLA, no continuity, no cost; improvement planned.
//	d (ops):  retirement: left out of every line but the lead time.
//	e (empty portfolio "lab" has no services; portfolio "old" has only f, retired).
func metricsCatalog() *Snapshot {
	c := &Catalog{
		Portfolios: []Portfolio{{Name: "ops"}, {Name: "lab"}, {Name: "old"}},
		Services: []Service{
			{Name: "a", ServiceSpec: ServiceSpec{Portfolio: "ops", Stage: StageOperate,
				Strategy: &Strategy{Why: "Because."}, Roadmap: []RoadmapItem{{Title: "x"}},
				Performance: &Performance{ReviewEvery: Quarterly, LastReview: "2026-10-01",
					Measurements: []Measurement{{KPI: "availability", Month: "2026-11", Value: 99.95}}},
				SLA:        []SLATarget{{KPI: "availability", Target: 99.9}},
				Continuity: &Continuity{Plan: "wiki", TestEvery: Semiannual, LastTest: &DRTest{Date: "2026-08-01", Result: "pass"}},
				Cost: &Cost{Currency: "EUR", TCO: TCO{Licenses: 100}, Recovered: 100, Monthly: []MonthCost{
					{Month: "2026-10", Budget: 100, Actual: 120}, {Month: "2026-11", Budget: 100, Actual: 90}, {Month: "2026-12", Budget: 100}}},
				Improvements:   []Improvement{{Title: "i1", Status: "in-progress"}, {Title: "i2", Status: "done"}},
				VendorProducts: []VendorProduct{{Vendor: "V", Product: "P", ContractEnds: "2027-01-31"}, {Vendor: "W", ContractEnds: "2028-01-01"}},
			}},
			{Name: "b", ServiceSpec: ServiceSpec{Portfolio: "ops", Stage: StageDesign,
				Performance: &Performance{ReviewEvery: Monthly,
					Measurements: []Measurement{{KPI: "latency", Month: "2026-11", Value: 900}}},
				SLA:        []SLATarget{{KPI: "latency", Target: 800, BetterWhen: "lower"}},
				Continuity: &Continuity{TestEvery: Annual, LastTest: &DRTest{Date: "2025-06-01", Result: "fail"}},
				Cost: &Cost{Currency: "EUR", TCO: TCO{Labor: 200}, Recovered: 50, Monthly: []MonthCost{
					{Month: "2025-11", Budget: 10, Actual: 20}}},
				VendorProducts: []VendorProduct{{Vendor: "X", ContractEnds: "2026-11-30"}},
			}},
			{Name: "c", ServiceSpec: ServiceSpec{Portfolio: "ops", Stage: StageStrategy,
				Strategy: &Strategy{Why: "New."}, Improvements: []Improvement{{Title: "i3", Status: "planned"}}}},
			{Name: "d", ServiceSpec: ServiceSpec{Portfolio: "ops", Stage: StageRetirement, Strategy: &Strategy{Why: "Old."},
				Cost: &Cost{Currency: "EUR", TCO: TCO{Support: 10}}}},
			{Name: "f", ServiceSpec: ServiceSpec{Portfolio: "old", Stage: StageRetirement}},
		},
	}
	return NewSnapshot(c)
}

func TestComputeMetrics(t *testing.T) {
	snap := metricsCatalog()
	today := Date("2026-12-04")
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	reqs := []TollgateRequest{
		// a: 2 days, c: 5 days, d (retired, still governance): 10 days → median 5.
		{ID: "TG-a-1", Service: "a", OpenedAt: now.Add(-20 * day), DecidedAt: now.Add(-18 * day), Status: RequestApproved},
		{ID: "TG-c-1", Service: "c", OpenedAt: now.Add(-30 * day), DecidedAt: now.Add(-25 * day), Status: RequestRejected},
		{ID: "TG-d-1", Service: "d", OpenedAt: now.Add(-40 * day), DecidedAt: now.Add(-30 * day), Status: RequestApproved},
		// Out: withdrawn, decided 100 days ago, still open, other portfolio.
		{ID: "TG-b-1", Service: "b", OpenedAt: now.Add(-9 * day), DecidedAt: now.Add(-8 * day), Status: RequestWithdrawn},
		{ID: "TG-b-0", Service: "b", OpenedAt: now.Add(-120 * day), DecidedAt: now.Add(-100 * day), Status: RequestApproved},
		{ID: "TG-b-2", Service: "b", OpenedAt: now.Add(-3 * day), Status: RequestOpen},
		{ID: "TG-f-1", Service: "f", OpenedAt: now.Add(-3 * day), DecidedAt: now.Add(-2 * day), Status: RequestApproved},
	}
	type want struct {
		n, m int
		pct  int
	}
	tests := []struct {
		name      string
		portfolio string
		active    int
		retired   int
		lines     map[MetricKey]want
		leadTime  float64 // median days; -1: none
		recovery  float64 // overall; -1: none
	}{
		{name: "ops", portfolio: "ops", active: 3, retired: 1, leadTime: 5, recovery: 150.0 / 300,
			lines: map[MetricKey]want{
				MetricStrategy:     {2, 3, 67},  // a, c
				MetricRoadmap:      {1, 3, 33},  // a
				MetricReview:       {1, 3, 33},  // a on time; b never; c no cadence
				MetricSLA:          {1, 2, 50},  // a met; b missed; c has no SLA (left out)
				MetricDRPlan:       {1, 3, 33},  // a
				MetricDRTest:       {1, 3, 33},  // a current; b overdue; c none
				MetricDRPassed:     {1, 2, 50},  // a pass; b fail; c no test (left out)
				MetricRecovery:     {1, 2, 50},  // a 100%; b 25%; c no TCO; overall 150/300
				MetricOverBudget:   {1, 2, 50},  // a 2026-10 over, 2026-11 under; 2026-12 no actual; b 2025-11 outside
				MetricImprovements: {2, 3, 67},  // a (i1), c (i3)
				MetricContracts:    {1, 3, 33},  // a V P 2027-01-31; a W 2028 later; b ended
				MetricLeadTime:     {3, 3, 100}, // TG-a-1, TG-c-1, TG-d-1
			}},
		{name: "whole catalog", portfolio: "", active: 3, retired: 2, leadTime: 3.5, recovery: 150.0 / 300,
			lines: map[MetricKey]want{
				MetricStrategy: {2, 3, 67}, MetricSLA: {1, 2, 50},
				MetricLeadTime: {4, 4, 100}, // plus TG-f-1 (1 day): 1, 2, 5, 10 → (2+5)/2
			}},
		{name: "empty portfolio", portfolio: "lab", active: 0, retired: 0, leadTime: -1, recovery: -1,
			lines: map[MetricKey]want{
				MetricStrategy: {0, 0, -1}, MetricSLA: {0, 0, -1}, MetricOverBudget: {0, 0, -1},
				MetricContracts: {0, 0, -1}, MetricLeadTime: {0, 0, -1},
			}},
		{name: "only retired services", portfolio: "old", active: 0, retired: 1, leadTime: 1, recovery: -1,
			lines: map[MetricKey]want{
				MetricStrategy: {0, 0, -1}, MetricDRTest: {0, 0, -1},
				MetricLeadTime: {1, 1, 100}, // TG-f-1: the decision to retire counts
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ms := ComputeMetrics(MetricsInput{Snap: snap, Portfolio: tc.portfolio, Today: today, Requests: reqs, Now: now})
			if len(ms.Services) != tc.active || ms.Retired != tc.retired {
				t.Errorf("scope: %d active, %d retired; want %d, %d", len(ms.Services), ms.Retired, tc.active, tc.retired)
			}
			if len(ms.Lines) != len(MetricKeys) {
				t.Fatalf("%d lines, want %d", len(ms.Lines), len(MetricKeys))
			}
			for key, w := range tc.lines {
				l, _ := ms.Line(key)
				if l.N != w.n || l.M != w.m || l.Percent() != w.pct {
					t.Errorf("%s: %d of %d (%d%%), want %d of %d (%d%%)", key, l.N, l.M, l.Percent(), w.n, w.m, w.pct)
				}
				if key != MetricLeadTime && key != MetricOverBudget && key != MetricContracts && len(l.Gaps) != l.M-l.N {
					t.Errorf("%s: %d gaps, want M-N = %d", key, len(l.Gaps), l.M-l.N)
				}
			}
			lt, _ := ms.Line(MetricLeadTime)
			if tc.leadTime < 0 && lt.HasValue || tc.leadTime >= 0 && (!lt.HasValue || lt.Value != tc.leadTime) {
				t.Errorf("lead time %v (%v), want %v", lt.Value, lt.HasValue, tc.leadTime)
			}
			rec, _ := ms.Line(MetricRecovery)
			if tc.recovery < 0 && rec.HasValue || tc.recovery >= 0 && (!rec.HasValue || rec.Value != tc.recovery) {
				t.Errorf("recovery %v (%v), want %v", rec.Value, rec.HasValue, tc.recovery)
			}
		})
	}
}

func TestMetricNotes(t *testing.T) {
	ms := ComputeMetrics(MetricsInput{Snap: metricsCatalog(), Portfolio: "ops", Today: "2026-12-04"})
	for key, want := range map[MetricKey]string{
		MetricSLA:          "1 service without SLA targets left out", // c
		MetricOverBudget:   "1 month without an actual left out",     // a 2026-12
		MetricImprovements: "2 open improvements in all",             // i1, i3
	} {
		if l, _ := ms.Line(key); l.Note != want {
			t.Errorf("%s note %q, want %q", key, l.Note, want)
		}
	}
	if l, _ := ms.Line(MetricContracts); len(l.Gaps) != 1 || l.Gaps[0].Detail != "V P ends 2027-01-31" {
		t.Errorf("contracts ending: %+v", l.Gaps)
	}
}

func TestViewPortfolio(t *testing.T) {
	snap := metricsCatalog()
	open := []TollgateRequest{{ID: "TG-b-2", Service: "b", Status: RequestOpen}, {ID: "TG-x-1", Service: "f"}}
	v := ViewPortfolio(snap, "ops", "2026-12-04", 90, open)
	// Stages in lifecycle order: c strategy, b design, a operate, d retirement.
	wantStages := []StageServices{{StageStrategy, []string{"c"}}, {StageDesign, []string{"b"}}, {StageOperate, []string{"a"}}, {StageRetirement, []string{"d"}}}
	if len(v.ByStage) != len(wantStages) {
		t.Fatalf("stages %+v", v.ByStage)
	}
	for i, w := range wantStages {
		if v.ByStage[i].Stage != w.Stage || len(v.ByStage[i].Services) != 1 || v.ByStage[i].Services[0] != w.Services[0] {
			t.Errorf("stage %d: %+v, want %+v", i, v.ByStage[i], w)
		}
	}
	if v.Services != 4 || v.Retired != 1 {
		t.Errorf("%d services, %d retired; want 4, 1", v.Services, v.Retired)
	}
	// EUR: TCO a 100 + b 200 + d 10 = 310, recovered 100 + 50 = 150.
	// Months 2026-01..2026-12: 2026-10 100/120, 2026-11 100/90, 2026-12 100/0
	// (no actual yet); b's 2025-11 is outside the window.
	if len(v.Money) != 1 {
		t.Fatalf("money %+v", v.Money)
	}
	m := v.Money[0]
	if m.Currency != "EUR" || m.TCO != 310 || m.Recovered != 150 || m.NoActual != 1 || len(m.Months) != 3 {
		t.Errorf("money %+v", m)
	}
	if m.Months[0] != (MonthCost{Month: "2026-10", Budget: 100, Actual: 120}) || m.Months[2] != (MonthCost{Month: "2026-12", Budget: 100}) {
		t.Errorf("months %+v", m.Months)
	}
	if len(v.Contracts) != 1 || v.Contracts[0].Service != "a" || v.Contracts[0].Days != 58 { // 2026-12-04 → 2027-01-31
		t.Errorf("contracts %+v", v.Contracts)
	}
	if len(v.Open) != 1 || v.Open[0].ID != "TG-b-2" {
		t.Errorf("open tollgates %+v", v.Open)
	}
	empty := ViewPortfolio(snap, "lab", "2026-12-04", 90, open)
	if empty.Services != 0 || len(empty.ByStage) != 0 || len(empty.Money) != 0 || len(empty.Contracts) != 0 || len(empty.Open) != 0 {
		t.Errorf("empty portfolio view %+v", empty)
	}
}

func TestSumCostsCurrencies(t *testing.T) {
	// Two currencies are never added: USD 300 before EUR 100 (largest TCO first).
	svcs := []*Service{
		{Name: "x", ServiceSpec: ServiceSpec{Cost: &Cost{Currency: "EUR", TCO: TCO{Licenses: 100}}}},
		{Name: "y", ServiceSpec: ServiceSpec{Cost: &Cost{Currency: "USD", TCO: TCO{Licenses: 300}, Recovered: 30}}},
		{Name: "z"},
	}
	got := SumCosts(svcs, "2026-12-04")
	if len(got) != 2 || got[0].Currency != "USD" || got[0].TCO != 300 || got[1].Currency != "EUR" || got[1].TCO != 100 {
		t.Fatalf("SumCosts = %+v", got)
	}
	if r, ok := got[0].Recovery(); !ok || r != 0.1 {
		t.Errorf("USD recovery %v %v, want 0.1", r, ok)
	}
	if ms := ComputeMetrics(MetricsInput{Snap: NewSnapshot(&Catalog{Services: []Service{*svcs[0], *svcs[1]}}), Today: "2026-12-04"}); true {
		if l, _ := ms.Line(MetricRecovery); l.HasValue || l.M != 2 || l.N != 0 {
			t.Errorf("mixed currencies: overall recovery must not be summed: %+v", l)
		}
	}
}

func TestTrend(t *testing.T) {
	prev := &MetricSnapshot{Lines: []MetricValue{
		{Key: MetricStrategy, N: 1, M: 4},                           // 25%
		{Key: MetricLeadTime, N: 2, M: 2, Value: 6, HasValue: true}, // 6 days
		{Key: MetricSLA, N: 0, M: 0},                                // nothing to compare
		{Key: MetricDRTest, N: 2, M: 4},                             // 50%
	}}
	tests := []struct {
		l    Metric
		want string
		unit string
	}{
		{Metric{Key: MetricStrategy, N: 2, M: 4}, "▲ 25 pts", "pts"},                                // 50 - 25
		{Metric{Key: MetricLeadTime, N: 1, M: 1, Value: 4.5, HasValue: true}, "▼ 1.5 days", "days"}, // 4.5 - 6
		{Metric{Key: MetricSLA, N: 1, M: 2}, "", "pts"},
		{Metric{Key: MetricDRTest, N: 1, M: 2}, "= no change", "pts"},
		{Metric{Key: MetricRoadmap, N: 1, M: 2}, "", "pts"}, // not in prev
	}
	for _, tc := range tests {
		if got := TrendOf(tc.l, prev).Arrow(tc.unit); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.l.Key, got, tc.want)
		}
	}
	if got := TrendOf(Metric{Key: MetricStrategy, N: 1, M: 1}, nil); got.Known {
		t.Errorf("no previous snapshot: %+v", got)
	}
	// 2026-12-28 is a Monday of ISO week 53 of 2026; 2027-01-03 still in it.
	for d, want := range map[Date]string{"2026-12-28": "2026-W53", "2027-01-03": "2026-W53", "2027-01-04": "2027-W01", "2026-12-07": "2026-W50"} {
		if got := ISOWeek(d); got != want {
			t.Errorf("ISOWeek(%s) = %s, want %s", d, got, want)
		}
	}
}
