package commands

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/itspm/itspm/domain"
)

// `metrics [portfolio] [line]` (SPEC section 9): how embedded the ITSPM
// processes are, one line per process as N of M (P%), each ending with the
// command that lists the services behind it: the same command with the
// line's key (`metrics workplace dr-test`). Anyone may read it.

// TollgateActivity is what the metrics read besides the catalog: open
// requests and those decided since a time (*storage.Store implements it).
// A store without it gives a lead time without decisions.
type TollgateActivity interface {
	TollgateActivity(ctx context.Context, since time.Time) ([]domain.TollgateRequest, error)
}

// metricAliases are the words `metrics … <line>` accepts for each line.
var metricAliases = map[string]domain.MetricKey{
	"strategy": domain.MetricStrategy, "strategies": domain.MetricStrategy,
	"roadmap": domain.MetricRoadmap, "roadmaps": domain.MetricRoadmap,
	"review": domain.MetricReview, "reviews": domain.MetricReview,
	"sla": domain.MetricSLA, "slas": domain.MetricSLA,
	"dr-plan": domain.MetricDRPlan, "plan": domain.MetricDRPlan, "plans": domain.MetricDRPlan,
	"dr-test": domain.MetricDRTest, "dr": domain.MetricDRTest, "tests": domain.MetricDRTest,
	"dr-passed": domain.MetricDRPassed, "passed": domain.MetricDRPassed,
	"recovery": domain.MetricRecovery, "budget": domain.MetricOverBudget, "over-budget": domain.MetricOverBudget,
	"improvements": domain.MetricImprovements, "improvement": domain.MetricImprovements,
	"contracts": domain.MetricContracts, "contract": domain.MetricContracts,
	"lead-time": domain.MetricLeadTime, "tollgates": domain.MetricLeadTime, "tollgate": domain.MetricLeadTime,
}

func (e *Engine) metrics(ctx context.Context, r *request) (Reply, error) {
	var key domain.MetricKey
	args := append([]string(nil), r.args...)
	if n := len(args); n > 0 {
		if k, ok := metricAliases[strings.ToLower(strings.Trim(args[n-1], "?.!,`"))]; ok {
			key, args = k, args[:n-1]
		}
	}
	portfolio := ""
	if ref := strings.Join(args, " "); strings.TrimSpace(ref) != "" {
		pf, err := ResolvePortfolio(r.snap, ref)
		if err != nil {
			if readsAsQuestion(r.args) { // "metrics for payroll?"
				return e.question(ctx, r.caller, r.verb+" "+r.raw)
			}
			return Reply{}, err
		}
		portfolio = pf.Name
	}
	ms, err := e.ComputeMetrics(ctx, r.snap, portfolio)
	if err != nil {
		return Reply{}, err
	}
	if key != "" {
		return MetricDetail(r.snap, ms, key), nil
	}
	return MetricsReply(r.snap, ms, nil, false), nil
}

// ComputeMetrics reads the tollgate activity (when the store has it) and
// computes the metrics of a portfolio ("" for all): one round trip more
// than the snapshot, whatever the catalog's size.
func (e *Engine) ComputeMetrics(ctx context.Context, snap *domain.Snapshot, portfolio string) (domain.Metrics, error) {
	now := e.now()
	var reqs []domain.TollgateRequest
	if ta, ok := e.store.(TollgateActivity); ok {
		var err error
		if reqs, err = ta.TollgateActivity(ctx, now.Add(-domain.LeadTimeDays*24*time.Hour)); err != nil {
			return domain.Metrics{}, err
		}
	}
	return domain.ComputeMetrics(domain.MetricsInput{Snap: snap, Portfolio: portfolio, Today: e.Today(),
		Requests: reqs, Now: now, Window: domain.DefaultContractWindowDays}), nil
}

// scopeText names the scope: "Workplace Services" or "all portfolios".
func scopeText(snap *domain.Snapshot, portfolio string) string {
	if portfolio == "" {
		return "all portfolios"
	}
	return PortfolioText(snap, portfolio)
}

// MetricCommand is the command that lists the services behind a line.
func MetricCommand(ms domain.Metrics, key domain.MetricKey) string {
	if ms.Scope == "" {
		return "metrics " + string(key)
	}
	return "metrics " + ms.Scope + " " + string(key)
}

// MetricLine renders one line: "DR test current: 7 of 11 services (64%)".
func MetricLine(l domain.Metric) string {
	label := domain.MetricLabels[l.Key]
	var s string
	switch {
	case l.Key == domain.MetricLeadTime && !l.HasValue:
		s = fmt.Sprintf("%s: no decisions in the last %d days", label, domain.LeadTimeDays)
	case l.Key == domain.MetricLeadTime:
		s = fmt.Sprintf("%s: median %s over %s in the last %d days", label, daysText(l.Value), Plural(l.N, "decision"), domain.LeadTimeDays)
	case l.M == 0:
		s = fmt.Sprintf("%s: no %s in scope", label, l.Of)
	case l.Key == domain.MetricRecovery:
		s = fmt.Sprintf("%s: %d of %d %s recover all of it (%d%%)", label, l.N, l.M, l.Of, l.Percent())
		if l.HasValue {
			s += fmt.Sprintf("; %s of TCO recovered overall", Percent(l.Value))
		}
	default:
		s = fmt.Sprintf("%s: %d of %d %s (%d%%)", label, l.N, l.M, l.Of, l.Percent())
	}
	if l.Note != "" {
		s += " (" + l.Note + ")"
	}
	return s
}

func daysText(d float64) string {
	v := fmt.Sprintf("%.1f", d)
	v = strings.TrimSuffix(v, ".0")
	if v == "1" {
		return "1 day"
	}
	return v + " days"
}

// MetricsReply renders the metrics; with trend, each line gets its change
// since prev (▲/▼), or "first week" when there is no prev.
func MetricsReply(snap *domain.Snapshot, ms domain.Metrics, prev *domain.MetricSnapshot, trend bool) Reply {
	var lines []string
	for _, l := range ms.Lines {
		line := MetricLine(l)
		if trend {
			unit := "pts"
			if l.Key == domain.MetricLeadTime {
				unit = "days"
			}
			if a := domain.TrendOf(l, prev).Arrow(unit); a != "" {
				line += " " + a
			}
		}
		lines = append(lines, line+" — `"+MetricCommand(ms, l.Key)+"`")
	}
	text := fmt.Sprintf("How embedded the ITSPM processes are over %s in %s.", Plural(len(ms.Services), "service"), scopeText(snap, ms.Scope))
	switch {
	case ms.Retired > 0:
		text += fmt.Sprintf(" %s in retirement %s left out.", Plural(ms.Retired, "service"), pluralWord(ms.Retired, "is", "are"))
	default:
		text += " No service in retirement is left out."
	}
	if trend && prev == nil {
		text += " First week: the change since last week shows from next week on."
	} else if trend {
		text += " Change since last week (" + prev.Week + ") in percentage points."
	}
	if len(ms.Services) == 0 && ms.Retired == 0 {
		text = fmt.Sprintf("%s has no services yet, so there is nothing to measure.", strings.ToUpper(scopeText(snap, ms.Scope)[:1])+scopeText(snap, ms.Scope)[1:])
	}
	r := Reply{
		Title:    "ITSPM metrics: " + scopeText(snap, ms.Scope),
		Text:     text,
		Sections: []Section{{Lines: lines}},
		Context:  "Each line's command lists the services behind it. As of " + string(ms.Today) + ".",
	}
	if ms.Scope != "" {
		r.Actions = []Action{{Label: "Portfolio", Command: "portfolio " + ms.Scope}, {Label: "All portfolios", Command: "metrics"}}
	}
	return r
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// MetricDetail lists the services behind one line.
func MetricDetail(snap *domain.Snapshot, ms domain.Metrics, key domain.MetricKey) Reply {
	l, _ := ms.Line(key)
	label := domain.MetricLabels[key]
	heading := fmt.Sprintf("Not counted (%d)", len(l.Gaps))
	switch key {
	case domain.MetricOverBudget:
		heading = fmt.Sprintf("Months over budget (%d)", len(l.Gaps))
	case domain.MetricContracts:
		heading = fmt.Sprintf("Contracts ending by %s (%d)", ms.Today.AddDays(domain.DefaultContractWindowDays), len(l.Gaps))
	case domain.MetricLeadTime:
		heading = fmt.Sprintf("Decisions (%d)", len(l.Gaps))
	}
	var lines []string
	for _, g := range l.Gaps {
		name := g.Service
		if s, ok := snap.Services[g.Service]; ok {
			name = ServiceLabel(s)
		}
		if g.Detail != "" {
			name += ": " + g.Detail
		}
		lines = append(lines, name)
	}
	r := Reply{
		Title:   label + ": " + scopeText(snap, ms.Scope),
		Text:    MetricLine(l) + ".",
		Context: retiredNote(ms),
		Actions: []Action{{Label: "All metrics", Command: strings.TrimSuffix(MetricCommand(ms, key), " "+string(key))}},
	}
	if len(lines) > 0 {
		r.Sections = []Section{{Heading: heading, Lines: lines}}
	} else if l.M > 0 {
		r.Text += " Nothing to list."
	}
	return r
}

func retiredNote(ms domain.Metrics) string {
	if ms.Retired == 0 {
		return "No service in retirement is left out."
	}
	return fmt.Sprintf("%s in retirement left out.", Plural(ms.Retired, "service"))
}
