package domain

import (
	"testing"
	"time"
)

func TestAddMonths(t *testing.T) {
	tests := []struct {
		d    Date
		n    int
		want Date
	}{
		{"2026-01-15", 1, "2026-02-15"},
		{"2026-01-31", 1, "2026-02-28"}, // month end clamps
		{"2024-01-31", 1, "2024-02-29"}, // leap year
		{"2024-02-29", 12, "2025-02-28"},
		{"2024-02-29", 48, "2028-02-29"},
		{"2026-08-31", 6, "2027-02-28"},
		{"2026-11-30", 3, "2027-02-28"},
		{"2026-12-15", 1, "2027-01-15"}, // year boundary
		{"2026-03-31", 3, "2026-06-30"},
	}
	for _, tc := range tests {
		if got := tc.d.AddMonths(tc.n); got != tc.want {
			t.Errorf("%s + %d months = %s, want %s", tc.d, tc.n, got, tc.want)
		}
	}
}

func TestNextReviewAndDRTest(t *testing.T) {
	today := Date("2026-11-27")
	tests := []struct {
		name      string
		last      Date
		every     Period
		wantOK    bool
		wantDate  Date
		wantLate  bool
		wantNever bool
		wantDays  int
	}{
		{"quarterly, due later", "2026-09-01", Quarterly, true, "2026-12-01", false, false, 4},
		{"due today is not overdue", "2026-08-27", Quarterly, true, "2026-11-27", false, false, 0},
		{"overdue by a day", "2026-10-26", Monthly, true, "2026-11-26", true, false, -1},
		{"semiannual from month end", "2026-05-31", Semiannual, true, "2026-11-30", false, false, 3},
		{"annual from leap day", "2024-02-29", Annual, true, "2025-02-28", true, false, -637},
		{"never done", "", Annual, true, "", true, true, 0},
		{"no cadence", "2026-01-01", "", false, "", false, false, 0},
		{"bad cadence", "2026-01-01", "weekly", false, "", false, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &Service{ServiceSpec: ServiceSpec{
				Performance: &Performance{ReviewEvery: tc.every, LastReview: tc.last},
				Continuity:  &Continuity{TestEvery: tc.every},
			}}
			if tc.last != "" {
				s.Continuity.LastTest = &DRTest{Date: tc.last, Result: "pass"}
			}
			for what, f := range map[string]func(Date) (Due, bool){"review": s.NextReview, "dr": s.NextDRTest} {
				due, ok := f(today)
				if ok != tc.wantOK {
					t.Fatalf("%s ok = %v, want %v", what, ok, tc.wantOK)
				}
				if !ok {
					continue
				}
				if due.Date != tc.wantDate || due.Overdue != tc.wantLate || due.Never != tc.wantNever || due.Days != tc.wantDays {
					t.Errorf("%s = %+v, want date %s overdue %v never %v days %d", what, due, tc.wantDate, tc.wantLate, tc.wantNever, tc.wantDays)
				}
			}
		})
	}
	if _, ok := (&Service{}).NextDRTest(today); ok {
		t.Error("a service without continuity has a DR test due")
	}
}

func TestCostFigures(t *testing.T) {
	c := &Cost{TCO: TCO{Licenses: 120000, Infrastructure: 40000, Labor: 90000, Support: 15000}, Recovered: 230000}
	if got := c.TCO.Total(); got != 265000 {
		t.Errorf("TCO = %v, want 265000", got)
	}
	if r, ok := c.Recovery(); !ok || r < 0.8679 || r > 0.8680 {
		t.Errorf("recovery = %v %v, want ~0.868", r, ok)
	}
	if _, ok := (&Cost{Recovered: 10}).Recovery(); ok {
		t.Error("recovery with zero TCO reported ok")
	}
	var nilCost *Cost
	if _, ok := nilCost.Recovery(); ok {
		t.Error("nil cost recovery ok")
	}
	amt, frac, ok := MonthCost{Budget: 22000, Actual: 23500}.Variance()
	if amt != 1500 || !ok || frac < 0.0681 || frac > 0.0682 {
		t.Errorf("variance = %v %v %v", amt, frac, ok)
	}
	if _, _, ok := (MonthCost{Budget: 0, Actual: 5}).Variance(); ok {
		t.Error("variance against a zero budget reported a fraction")
	}
	rows := (&Cost{Monthly: []MonthCost{{Month: "2026-10"}, {Month: "2026-08"}, {Month: "2026-09"}, {Month: "2026-07"}}}).RecentMonths(3)
	if len(rows) != 3 || rows[0].Month != "2026-08" || rows[2].Month != "2026-10" {
		t.Errorf("recent months = %v", rows)
	}
	if (&Service{}).AnnualTCO() != 0 {
		t.Error("TCO without cost model is not zero")
	}
}

func TestKPIResults(t *testing.T) {
	s := &Service{ServiceSpec: ServiceSpec{
		SLA: []SLATarget{
			{KPI: "availability", Target: 99.9, Unit: "percent"},
			{KPI: "p95-latency", Target: 800, Unit: "ms", BetterWhen: "lower"},
			{KPI: "tickets", Target: 10},
		},
		Performance: &Performance{Measurements: []Measurement{
			{KPI: "availability", Month: "2026-10", Value: 99.9}, // equal to target: met
			{KPI: "availability", Month: "2026-09", Value: 98},
			{KPI: "p95-latency", Month: "2026-10", Value: 800.5}, // lower is better: missed
			{KPI: "p95-latency", Month: "2026-09", Value: 700},
		}},
	}}
	res := s.KPIResults()
	if len(res) != 3 {
		t.Fatalf("%d results", len(res))
	}
	if !res[0].Met || res[0].Latest.Month != "2026-10" {
		t.Errorf("availability: %+v", res[0])
	}
	if res[1].Met || res[1].Latest.Value != 800.5 {
		t.Errorf("latency: %+v", res[1])
	}
	if res[2].Latest != nil || res[2].Met {
		t.Errorf("unmeasured KPI: %+v", res[2])
	}
	if !(SLATarget{Target: 800, BetterWhen: "lower"}).Met(800) {
		t.Error("lower-is-better target not met at equality")
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"4h", 4 * time.Hour, false},
		{"15m", 15 * time.Minute, false},
		{"1d", 24 * time.Hour, false},
		{"1h30m", 90 * time.Minute, false},
		{"2w", 14 * 24 * time.Hour, false},
		{"4x", 0, true},
		{"h", 0, true},
		{"4", 0, true},
		{"", 0, true},
	}
	for _, tc := range tests {
		got, err := ParseDuration(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v", tc.in, got, err)
		}
	}
}

func TestDecide(t *testing.T) {
	a := Vote{Approve: true}
	r := Vote{Approve: false}
	tests := []struct {
		votes  []Vote
		quorum int
		want   Outcome
		n      int
	}{
		{nil, 2, Pending, 0},
		{[]Vote{a}, 2, Pending, 1},
		{[]Vote{a, a}, 2, Approved, 2},
		{[]Vote{a, a, r}, 2, Approved, 2}, // a late rejection does not count
		{[]Vote{a, r, a}, 2, Rejected, 2},
		{[]Vote{r}, 1, Rejected, 1},
		{[]Vote{a}, 1, Approved, 1},
	}
	for _, tc := range tests {
		got, n := Decide(tc.votes, tc.quorum)
		if got != tc.want || n != tc.n {
			t.Errorf("Decide(%v, %d) = %q, %d; want %q, %d", tc.votes, tc.quorum, got, n, tc.want, tc.n)
		}
	}
}
