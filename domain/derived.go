package domain

import "sort"

// Total is the annual TCO: the sum of its categories.
func (t TCO) Total() float64 { return t.Licenses + t.Infrastructure + t.Labor + t.Support }

// AnnualTCO is the service's annual total cost of ownership (0 without a cost model).
func (s *Service) AnnualTCO() float64 {
	if s.Cost == nil {
		return 0
	}
	return s.Cost.TCO.Total()
}

// Recovery is recovered / TCO as a fraction. ok is false when TCO is zero,
// where a percentage would be meaningless.
func (c *Cost) Recovery() (fraction float64, ok bool) {
	if c == nil {
		return 0, false
	}
	tco := c.TCO.Total()
	if tco == 0 {
		return 0, false
	}
	return c.Recovered / tco, true
}

// Variance is actual minus budget (positive: overspent) and that as a
// fraction of budget (ok false when budget is zero).
func (m MonthCost) Variance() (amount, fraction float64, ok bool) {
	amount = m.Actual - m.Budget
	if m.Budget == 0 {
		return amount, 0, false
	}
	return amount, amount / m.Budget, true
}

// RecentMonths returns up to n monthly rows, latest last.
func (c *Cost) RecentMonths(n int) []MonthCost {
	if c == nil {
		return nil
	}
	rows := append([]MonthCost(nil), c.Monthly...)
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Month < rows[j].Month })
	if len(rows) > n {
		rows = rows[len(rows)-n:]
	}
	return rows
}

// Due is a derived due date: when something is next due and whether it is late.
type Due struct {
	Date    Date // zero when never done (due now)
	Never   bool // never done before: due immediately
	Overdue bool // Date is before today, or never done
	Days    int  // days from today to Date (negative when overdue)
}

func dueFrom(last Date, every Period, today Date) (Due, bool) {
	if !every.Valid() {
		return Due{}, false
	}
	if last.IsZero() || !last.Valid() {
		return Due{Never: true, Overdue: true}, true
	}
	next := last.AddMonths(every.Months())
	return Due{Date: next, Overdue: next.Before(today), Days: today.DaysUntil(next)}, true
}

// NextReview is lastReview + reviewEvery. ok is false when the service has no
// review cadence.
func (s *Service) NextReview(today Date) (Due, bool) {
	if s.Performance == nil {
		return Due{}, false
	}
	return dueFrom(s.Performance.LastReview, s.Performance.ReviewEvery, today)
}

// NextDRTest is lastTest.date + testEvery. ok is false when the service has
// no test cadence.
func (s *Service) NextDRTest(today Date) (Due, bool) {
	if s.Continuity == nil {
		return Due{}, false
	}
	var last Date
	if s.Continuity.LastTest != nil {
		last = s.Continuity.LastTest.Date
	}
	return dueFrom(last, s.Continuity.TestEvery, today)
}

// LowerIsBetter reports whether smaller values meet the target (latency, say).
func (t SLATarget) LowerIsBetter() bool { return t.BetterWhen == "lower" }

// Met reports whether value meets the target, honouring betterWhen.
func (t SLATarget) Met(value float64) bool {
	if t.LowerIsBetter() {
		return value <= t.Target
	}
	return value >= t.Target
}

// KPIResult is the latest measurement of a KPI against its target.
type KPIResult struct {
	Target   SLATarget
	Latest   *Measurement // nil when never measured
	Met      bool
	Previous []Measurement // all measurements of the KPI, oldest first
}

// KPIResults compares the latest measurement of each SLA KPI with its target,
// in SLA order. Measurements of KPIs without a target are ignored.
func (s *Service) KPIResults() []KPIResult {
	var out []KPIResult
	for _, t := range s.SLA {
		r := KPIResult{Target: t}
		if s.Performance != nil {
			for _, m := range s.Performance.Measurements {
				if m.KPI == t.KPI {
					r.Previous = append(r.Previous, m)
				}
			}
		}
		sort.SliceStable(r.Previous, func(i, j int) bool { return r.Previous[i].Month < r.Previous[j].Month })
		if n := len(r.Previous); n > 0 {
			latest := r.Previous[n-1]
			r.Latest = &latest
			r.Met = t.Met(latest.Value)
		}
		out = append(out, r)
	}
	return out
}

// IsRetired reports whether the service is in retirement.
func (s *Service) IsRetired() bool { return s.Stage == StageRetirement }
