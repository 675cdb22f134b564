package questions

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
)

// Reading a list question's filters beyond names and stages: charging
// models, boards, SLA KPIs, DR results, products, numeric comparisons
// ("an RTO under 4h", "more than €800k a year", "between 500k and 600k")
// and superlatives ("the most expensive", "top 5 by cost").

// listNouns are the words after which a word is a filter of the list
// ("analytics services", "legacy systems").
var listNouns = setOf("services service systems system apps applications tools")

// servicesList reports whether the question asks for a list of services.
func servicesList(q *question) bool {
	return listCue(q) && has(q.ws, "services", "systems", "apps", "applications") || hasPhrase(q.ws, "how many") ||
		hasPhrase(q.ws, "which service") || hasPhrase(q.ws, "what service")
}

// chargingPhrases map words to charging models.
var chargingPhrases = []struct{ p, model string }{
	{"per transaction", "per-transaction"}, {"per transactions", "per-transaction"}, {"per use", "per-transaction"},
	{"per user", "per-user"}, {"per seat", "per-user"}, {"per head", "per-user"}, {"per users", "per-user"},
	{"showback", "showback"}, {"show back", "showback"}, {"tiered", "tiered"}, {"tiers of pricing", "tiered"},
	{"fixed charging", "fixed"}, {"fixed charge", "fixed"}, {"fixed fee", "fixed"}, {"fixed price", "fixed"}, {"charged fixed", "fixed"},
	{"fixed charging model", "fixed"}, {"a fixed model", "fixed"}, {"fixed model", "fixed"},
	{"not charged", "none"}, {"no charging", "none"}, {"no chargeback", "none"}, {"free of charge", "none"}, {"charging model none", "none"},
}

func chargingModels(q *question) []string {
	var out []string
	for _, c := range chargingPhrases {
		if hasPhrase(q.ws, c.p) && !slices.Contains(out, c.model) {
			out = append(out, c.model)
		}
	}
	return out
}

// drResults are the DR test results a question asks for.
func drResults(q *question) []string {
	var out []string
	if has(q.ws, "failed", "fail", "failing", "unsuccessful") {
		out = append(out, "fail")
	}
	if has(q.ws, "partial", "partially", "partly") {
		out = append(out, "partial")
	}
	if has(q.ws, "passed", "pass", "successful", "succeeded") {
		out = append(out, "pass")
	}
	return out
}

// kpiWords are the words of the catalog's KPI names that name one
// ("latency" for p95-latency), with synonyms.
func kpiWord(snap *domain.Snapshot, w string) string {
	switch w {
	case "uptime", "available":
		w = "availability"
	case "tickets":
		w = "backlog"
	}
	if stopwordKPI[w] || len(w) < 4 {
		return ""
	}
	for _, n := range snap.ServiceNames() {
		for _, t := range snap.Services[n].SLA {
			if KPIMatches(t.KPI, w) {
				return w
			}
		}
	}
	return ""
}

// askedKPIWords are the KPIs a question names, by word.
func askedKPIWords(snap *domain.Snapshot, q *question) []string {
	var out []string
	for i, w := range q.ws {
		if q.used[i] {
			continue
		}
		if k := kpiWord(snap, w); k != "" && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// comparators are the words that compare a number: op, and how many
// words the phrase takes.
var comparators = []struct {
	p, op string
}{
	{"less than or equal to", "<="}, {"more than or equal to", ">="}, {"greater than or equal to", ">="},
	{"no more than", "<="}, {"not more than", "<="}, {"no less than", ">="}, {"not less than", ">="},
	{"no longer than", "<="}, {"no higher than", "<="}, {"no lower than", ">="},
	{"less than", "<"}, {"fewer than", "<"}, {"lower than", "<"}, {"shorter than", "<"}, {"faster than", "<"}, {"cheaper than", "<"},
	{"more than", ">"}, {"greater than", ">"}, {"higher than", ">"}, {"longer than", ">"}, {"slower than", ">"}, {"bigger than", ">"},
	{"larger than", ">"}, {"at least", ">="}, {"at most", "<="}, {"up to", "<="}, {"equal to", "="},
	{"under", "<"}, {"below", "<"}, {"over", ">"}, {"above", ">"}, {"exceeding", ">"}, {"exceeds", ">"}, {"beyond", ">"},
	{"within", "<="}, {"maximum", "<="}, {"max", "<="}, {"minimum", ">="}, {"exactly", "="}, {"of", "="}, {"is", "="},
	{"between", "between"},
}

// amount is a number read from the question with its unit class: dur
// (minutes), money, pct, ms, or "" (none); mAmbig marks an "m" suffix that
// is minutes for a duration and million for money.
type amount struct {
	v      float64
	unit   string
	mAmbig bool
	n      int // words read
}

// readAmount reads a number at ws[i]: "4h", "30 min", "€800k", "1.5M",
// "265 000", "99.9 percent", "500 ms".
func readAmount(ws []string, i int) (amount, bool) {
	var a amount
	j := i
	money := false
	if j < len(ws) && (ws[j] == "eur" || ws[j] == "usd") {
		money = true
		j++
	}
	if j >= len(ws) {
		return a, false
	}
	w := ws[j]
	k := strings.IndexFunc(w, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, suffix := w, ""
	if k >= 0 {
		num, suffix = w[:k], w[k:]
	}
	if num == "" {
		return a, false
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return a, false
	}
	j++
	// "265 000": thousands written apart.
	for suffix == "" && j < len(ws) && len(ws[j]) == 3 && isNumber(ws[j]) && !strings.Contains(ws[j], ".") {
		f, _ := strconv.ParseFloat(ws[j], 64)
		v = v*1000 + f
		j++
	}
	if suffix == "" && j < len(ws) {
		switch ws[j] {
		case "k", "m", "h", "d", "ms", "min", "mins", "minute", "minutes", "hour", "hours", "hr", "hrs", "day", "days", "week", "weeks",
			"thousand", "million", "mn", "percent", "pct", "eur", "euro", "euros", "usd", "dollars", "milliseconds", "second", "seconds", "sec", "secs":
			suffix = ws[j]
			j++
		}
	}
	switch suffix {
	case "":
	case "k", "thousand":
		v, a.unit = v*1000, "money"
	case "million", "mn":
		v, a.unit = v*1e6, "money"
	case "m":
		a.unit, a.mAmbig = "dur", true
	case "min", "mins", "minute", "minutes":
		a.unit = "dur"
	case "h", "hour", "hours", "hr", "hrs":
		v, a.unit = v*60, "dur"
	case "d", "day", "days":
		v, a.unit = v*1440, "dur"
	case "week", "weeks":
		v, a.unit = v*10080, "dur"
	case "second", "seconds", "sec", "secs":
		v, a.unit = v/60, "dur"
	case "ms", "milliseconds":
		a.unit = "ms"
	case "percent", "pct":
		a.unit = "pct"
	case "eur", "euro", "euros", "usd", "dollars":
		a.unit = "money"
	default:
		return a, false
	}
	if money && a.unit == "" {
		a.unit = "money"
	}
	if money && a.mAmbig {
		v, a.unit, a.mAmbig = v*1e6, "money", false
	}
	// "€800k a year", "4h or less".
	a.v, a.n = v, j-i
	return a, true
}

// measureCue is a word or phrase that names a measure.
type measureCue struct {
	p string
	m Measure
}

var measureCues = []measureCue{
	{"recovery time objective", RTO}, {"recovery point objective", RPO}, {"recovery time", RTO}, {"restore time", RTO},
	{"time to recover", RTO}, {"recovery point", RPO}, {"data loss", RPO}, {"rto", RTO}, {"rtos", RTO}, {"rpo", RPO}, {"rpos", RPO},
	{"cost recovery", Recovery}, {"recovery rate", Recovery}, {"recovery", Recovery}, {"recover", Recovery}, {"recovers", Recovery},
	{"recovered", Recovery}, {"recoup", Recovery}, {"recoups", Recovery},
	{"unit price", UnitPrice}, {"unit prices", UnitPrice}, {"price per unit", UnitPrice}, {"price", UnitPrice}, {"priced", UnitPrice},
	{"budget", BudgetVariance}, {"overspent", BudgetVariance}, {"overspend", BudgetVariance}, {"overrun", BudgetVariance},
	{"variance", BudgetVariance},
	{"tco", AnnualTCO}, {"cost", AnnualTCO}, {"costs", AnnualTCO}, {"costing", AnnualTCO}, {"spend", AnnualTCO}, {"expensive", AnnualTCO},
	{"cheap", AnnualTCO}, {"cheaper", AnnualTCO}, {"cheapest", AnnualTCO}, {"costliest", AnnualTCO}, {"priciest", AnnualTCO},
}

// measureAt returns the measure named by the words at i (longest cue
// first) and how many words it takes.
func measureAt(snap *domain.Snapshot, ws []string, i int) (Measure, string, int) {
	best, bn := Measure(""), 0
	for _, c := range measureCues {
		pw := strings.Fields(c.p)
		if len(pw) > bn && i+len(pw) <= len(ws) && slices.Equal(ws[i:i+len(pw)], pw) {
			best, bn = c.m, len(pw)
		}
	}
	if bn > 0 {
		return best, "", bn
	}
	if k := kpiWord(snap, ws[i]); k != "" {
		return SLAMeasured, k, 1
	}
	return "", "", 0
}

// slaMeasure decides whether a KPI named near i is about its target or
// its measurement.
func slaMeasure(ws []string, lo, hi int) Measure {
	for j := max(lo, 0); j < min(hi, len(ws)); j++ {
		switch ws[j] {
		case "target", "targets", "sla", "slas", "agreed", "objective":
			return SLATarget
		}
	}
	return SLAMeasured
}

// comparisons reads the numeric conditions of a question.
func comparisons(snap *domain.Snapshot, q *question) []Comparison {
	ws := q.ws
	var out []Comparison
	for i := 0; i < len(ws); i++ {
		op, n := "", 0
		for _, c := range comparators {
			pw := strings.Fields(c.p)
			if i+len(pw) <= len(ws) && slices.Equal(ws[i:i+len(pw)], pw) {
				op, n = c.op, len(pw)
				break
			}
		}
		if op == "" {
			continue
		}
		j := i + n
		a, ok := readAmount(ws, j)
		if !ok {
			continue
		}
		// "of" and "is" compare only right after the measure ("an RTO of 4h").
		if op == "=" && (ws[i] == "of" || ws[i] == "is") {
			if i == 0 {
				continue
			}
			if m, _, _ := measureAt(snap, ws, i-1); m == "" && !(i >= 2 && ws[i-1] == "target") {
				continue
			}
		}
		end := j + a.n
		c := Comparison{Op: op, Value: a.v}
		if op == "between" {
			if end < len(ws) && (ws[end] == "and" || ws[end] == "to") {
				b, ok := readAmount(ws, end+1)
				if !ok {
					continue
				}
				if a.unit == "" {
					a.unit, a.mAmbig = b.unit, b.mAmbig
					a.v = scaleLike(a.v, b)
					c.Value = a.v
				}
				c.Max = b.v
				end += 1 + b.n
			} else {
				continue
			}
		}
		// "4h or less", "99.9% or more".
		if end+1 < len(ws) && ws[end] == "or" {
			switch ws[end+1] {
			case "less", "under", "below", "lower", "shorter", "fewer":
				c.Op = "<="
				end += 2
			case "more", "over", "above", "higher", "longer":
				c.Op = ">="
				end += 2
			}
		}
		// The measure: the nearest cue before the comparator, else after
		// the number, else what the unit says.
		m, kpi := Measure(""), ""
		for k := i - 1; k >= max(0, i-6) && m == ""; k-- {
			m, kpi, _ = measureAt(snap, ws, k)
		}
		for k := end; k < min(len(ws), end+5) && m == ""; k++ {
			m, kpi, _ = measureAt(snap, ws, k)
		}
		if m == "" {
			switch a.unit {
			case "dur":
				m = RTO
				if has(ws, "rpo") {
					m = RPO
				}
			case "money":
				m = AnnualTCO
			case "ms":
				m, kpi = SLAMeasured, "latency"
			default:
				continue
			}
		}
		if m == SLAMeasured {
			m = slaMeasure(ws, i-6, end+3)
		}
		if (m == SLATarget || m == SLAMeasured) && a.unit == "dur" && !a.mAmbig {
			// "a latency target above 1 second": in the KPI's unit.
			per := map[string]float64{"ms": 60000, "milliseconds": 60000, "s": 60, "seconds": 60, "minutes": 1, "min": 1, "hours": 1.0 / 60, "h": 1.0 / 60}
			f, ok := per[kpiUnit(snap, kpi)]
			if !ok {
				continue
			}
			c.Value, c.Max, a.unit = c.Value*f, c.Max*f, ""
		}
		if !fitUnit(&c, m, a) {
			continue
		}
		c.Measure, c.KPI = m, kpi
		out = append(out, c)
		i = end - 1
	}
	return out
}

// scaleLike gives a bare number the scale of the number it pairs with
// ("between 500 and 600k" is between 500k and 600k).
func scaleLike(v float64, b amount) float64 {
	if b.unit == "money" && b.v >= 1000 && v < 1000 {
		switch {
		case b.v >= 1e6 && v < 1000:
			return v * 1e6
		default:
			return v * 1000
		}
	}
	if b.unit == "dur" && !b.mAmbig && b.v >= 60 && v < 60 {
		return v * 60
	}
	return v
}

// fitUnit puts the comparison's values in the measure's unit, and
// refuses a number whose unit does not fit the measure.
func fitUnit(c *Comparison, m Measure, a amount) bool {
	conv := func(f func(float64) float64) {
		c.Value = f(c.Value)
		if c.Op == "between" {
			c.Max = f(c.Max)
		}
	}
	switch m {
	case RTO, RPO:
		switch a.unit {
		case "dur":
		case "":
			conv(func(v float64) float64 { return v * 60 }) // "an RTO under 4": hours
		default:
			return false
		}
	case AnnualTCO, UnitPrice:
		if a.mAmbig { // "1.5m" of money is a million
			conv(func(v float64) float64 { return v * 1e6 })
		} else if a.unit != "money" && a.unit != "" {
			return false
		}
	case Recovery, BudgetVariance:
		if a.unit != "pct" && a.unit != "" {
			return false
		}
		if a.unit == "pct" || c.Value > 2 {
			conv(func(v float64) float64 { return v / 100 })
		}
	case SLATarget, SLAMeasured:
		if a.unit == "dur" && !a.mAmbig {
			return false
		}
	}
	if c.Op == "between" && c.Max < c.Value {
		c.Value, c.Max = c.Max, c.Value
	}
	return true
}

// superlatives are the words that order: descending or not.
var superlatives = map[string]bool{
	"highest": true, "longest": true, "most": true, "biggest": true, "largest": true, "top": true, "greatest": true, "slowest": true,
	"lowest": false, "shortest": false, "least": false, "smallest": false, "bottom": false, "fastest": false,
	"cheapest": false, "costliest": true, "priciest": true,
}

// order reads a superlative: "the most expensive service", "longest
// RTO", "top 5 by cost", "the 3 cheapest".
func order(snap *domain.Snapshot, q *question) *Order {
	ws := q.ws
	for i, w := range ws {
		desc, ok := superlatives[w]
		if !ok || q.used[i] {
			continue
		}
		o := &Order{Desc: desc}
		var m Measure
		var kpi string
		switch w {
		case "cheapest", "costliest", "priciest":
			m = AnnualTCO
		default:
			// The measure after it ("longest RTO", "most expensive"), or
			// after "by" ("top 5 by cost").
			for k := i + 1; k < min(len(ws), i+5) && m == ""; k++ {
				if ws[k] == "by" {
					continue
				}
				m, kpi, _ = measureAt(snap, ws, k)
			}
		}
		if m == "" {
			continue
		}
		if m == BudgetVariance && !desc && w == "least" {
			desc = false
		}
		if m == SLAMeasured {
			m = slaMeasure(ws, i, i+5)
		}
		if w == "most" && has(ws, "cheap") || w == "least" && has(ws, "expensive") {
			desc = false
		}
		o.Measure, o.KPI, o.Desc = m, kpi, desc
		// How many: "top 5", "the 3 most", "5 cheapest".
		if i+1 < len(ws) && isNumber(ws[i+1]) {
			o.N, _ = strconv.Atoi(ws[i+1])
		} else if i > 0 && isNumber(ws[i-1]) {
			o.N, _ = strconv.Atoi(ws[i-1])
		} else if i > 0 && numberWords[ws[i-1]] > 0 {
			o.N = numberWords[ws[i-1]]
		}
		if o.N <= 0 {
			o.N = 1
			if w == "top" || w == "bottom" || has(ws[i:], "services", "systems") && !hasPhrase(ws, "which service") {
				o.N = 5
			}
		}
		return o
	}
	return nil
}

// moreFilters adds to f what filters() does not read: charging models,
// boards, products, KPIs, DR results, comparisons and an order.
func (e *Parser) moreFilters(snap *domain.Snapshot, q *question, f *Filter) {
	f.ChargingModels = chargingModels(q)
	multiWordTags(snap, q, f)
	if len(q.boards) > 0 && servicesList(q) {
		f.Boards = q.boards
	}
	f.Compare = comparisons(snap, q)
	f.Order = order(snap, q)
	slaCompared, budgetCompared := false, false
	for _, c := range f.Compare {
		slaCompared = slaCompared || c.Measure == SLATarget || c.Measure == SLAMeasured
		budgetCompared = budgetCompared || c.Measure == BudgetVariance
	}
	if slaCompared {
		f.MissedSLA = false
	}
	if budgetCompared && has(q.ws, "under", "below", "within") && !has(q.ws, "over", "above") {
		f.UnderBudget = false
	}
	if q.score[iDR] > 0 {
		if rs := drResults(q); len(rs) > 0 && !f.OverdueDR {
			f.DRResults = rs
		}
	}
	// "which services have a ticket backlog SLA", "a latency target".
	if len(f.Compare) == 0 && f.Order == nil && !f.MissedSLA && has(q.ws, "sla", "slas", "target", "targets", "kpi", "kpis") {
		f.KPIs = askedKPIWords(snap, q)
	}
	// "which services run on Jira Service Management": product words.
	if len(f.Vendors) == 0 && servicesList(q) && (has(q.ws, "run", "runs", "running", "use", "uses", "using", "product", "products", "built") ||
		hasPhrase(q.ws, "based on")) {
		f.Products = productWords(snap, q)
	}
}

// kpiUnit is the unit the catalog gives a KPI (by name or word).
func kpiUnit(snap *domain.Snapshot, kpi string) string {
	for _, n := range snap.ServiceNames() {
		for _, t := range snap.Services[n].SLA {
			if KPIMatches(t.KPI, kpi) {
				return t.Unit
			}
		}
	}
	return ""
}

// multiWordTags reads tags of several words ("customer-facing"), and
// takes their words back from a portfolio or service they also name,
// saying which reading was used.
func multiWordTags(snap *domain.Snapshot, q *question, f *Filter) {
	tags := map[string]bool{}
	for _, n := range snap.ServiceNames() {
		for _, t := range snap.Services[n].Tags {
			tags[t] = true
		}
	}
	for _, t := range sortedSet(tags) {
		tw := words(t)
		if len(tw) < 2 || !hasPhrase(q.ws, strings.Join(tw, " ")) || slices.Contains(f.Tags, t) {
			continue
		}
		f.Tags = append(f.Tags, t)
		for _, m := range q.matches {
			if !slices.Contains(tw, m.text) {
				continue
			}
			switch m.kind {
			case kPortfolio:
				f.Portfolios = slices.DeleteFunc(f.Portfolios, func(p string) bool { return p == m.name })
				q.notes = append(q.notes, fmt.Sprintf("I read %q as the tag %s, not the %s portfolio.", t, t, commands.PortfolioText(snap, m.name)))
			case kService:
				q.notes = append(q.notes, fmt.Sprintf("I read %q as the tag %s, not the service %s.", t, t, snap.Services[m.name].Label()))
			}
		}
	}
}
