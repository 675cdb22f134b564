package commands

import (
	"context"
	"strings"

	"github.com/itspm/itspm/domain"
)

// Plain-language questions about the process metrics ("how are we doing
// on DR tests?", "what share of services have a strategy?") are answered
// by `metrics` before the question parser sees them: they ask about the
// catalog as a whole (or a portfolio), never about one service.

// metricsAsk are the phrases that ask for a share or a state of the whole.
var metricsAsk = []string{
	"how are we doing", "how are we", "how well are we", "how well do we", "what share", "what percentage",
	"what proportion", "what fraction", "what part of", "how many of our", "percentage of", "share of",
	"proportion of", "how embedded", "process metrics", "itspm metrics", "governance metrics", "scorecard",
	"how mature", "maturity",
}

// metricTopics map words of a question to the line it asks about; phrases
// first, so "dr plan" is the plan and "cost recovery" not the DR test.
var metricTopics = []struct {
	p string
	k domain.MetricKey
}{
	{"lead time", domain.MetricLeadTime}, {"tollgate", domain.MetricLeadTime}, {"tollgates", domain.MetricLeadTime},
	{"approvals", domain.MetricLeadTime},
	{"dr plan", domain.MetricDRPlan}, {"dr plans", domain.MetricDRPlan}, {"continuity plan", domain.MetricDRPlan},
	{"continuity plans", domain.MetricDRPlan}, {"recovery plan", domain.MetricDRPlan}, {"recovery plans", domain.MetricDRPlan},
	{"passed", domain.MetricDRPassed}, {"pass", domain.MetricDRPassed}, {"failed", domain.MetricDRPassed},
	{"cost recovery", domain.MetricRecovery}, {"recover", domain.MetricRecovery}, {"recovered", domain.MetricRecovery},
	{"chargeback", domain.MetricRecovery}, {"charging", domain.MetricRecovery},
	{"dr test", domain.MetricDRTest}, {"dr tests", domain.MetricDRTest}, {"dr", domain.MetricDRTest},
	{"disaster recovery", domain.MetricDRTest}, {"continuity", domain.MetricDRTest},
	{"strategy", domain.MetricStrategy}, {"strategies", domain.MetricStrategy},
	{"roadmap", domain.MetricRoadmap}, {"roadmaps", domain.MetricRoadmap},
	{"review", domain.MetricReview}, {"reviews", domain.MetricReview}, {"reviewed", domain.MetricReview},
	{"sla", domain.MetricSLA}, {"slas", domain.MetricSLA}, {"service levels", domain.MetricSLA},
	{"budget", domain.MetricOverBudget}, {"budgets", domain.MetricOverBudget},
	{"improvement", domain.MetricImprovements}, {"improvements", domain.MetricImprovements},
	{"contract", domain.MetricContracts}, {"contracts", domain.MetricContracts}, {"renewals", domain.MetricContracts},
}

// wholeWords say the question is about the processes as a whole.
var wholeWords = wordSet("itspm processes process governance embedded overall metrics services catalog catalogue portfolio portfolios")

// metricsQuestion answers text when it asks about the metrics; ok is false
// (and nothing is read) when it does not.
func (e *Engine) metricsQuestion(ctx context.Context, c Caller, text string) (Reply, bool, error) {
	ws := strings.Fields(strings.Map(func(r rune) rune {
		if r == '?' || r == '!' || r == ',' || r == '.' || r == '’' || r == '\'' || r == '"' {
			return ' '
		}
		return r
	}, strings.ToLower(text)))
	padded := " " + strings.Join(ws, " ") + " "
	asked := false
	for _, p := range metricsAsk {
		if strings.Contains(padded, " "+p+" ") {
			asked = true
			break
		}
	}
	if !asked {
		return Reply{}, false, nil
	}
	var key domain.MetricKey
	topicAt := map[string]bool{}
	for _, t := range metricTopics {
		if strings.Contains(padded, " "+t.p+" ") {
			if key == "" {
				key = t.k
			}
			for _, w := range strings.Fields(t.p) {
				topicAt[w] = true
			}
		}
	}
	whole := false
	for _, w := range ws {
		if wholeWords[w] {
			whole = true
		}
	}
	if key == "" && !whole {
		return Reply{}, false, nil
	}
	snap, err := e.store.Snapshot(ctx)
	if err != nil {
		return Reply{}, true, err
	}
	// A question naming a service is about that service ("how are we doing
	// on payroll's budget?"): leave it to the parser.
	for i, w := range ws {
		if topicAt[w] || stopwordsMetrics[w] {
			continue
		}
		if s, ok := snap.Lookup(w); ok && s != nil {
			return Reply{}, false, nil
		}
		if i+1 < len(ws) {
			if _, ok := snap.Lookup(w + " " + ws[i+1]); ok {
				return Reply{}, false, nil
			}
		}
	}
	portfolio := ""
	for i := range ws {
		for _, n := range []int{3, 2, 1} {
			if i+n > len(ws) {
				continue
			}
			ref := strings.Join(ws[i:i+n], " ")
			if pf, err := ResolvePortfolio(snap, ref); err == nil && (n > 1 || len(ref) >= 4) && exactPortfolio(pf, ref) {
				portfolio = pf.Name
				break
			}
		}
		if portfolio != "" {
			break
		}
	}
	ms, err := e.ComputeMetrics(ctx, snap, portfolio)
	if err != nil {
		return Reply{}, true, err
	}
	if key == "" {
		return MetricsReply(snap, ms, nil, false), true, nil
	}
	return MetricDetail(snap, ms, key), true, nil
}

// exactPortfolio: the words name the portfolio itself, not a typo of it.
func exactPortfolio(pf *domain.Portfolio, ref string) bool {
	ref = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(ref, "the "), " portfolio"))
	return ref == pf.Name || strings.EqualFold(ref, pf.Title)
}

// stopwordsMetrics are words never taken for a service name here.
var stopwordsMetrics = wordSet("how are we doing on with the a an of our services service what share percentage proportion fraction have has do does is many")

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}
