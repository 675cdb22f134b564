package questions

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
)

// Filter is the condition of a list question, typed: the built-in parser
// fills it from words ("tier 1 services in infrastructure with a failed
// DR test", "an RTO under 4h", "top 5 by cost"), the LLM's list_services
// tool from JSON arguments, and both list what Apply returns, so the two
// modes agree. Fields are ANDed; the values within one field are ORed;
// zero values match every service.
type Filter struct {
	Stages         []domain.Stage
	Tiers          []int
	Portfolios     []string // portfolio names
	Owners         []string // person names
	Managers       []string // portfolio managers (person names)
	Boards         []string // board deciding the tollgate out of the service's stage
	Tags           []string
	ChargingModels []string // domain.ChargingModels
	Vendors        []string // vendor as written in the catalog
	Products       []string // words of a vendor product ("jira")
	KPIs           []string // services with an SLA target on one of these KPIs
	DRResults      []string // result of the last DR test: pass, partial, fail
	NoDRTest       bool     // no DR test on record (or no continuity plan)
	RoadmapStatus  []string // a roadmap item with one of these statuses

	OverdueDR, OverdueReview bool
	DueDR, DueReview         bool    // due within 30 days or overdue
	DRDue, ReviewDue         *Window // next DR test / review due within
	ContractEnds             *Window // a vendor contract ends within

	OverBudget, UnderBudget bool // latest month
	MissedSLA               bool // latest measurements

	Compare []Comparison // numeric conditions
	Order   *Order       // superlative or ordering: the top N by a measure
}

// Window is a range of dates, inclusive, with how to say it ("in the next
// 90 days (2026-11-27 to 2027-02-25)").
type Window struct {
	From, To domain.Date
	Label    string
}

// Contains reports whether d falls in the window.
func (w Window) Contains(d domain.Date) bool {
	return d.Valid() && !d.Before(w.From) && !w.To.Before(d)
}

func (w Window) String() string {
	if w.Label == "" {
		return fmt.Sprintf("between %s and %s", w.From, w.To)
	}
	return fmt.Sprintf("%s (%s to %s)", w.Label, w.From, w.To)
}

// Measure is a number of a service that a filter compares or orders by.
type Measure string

// The measures. Durations are in minutes, money in the service's
// currency, recovery and budget variance as fractions (0.1 = 10%), SLA
// figures in the KPI's unit.
const (
	RTO            Measure = "rto"
	RPO            Measure = "rpo"
	AnnualTCO      Measure = "annual_tco"
	UnitPrice      Measure = "unit_price"
	Recovery       Measure = "recovery"
	BudgetVariance Measure = "budget_variance" // (actual - budget) / budget, latest month
	SLATarget      Measure = "sla_target"      // the KPI's target
	SLAMeasured    Measure = "sla_measured"    // the KPI's latest measurement
)

// Measures lists every Measure, for tools and messages.
var Measures = []Measure{RTO, RPO, AnnualTCO, UnitPrice, Recovery, BudgetVariance, SLATarget, SLAMeasured}

// Comparison holds a measure against a value: Op is <, <=, >, >=, = or
// between (Value ≤ x ≤ Max).
type Comparison struct {
	Measure Measure
	KPI     string // for SLA measures
	Op      string
	Value   float64
	Max     float64
}

// Order keeps the N services with the highest (Desc) or lowest value of a
// measure, ties with the last included.
type Order struct {
	Measure Measure
	KPI     string
	Desc    bool
	N       int
}

// Value is s's figure for a measure, false when s has none (no
// continuity plan, no unit price, no measurement).
func (m Measure) Value(s *domain.Service, kpi string) (float64, bool) {
	switch m {
	case RTO, RPO:
		if s.Continuity == nil {
			return 0, false
		}
		d := s.Continuity.RTO
		if m == RPO {
			d = s.Continuity.RPO
		}
		return durationMinutes(d)
	case AnnualTCO:
		return s.AnnualTCO(), s.Cost != nil && s.AnnualTCO() > 0
	case UnitPrice:
		if s.Cost == nil || s.Cost.UnitPrice <= 0 {
			return 0, false
		}
		return s.Cost.UnitPrice, true
	case Recovery:
		return s.Cost.Recovery()
	case BudgetVariance:
		rows := s.Cost.RecentMonths(1)
		if len(rows) == 0 {
			return 0, false
		}
		_, f, ok := rows[0].Variance()
		return f, ok
	case SLATarget:
		for _, t := range s.SLA {
			if KPIMatches(t.KPI, kpi) {
				return t.Target, true
			}
		}
	case SLAMeasured:
		for _, r := range s.KPIResults() {
			if KPIMatches(r.Target.KPI, kpi) && r.Latest != nil {
				return r.Latest.Value, true
			}
		}
	}
	return 0, false
}

// KPIMatches reports whether a KPI of the catalog is the one asked for:
// its name, or one of its words ("latency" for p95-latency).
func KPIMatches(name, asked string) bool {
	asked = strings.ToLower(strings.TrimSpace(asked))
	return name == asked || asked != "" && slices.Contains(strings.Split(name, "-"), asked)
}

// durationMinutes reads a catalog duration: "30m", "4h", "1d", "90 min",
// "2 hours".
func durationMinutes(d string) (float64, bool) {
	d = strings.ToLower(strings.TrimSpace(d))
	i := strings.IndexFunc(d, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i <= 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(d[:i], 64)
	if err != nil {
		return 0, false
	}
	unit := strings.TrimSpace(d[i:])
	switch {
	case unit == "m" || strings.HasPrefix(unit, "min"):
		return v, true
	case unit == "h" || strings.HasPrefix(unit, "hour") || unit == "hr" || unit == "hrs":
		return v * 60, true
	case unit == "d" || strings.HasPrefix(unit, "day"):
		return v * 1440, true
	case unit == "w" || strings.HasPrefix(unit, "week"):
		return v * 10080, true
	case unit == "s" || strings.HasPrefix(unit, "sec"):
		return v / 60, true
	}
	return 0, false
}

// Holds reports whether v meets the comparison.
func (c Comparison) Holds(v float64) bool {
	const eps = 1e-9
	switch c.Op {
	case "<":
		return v < c.Value-eps
	case "<=":
		return v <= c.Value+eps
	case ">":
		return v > c.Value+eps
	case ">=":
		return v >= c.Value-eps
	case "=":
		return math.Abs(v-c.Value) <= eps
	case "between":
		return v >= c.Value-eps && v <= c.Max+eps
	}
	return false
}

// empty reports whether f matches every service.
func (f Filter) empty() bool {
	return len(f.Stages)+len(f.Tiers)+len(f.Portfolios)+len(f.Owners)+len(f.Managers)+len(f.Boards)+len(f.Tags)+
		len(f.ChargingModels)+len(f.Vendors)+len(f.Products)+len(f.KPIs)+len(f.DRResults)+len(f.RoadmapStatus)+len(f.Compare) == 0 &&
		!f.NoDRTest && !f.OverdueDR && !f.OverdueReview && !f.DueDR && !f.DueReview && f.DRDue == nil && f.ReviewDue == nil &&
		f.ContractEnds == nil && !f.OverBudget && !f.UnderBudget && !f.MissedSLA && f.Order == nil
}

// Match reports whether s meets f on today, with the details that show
// why (the figures compared, the DR test, the contract), for its line.
func (f Filter) Match(snap *domain.Snapshot, s *domain.Service, today domain.Date) (bool, []string) {
	var details []string
	in := func(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }
	if len(f.Stages) > 0 && !slices.Contains(f.Stages, s.Stage) || len(f.Tiers) > 0 && !slices.Contains(f.Tiers, s.Tier) ||
		!in(f.Portfolios, s.Portfolio) {
		return false, nil
	}
	// An owner is the person or team named, or a member of the owning team.
	if len(f.Owners) > 0 && !slices.ContainsFunc(f.Owners, func(o string) bool { return o == s.Owner || snap.IsOwner(s, o) }) {
		return false, nil
	}
	if len(f.Managers) > 0 {
		pf, ok := snap.Portfolios[s.Portfolio]
		if !ok || !slices.Contains(f.Managers, pf.Manager) {
			return false, nil
		}
	}
	if len(f.Boards) > 0 && !slices.Contains(f.Boards, nextGate(snap, s).Board) {
		return false, nil
	}
	if len(f.Tags) > 0 && !slices.ContainsFunc(f.Tags, func(t string) bool { return slices.Contains(s.Tags, t) }) {
		return false, nil
	}
	if len(f.ChargingModels) > 0 {
		if s.Cost == nil || !slices.Contains(f.ChargingModels, s.Cost.ChargingModel) {
			return false, nil
		}
	}
	if len(f.Vendors)+len(f.Products) > 0 || f.ContractEnds != nil {
		var hits []string
		for _, v := range s.VendorProducts {
			if !in(f.Vendors, v.Vendor) || len(f.Products) > 0 && !productHas(v.Product, f.Products) ||
				f.ContractEnds != nil && !f.ContractEnds.Contains(v.ContractEnds) {
				continue
			}
			h := productName(v)
			if f.ContractEnds != nil {
				h += ", contract ends " + string(v.ContractEnds)
			}
			hits = append(hits, h)
		}
		if len(hits) == 0 {
			return false, nil
		}
		details = append(details, strings.Join(hits, ", "))
	}
	if len(f.KPIs) > 0 && !slices.ContainsFunc(s.SLA, func(t domain.SLATarget) bool {
		return slices.ContainsFunc(f.KPIs, func(k string) bool { return KPIMatches(t.KPI, k) })
	}) {
		return false, nil
	}
	if len(f.RoadmapStatus) > 0 {
		var hits []string
		for _, it := range s.Roadmap {
			if slices.Contains(f.RoadmapStatus, it.Status) {
				hits = append(hits, fmt.Sprintf("%s [%s]", it.Title, it.Status))
			}
		}
		if len(hits) == 0 {
			return false, nil
		}
		details = append(details, strings.Join(hits, ", "))
	}
	if f.OverdueDR || f.DueDR || f.DRDue != nil {
		due, ok := s.NextDRTest(today)
		switch {
		case !ok:
			return false, nil
		case f.OverdueDR && !due.Overdue:
			return false, nil
		case f.DueDR && !due.Overdue && due.Days > 30:
			return false, nil
		case f.DRDue != nil && (due.Never || !f.DRDue.Contains(due.Date)):
			return false, nil
		}
		details = append(details, "DR test due "+commands.DueText(due))
	}
	if len(f.DRResults) > 0 {
		k := s.Continuity
		if k == nil || k.LastTest == nil || !slices.Contains(f.DRResults, k.LastTest.Result) {
			return false, nil
		}
		details = append(details, fmt.Sprintf("last DR test %s: %s", k.LastTest.Date, k.LastTest.Result))
	}
	if f.NoDRTest {
		k := s.Continuity
		if k != nil && k.LastTest != nil {
			return false, nil
		}
		if k == nil {
			details = append(details, "no continuity plan")
		} else {
			details = append(details, "never DR-tested")
		}
	}
	if f.OverdueReview || f.DueReview || f.ReviewDue != nil {
		due, ok := s.NextReview(today)
		switch {
		case !ok:
			return false, nil
		case f.OverdueReview && !due.Overdue:
			return false, nil
		case f.DueReview && !due.Overdue && due.Days > 30:
			return false, nil
		case f.ReviewDue != nil && (due.Never || !f.ReviewDue.Contains(due.Date)):
			return false, nil
		}
		details = append(details, "review due "+commands.DueText(due))
	}
	if f.OverBudget || f.UnderBudget {
		rows := s.Cost.RecentMonths(1)
		if len(rows) == 0 {
			return false, nil
		}
		m := rows[0]
		amt, frac, ok := m.Variance()
		if f.OverBudget && amt <= 0 || f.UnderBudget && amt > 0 {
			return false, nil
		}
		d := fmt.Sprintf("%s: actual %s vs budget %s", m.Month, commands.Money(commands.Currency(s), m.Actual), commands.Money(commands.Currency(s), m.Budget))
		if amt > 0 && ok {
			d += fmt.Sprintf(", over by %s (%s)", commands.Money(commands.Currency(s), amt), commands.Percent(frac))
		}
		details = append(details, d)
	}
	if f.MissedSLA {
		var missed []string
		for _, r := range s.KPIResults() {
			if r.Latest != nil && !r.Met {
				missed = append(missed, fmt.Sprintf("%s %s vs %s", r.Target.KPI, kpiValue(r), commands.KPITarget(r.Target)))
			}
		}
		if len(missed) == 0 {
			return false, nil
		}
		details = append(details, "missed "+strings.Join(missed, ", "))
	}
	shown := map[string]bool{}
	for _, c := range f.Compare {
		v, ok := c.Measure.Value(s, c.KPI)
		if !ok || !c.Holds(v) {
			return false, nil
		}
		if d := measureDetail(s, c.Measure, c.KPI, v); !shown[d] {
			shown[d] = true
			details = append(details, d)
		}
	}
	if o := f.Order; o != nil {
		v, ok := o.Measure.Value(s, o.KPI)
		if !ok {
			return false, nil
		}
		if d := measureDetail(s, o.Measure, o.KPI, v); !shown[d] {
			details = append(details, d)
		}
	}
	return true, details
}

// Hit is a service that matched a filter, with the details that show why.
type Hit struct {
	Service *domain.Service
	Details []string
}

// Apply returns the services of snap that match f, in catalog order, or
// for an Order the top N by its measure (ties with the last included).
func (f Filter) Apply(snap *domain.Snapshot, today domain.Date) []Hit {
	var hits []Hit
	for _, n := range snap.ServiceNames() {
		s := snap.Services[n]
		if ok, d := f.Match(snap, s, today); ok {
			hits = append(hits, Hit{s, d})
		}
	}
	o := f.Order
	if o == nil {
		return hits
	}
	val := func(h Hit) float64 { v, _ := o.Measure.Value(h.Service, o.KPI); return v }
	sort.SliceStable(hits, func(i, j int) bool {
		if o.Desc {
			return val(hits[i]) > val(hits[j])
		}
		return val(hits[i]) < val(hits[j])
	})
	n := max(o.N, 1)
	for i := n; i < len(hits); i++ {
		if val(hits[i]) != val(hits[n-1]) {
			return hits[:i]
		}
	}
	return hits
}

// nextGate is the tollgate out of s's current stage (zero when none).
func nextGate(snap *domain.Snapshot, s *domain.Service) domain.Tollgate {
	for _, k := range sortedNames(snap.Tollgates) {
		if tg := snap.Tollgates[k]; tg.From == s.Stage {
			return *tg
		}
	}
	return domain.Tollgate{}
}

// productHas reports whether a product's name holds one of the words.
func productHas(product string, ws []string) bool {
	return slices.ContainsFunc(words(product), func(pw string) bool {
		return slices.ContainsFunc(ws, func(w string) bool { return strings.TrimSuffix(pw, "s") == strings.TrimSuffix(w, "s") })
	})
}

// measureName is how a measure is written in a summary ("RTO", "annual
// TCO", "availability target").
func measureName(m Measure, kpi string) string {
	switch m {
	case RTO:
		return "RTO"
	case RPO:
		return "RPO"
	case AnnualTCO:
		return "annual TCO"
	case UnitPrice:
		return "unit price"
	case Recovery:
		return "cost recovery"
	case BudgetVariance:
		return "budget variance"
	case SLATarget:
		return kpi + " target"
	case SLAMeasured:
		return "measured " + kpi
	}
	return string(m)
}

// measureText writes a value of a measure: "4h", "€800,000", "10%".
func measureText(m Measure, kpi, currency string, v float64, units map[string]string) string {
	switch m {
	case RTO, RPO:
		return minutesText(v)
	case AnnualTCO, UnitPrice:
		return commands.Money(currency, v)
	case Recovery, BudgetVariance:
		return commands.Percent(v)
	case SLATarget, SLAMeasured:
		unit := units[kpi]
		for k, u := range units {
			if unit == "" && KPIMatches(k, kpi) {
				unit = u
			}
		}
		return strings.TrimSpace(commands.Number(v) + " " + commands.UnitText(unit))
	}
	return commands.Number(v)
}

func minutesText(v float64) string {
	switch {
	case v >= 1440 && math.Mod(v, 1440) == 0:
		return commands.Number(v/1440) + "d"
	case v >= 60 && math.Mod(v, 60) == 0:
		return commands.Number(v/60) + "h"
	case v >= 60:
		return commands.Number(math.Round(v/6)/10) + "h"
	}
	return commands.Number(v) + " min"
}

// measureDetail is s's figure for a measure, for its line ("RTO 2h").
func measureDetail(s *domain.Service, m Measure, kpi string, v float64) string {
	switch m {
	case RTO:
		return "RTO " + s.Continuity.RTO // as the catalog writes it
	case RPO:
		return "RPO " + s.Continuity.RPO
	}
	return measureName(m, kpi) + " " + measureText(m, kpi, commands.Currency(s), v, kpiUnits(s))
}

func kpiUnits(s *domain.Service) map[string]string {
	u := map[string]string{}
	for _, t := range s.SLA {
		u[t.KPI] = t.Unit
	}
	return u
}

// Describe says what f matches, as predicates of a sentence whose subject
// is the services ("are tier 1", "have RTO < 4h").
func (f Filter) Describe(snap *domain.Snapshot) []string {
	var c []string
	people := func(ns []string) string {
		var ps []string
		for _, p := range ns {
			ps = append(ps, commands.Person(snap, p))
		}
		return orWords(ps)
	}
	if len(f.Owners) > 0 {
		c = append(c, "are owned by "+people(f.Owners))
	}
	if len(f.Managers) > 0 {
		c = append(c, "are in a portfolio managed by "+people(f.Managers))
	}
	if len(f.Portfolios) > 0 {
		var ps []string
		for _, p := range f.Portfolios {
			ps = append(ps, commands.PortfolioText(snap, p))
		}
		c = append(c, "are in the "+orWords(ps)+" portfolio")
	}
	if len(f.Stages) > 0 {
		var ss []string
		for _, s := range f.Stages {
			ss = append(ss, string(s))
		}
		c = append(c, "are in "+orWords(ss))
	}
	if len(f.Tiers) > 0 {
		var ts []string
		for _, t := range f.Tiers {
			ts = append(ts, fmt.Sprint(t))
		}
		c = append(c, "are tier "+orWords(ts))
	}
	if len(f.Tags) > 0 {
		c = append(c, "are tagged "+orWords(f.Tags))
	}
	if len(f.ChargingModels) > 0 {
		c = append(c, "are charged "+orWords(f.ChargingModels))
	}
	if len(f.Boards) > 0 {
		var bs []string
		for _, b := range f.Boards {
			if bd, ok := snap.Boards[b]; ok && bd.Title != "" {
				b = bd.Title
			}
			bs = append(bs, "the "+b)
		}
		c = append(c, "have their next tollgate decided by "+orWords(bs))
	}
	if len(f.Vendors) > 0 {
		c = append(c, "use "+orWords(f.Vendors))
	}
	if len(f.Products) > 0 {
		c = append(c, "run on a product named "+orWords(f.Products))
	}
	if f.ContractEnds != nil {
		c = append(c, "have a vendor contract ending "+f.ContractEnds.String())
	}
	if len(f.KPIs) > 0 {
		c = append(c, "have an SLA target on "+orWords(f.KPIs))
	}
	if len(f.RoadmapStatus) > 0 {
		c = append(c, "have roadmap items "+orWords(f.RoadmapStatus))
	}
	switch {
	case f.OverdueDR:
		c = append(c, "have an overdue DR test")
	case f.DueDR:
		c = append(c, "have a DR test due within 30 days or overdue")
	case f.DRDue != nil:
		c = append(c, "have a DR test due "+f.DRDue.String())
	}
	switch {
	case len(f.DRResults) == 1 && f.DRResults[0] == "fail":
		c = append(c, "failed their last DR test")
	case len(f.DRResults) == 1 && f.DRResults[0] == "pass":
		c = append(c, "passed their last DR test")
	case len(f.DRResults) == 1 && f.DRResults[0] == "partial":
		c = append(c, "partly passed their last DR test")
	case len(f.DRResults) > 1:
		c = append(c, "had "+orWords(f.DRResults)+" as their last DR test result")
	}
	if f.NoDRTest {
		c = append(c, "have no DR test on record")
	}
	switch {
	case f.OverdueReview:
		c = append(c, "have an overdue performance review")
	case f.DueReview:
		c = append(c, "have a performance review due within 30 days or overdue")
	case f.ReviewDue != nil:
		c = append(c, "have a performance review due "+f.ReviewDue.String())
	}
	if f.OverBudget {
		c = append(c, "were over budget in their latest month")
	}
	if f.UnderBudget {
		c = append(c, "were within budget in their latest month")
	}
	if f.MissedSLA {
		c = append(c, "missed an SLA target in their latest measurements")
	}
	units := map[string]string{}
	for _, n := range snap.ServiceNames() {
		for k, u := range kpiUnits(snap.Services[n]) {
			units[k] = u
		}
	}
	cur := catalogCurrency(snap)
	for _, cmp := range f.Compare {
		v := measureText(cmp.Measure, cmp.KPI, cur, cmp.Value, units)
		if cmp.Op == "between" {
			v += " and " + measureText(cmp.Measure, cmp.KPI, cur, cmp.Max, units)
		}
		op := map[string]string{"<": "<", "<=": "≤", ">": ">", ">=": "≥", "=": "=", "between": "between"}[cmp.Op]
		c = append(c, fmt.Sprintf("have %s %s %s", measureName(cmp.Measure, cmp.KPI), op, v))
	}
	return c
}

// OrderText says what an Order keeps: "the highest annual TCO", "the 5
// longest RTOs".
func (o Order) text() string {
	word := map[bool]string{true: "highest", false: "lowest"}[o.Desc]
	switch o.Measure {
	case RTO, RPO:
		word = map[bool]string{true: "longest", false: "shortest"}[o.Desc]
	}
	return word + " " + measureName(o.Measure, o.KPI)
}

// catalogCurrency is the currency most services use (for writing a
// threshold that is not one service's).
func catalogCurrency(snap *domain.Snapshot) string {
	n := map[string]int{}
	best := ""
	for _, name := range snap.ServiceNames() {
		c := commands.Currency(snap.Services[name])
		n[c]++
		if n[c] > n[best] {
			best = c
		}
	}
	return best
}
