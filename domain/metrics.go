package domain

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Process metrics (SPEC section 9): how embedded ITSPM is, one line per
// process, each "N of M (P%)" over the services in scope. Retired services
// are left out of every line and counted apart, so a board sees how many
// were excluded.

// DefaultContractWindowDays is how far ahead a contract end counts as
// "ending soon" (ITSPM_CONTRACT_WINDOW_DAYS).
const DefaultContractWindowDays = 90

// LeadTimeDays is the window of tollgate decisions the lead time covers.
const LeadTimeDays = 90

// BudgetMonths is how many months back "months over budget" looks.
const BudgetMonths = 12

// MetricKey names a metric line; it is also the drill-down word of
// `metrics [portfolio] <key>`.
type MetricKey string

// The metric lines, in the order of SPEC section 9.
const (
	MetricStrategy     MetricKey = "strategy"
	MetricRoadmap      MetricKey = "roadmap"
	MetricReview       MetricKey = "review"
	MetricSLA          MetricKey = "sla"
	MetricDRPlan       MetricKey = "dr-plan"
	MetricDRTest       MetricKey = "dr-test"
	MetricDRPassed     MetricKey = "dr-passed"
	MetricRecovery     MetricKey = "recovery"
	MetricOverBudget   MetricKey = "budget"
	MetricImprovements MetricKey = "improvements"
	MetricContracts    MetricKey = "contracts"
	MetricLeadTime     MetricKey = "lead-time"
)

// MetricKeys lists the lines in order.
var MetricKeys = []MetricKey{MetricStrategy, MetricRoadmap, MetricReview, MetricSLA, MetricDRPlan, MetricDRTest,
	MetricDRPassed, MetricRecovery, MetricOverBudget, MetricImprovements, MetricContracts, MetricLeadTime}

// MetricLabels are the line labels of SPEC section 9.
var MetricLabels = map[MetricKey]string{
	MetricStrategy: "Strategy documented", MetricRoadmap: "Roadmap present", MetricReview: "Performance review on time",
	MetricSLA: "SLA met last month", MetricDRPlan: "DR plan documented", MetricDRTest: "DR test current",
	MetricDRPassed: "Last DR test passed", MetricRecovery: "Cost recovery", MetricOverBudget: "Months over budget",
	MetricImprovements: "Open improvements", MetricContracts: "Contracts ending within 90 days",
	MetricLeadTime: "Tollgate lead time",
}

// Metric is one line: N of M, what M counts, and the items behind it.
type Metric struct {
	Key   MetricKey
	N, M  int
	Of    string // what M counts: "services", "services with SLA targets", "months", "contracts", "decisions"
	Value float64
	// HasValue: Value is meaningful (median days for the lead time; the
	// overall recovered / TCO for cost recovery, when all of one currency).
	HasValue bool
	// Gaps are the items not counted in N (services, or service/month and
	// service/contract pairs), sorted; for lines where N is the concern
	// (months over budget, contracts ending) they are the N items.
	Gaps []MetricItem
	Note string // extra fact for the line (e.g. services left out of M)
}

// MetricItem is one service (and, for months and contracts, the detail).
type MetricItem struct {
	Service string
	Detail  string
}

// Share is N/M as a fraction; ok is false when M is zero.
func (m Metric) Share() (float64, bool) {
	if m.M == 0 {
		return 0, false
	}
	return float64(m.N) / float64(m.M), true
}

// Percent is N/M as a whole percentage, rounded half up (-1 when M is 0).
func (m Metric) Percent() int {
	f, ok := m.Share()
	if !ok {
		return -1
	}
	return int(math.Floor(f*100 + 0.5))
}

// Metrics is the whole set of lines for one scope.
type Metrics struct {
	Scope    string   // portfolio name, "" for the whole catalog
	Services []string // in scope (not retired), sorted
	Retired  int      // services of the scope left out because retired
	Today    Date
	Lines    []Metric
}

// Line returns the line of key.
func (ms *Metrics) Line(key MetricKey) (Metric, bool) {
	for _, l := range ms.Lines {
		if l.Key == key {
			return l, true
		}
	}
	return Metric{}, false
}

// MetricsInput is what the metrics are computed from.
type MetricsInput struct {
	Snap      *Snapshot
	Portfolio string // "" for every service
	Today     Date
	// Window is the contract window in days (0: DefaultContractWindowDays).
	Window int
	// Requests are the tollgate requests known, with DecidedAt set on the
	// decided ones; nil leaves the lead time without decisions.
	Requests []TollgateRequest
	// Now is the instant the lead-time window ends (default: Today's end).
	Now time.Time
}

// InScope returns the services of a portfolio ("" for all), sorted by name,
// split into active ones and the number retired.
func InScope(snap *Snapshot, portfolio string) (active []*Service, retired int) {
	for _, n := range snap.ServiceNames() {
		s := snap.Services[n]
		if portfolio != "" && s.Portfolio != portfolio {
			continue
		}
		if s.IsRetired() {
			retired++
			continue
		}
		active = append(active, s)
	}
	return active, retired
}

// ComputeMetrics computes every line of SPEC section 9 for the scope.
//
// Denominators: strategy, roadmap, review, DR plan, DR test, improvements:
// every service in scope. SLA met: the services with SLA targets (a
// service whose KPIs were not all measured last month is not met). Last DR
// test passed: the services with a test on record. Cost recovery: the
// services with a TCO; N recover all of it. Months over budget: the
// service-months of the last BudgetMonths months (this one included) that
// have both a budget and an actual; months without an actual are left out.
// Contracts: the vendor contracts with an end date; N end within the
// window (today included, already ended excluded). Lead time: N decisions
// in the last LeadTimeDays days of the requests of the scope's services
// (retired ones included: deciding to retire is governance too), M the
// same; Value the median days from request to decision.
func ComputeMetrics(in MetricsInput) Metrics {
	active, retired := InScope(in.Snap, in.Portfolio)
	today := in.Today
	window := in.Window
	if window <= 0 {
		window = DefaultContractWindowDays
	}
	ms := Metrics{Scope: in.Portfolio, Retired: retired, Today: today}
	for _, s := range active {
		ms.Services = append(ms.Services, s.Name)
	}
	count := func(key MetricKey, of string, ok func(*Service) (bool, string)) Metric {
		m := Metric{Key: key, Of: of}
		for _, s := range active {
			good, why := ok(s)
			if why == "-" { // not in the denominator
				continue
			}
			m.M++
			if good {
				m.N++
			} else {
				m.Gaps = append(m.Gaps, MetricItem{Service: s.Name, Detail: why})
			}
		}
		return m
	}
	ms.Lines = append(ms.Lines, count(MetricStrategy, "services", func(s *Service) (bool, string) {
		return s.Strategy != nil && strings.TrimSpace(s.Strategy.Why) != "", "no strategy (why)"
	}))
	ms.Lines = append(ms.Lines, count(MetricRoadmap, "services", func(s *Service) (bool, string) {
		return len(s.Roadmap) > 0, "no roadmap items"
	}))
	ms.Lines = append(ms.Lines, count(MetricReview, "services", func(s *Service) (bool, string) {
		due, ok := s.NextReview(today)
		switch {
		case !ok:
			return false, "no review cadence"
		case due.Never:
			return false, "never reviewed"
		case due.Overdue:
			return false, "review overdue since " + string(due.Date)
		}
		return true, ""
	}))
	last := MonthOf(today.AddMonths(-1))
	noSLA := 0
	sla := count(MetricSLA, "services with SLA targets", func(s *Service) (bool, string) {
		if len(s.SLA) == 0 {
			noSLA++
			return false, "-"
		}
		return slaMetIn(s, last)
	})
	if noSLA > 0 {
		sla.Note = plural(noSLA, "service") + " without SLA targets left out"
	}
	ms.Lines = append(ms.Lines, sla)
	ms.Lines = append(ms.Lines, count(MetricDRPlan, "services", func(s *Service) (bool, string) {
		return s.Continuity != nil && strings.TrimSpace(s.Continuity.Plan) != "", "no DR plan"
	}))
	ms.Lines = append(ms.Lines, count(MetricDRTest, "services", func(s *Service) (bool, string) {
		due, ok := s.NextDRTest(today)
		switch {
		case !ok:
			return false, "no DR test cadence"
		case due.Never:
			return false, "never tested"
		case due.Overdue:
			return false, "DR test overdue since " + string(due.Date)
		}
		return true, ""
	}))
	ms.Lines = append(ms.Lines, count(MetricDRPassed, "services with a DR test on record", func(s *Service) (bool, string) {
		if s.Continuity == nil || s.Continuity.LastTest == nil || s.Continuity.LastTest.Date == "" {
			return false, "-"
		}
		t := s.Continuity.LastTest
		return t.Result == "pass", "last test " + string(t.Date) + ": " + t.Result
	}))
	ms.Lines = append(ms.Lines, recoveryMetric(active))
	ms.Lines = append(ms.Lines, budgetMetric(active, today))
	open := 0
	imp := count(MetricImprovements, "services", func(s *Service) (bool, string) {
		n := OpenImprovements(s)
		open += n
		return n > 0, "no open improvement"
	})
	if open > 0 {
		imp.Note = plural(open, "open improvement") + " in all"
	}
	ms.Lines = append(ms.Lines, imp)
	ms.Lines = append(ms.Lines, contractMetric(active, today, window))
	ms.Lines = append(ms.Lines, leadTimeMetric(in, today))
	return ms
}

// slaMetIn reports whether every SLA KPI of s was measured in month and met.
func slaMetIn(s *Service, month Month) (bool, string) {
	var missed, unmeasured []string
	for _, t := range s.SLA {
		var v *Measurement
		if s.Performance != nil {
			for i := range s.Performance.Measurements {
				m := &s.Performance.Measurements[i]
				if m.KPI == t.KPI && m.Month == month {
					v = m
				}
			}
		}
		switch {
		case v == nil:
			unmeasured = append(unmeasured, t.KPI)
		case !t.Met(v.Value):
			missed = append(missed, t.KPI)
		}
	}
	switch {
	case len(missed) > 0:
		return false, "missed " + strings.Join(missed, ", ") + " in " + string(month)
	case len(unmeasured) > 0:
		return false, "not measured in " + string(month) + ": " + strings.Join(unmeasured, ", ")
	}
	return true, ""
}

// OpenImprovements counts the improvements of s not done.
func OpenImprovements(s *Service) int {
	n := 0
	for _, it := range s.Improvements {
		if it.Status != "done" {
			n++
		}
	}
	return n
}

func recoveryMetric(active []*Service) Metric {
	m := Metric{Key: MetricRecovery, Of: "services with a TCO"}
	tco, rec := map[string]float64{}, map[string]float64{}
	for _, s := range active {
		if s.AnnualTCO() == 0 {
			continue
		}
		m.M++
		cur := s.Cost.Currency
		tco[cur] += s.AnnualTCO()
		rec[cur] += s.Cost.Recovered
		f, _ := s.Cost.Recovery()
		if f >= 1 {
			m.N++
		} else {
			m.Gaps = append(m.Gaps, MetricItem{Service: s.Name, Detail: percentText(f) + " recovered"})
		}
	}
	if len(tco) == 1 {
		for cur := range tco {
			m.Value, m.HasValue = rec[cur]/tco[cur], true
		}
	}
	return m
}

func budgetMetric(active []*Service, today Date) Metric {
	m := Metric{Key: MetricOverBudget, Of: "months with a budget and an actual"}
	from := MonthOf(today.AddMonths(-(BudgetMonths - 1)))
	to := MonthOf(today)
	noActual := 0
	for _, s := range active {
		if s.Cost == nil {
			continue
		}
		for _, mc := range s.Cost.Monthly {
			if mc.Month < from || mc.Month > to || mc.Budget <= 0 {
				continue
			}
			if mc.Actual == 0 {
				noActual++
				continue
			}
			m.M++
			if mc.Actual > mc.Budget {
				m.N++
				m.Gaps = append(m.Gaps, MetricItem{Service: s.Name, Detail: string(mc.Month)})
			}
		}
	}
	sortItems(m.Gaps)
	if noActual > 0 {
		m.Note = plural(noActual, "month") + " without an actual left out"
	}
	return m
}

func contractMetric(active []*Service, today Date, window int) Metric {
	m := Metric{Key: MetricContracts, Of: "contracts"}
	until := today.AddDays(window)
	for _, s := range active {
		for _, v := range s.VendorProducts {
			if !v.ContractEnds.Valid() {
				continue
			}
			m.M++
			if !v.ContractEnds.Before(today) && !until.Before(v.ContractEnds) {
				m.N++
				m.Gaps = append(m.Gaps, MetricItem{Service: s.Name, Detail: strings.TrimSpace(v.Vendor+" "+v.Product) + " ends " + string(v.ContractEnds)})
			}
		}
	}
	return m
}

func leadTimeMetric(in MetricsInput, today Date) Metric {
	m := Metric{Key: MetricLeadTime, Of: "decisions"}
	end := in.Now
	if end.IsZero() {
		t, err := today.Time()
		if err == nil {
			end = t.Add(24 * time.Hour)
		}
	}
	start := end.Add(-LeadTimeDays * 24 * time.Hour)
	var days []float64
	for _, r := range in.Requests {
		s, ok := in.Snap.Services[r.Service]
		if in.Portfolio != "" && (!ok || s.Portfolio != in.Portfolio) {
			continue
		}
		if r.DecidedAt.IsZero() || r.Status == RequestWithdrawn || r.DecidedAt.Before(start) || r.DecidedAt.After(end) {
			continue
		}
		d := r.DecidedAt.Sub(r.OpenedAt).Hours() / 24
		days = append(days, max(d, 0))
		m.Gaps = append(m.Gaps, MetricItem{Service: r.Service, Detail: r.ID})
	}
	m.N, m.M = len(days), len(days)
	if med, ok := Median(days); ok {
		m.Value, m.HasValue = med, true
	}
	sortItems(m.Gaps)
	return m
}

// Median is the middle value (the mean of the two middle ones for an even
// count); ok is false for no values.
func Median(xs []float64) (float64, bool) {
	if len(xs) == 0 {
		return 0, false
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2], true
	}
	return (s[n/2-1] + s[n/2]) / 2, true
}

func sortItems(items []MetricItem) {
	sort.SliceStable(items, func(i, j int) bool {
		if items[i].Service != items[j].Service {
			return items[i].Service < items[j].Service
		}
		return items[i].Detail < items[j].Detail
	})
}

func plural(n int, one string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + one + "s"
}

func percentText(f float64) string { return strconv.Itoa(int(math.Floor(f*100+0.5))) + "%" }
