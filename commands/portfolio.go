package commands

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/itspm/itspm/domain"
)

// `portfolio <name>` (SPEC section 9): manager, services by stage, total
// TCO and recovery, budget against actual by month, contracts ending
// within the window and open tollgates. Anyone may read it.

// ResolvePortfolio finds a portfolio by name or title, case-insensitively
// ("the workplace portfolio" too), accepting one clearly-closest typo; with
// no match it is a NotFound error suggesting the closest names.
func ResolvePortfolio(snap *domain.Snapshot, ref string) (*domain.Portfolio, error) {
	key := Normalize(ref)
	key = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(key, "the "), " portfolio"))
	if key == "" {
		return nil, domain.Errorf(domain.Invalid, "Which portfolio? Give its name or title, e.g. `portfolio %s`.", firstPortfolio(snap))
	}
	keys := map[string]string{} // lower-cased name and title → name
	for n, p := range snap.Portfolios {
		if p.Title != "" {
			keys[strings.ToLower(p.Title)] = n
		}
	}
	for n := range snap.Portfolios {
		keys[n] = n
	}
	for _, k := range []string{key, strings.ReplaceAll(key, " ", "-")} {
		if n, ok := keys[k]; ok {
			return snap.Portfolios[n], nil
		}
	}
	type cand struct {
		name string
		d    int
	}
	best := map[string]int{}
	for k, n := range keys {
		d := domain.Distance(key, k)
		if strings.HasPrefix(k, key) && len(key) >= 3 {
			d = min(d, 1)
		}
		if old, ok := best[n]; !ok || d < old {
			best[n] = d
		}
	}
	var cs []cand
	for n, d := range best {
		cs = append(cs, cand{n, d})
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].d != cs[j].d {
			return cs[i].d < cs[j].d
		}
		return cs[i].name < cs[j].name
	})
	limit := max(1, len(key)/5)
	if len(cs) > 0 && cs[0].d <= limit && len(key) >= 4 && (len(cs) == 1 || cs[1].d > cs[0].d) {
		return snap.Portfolios[cs[0].name], nil
	}
	msg := fmt.Sprintf("I don't know a portfolio called %q.", strings.TrimSpace(ref))
	var sug []string
	for _, c := range cs {
		if c.d <= max(3, len(key)/2) && len(sug) < 3 {
			sug = append(sug, c.name)
		}
	}
	if len(sug) > 0 {
		msg += " Did you mean " + OrList(sug) + "?"
	} else if len(snap.Portfolios) > 0 {
		msg += " The portfolios are " + OrList(portfolioNames(snap.Portfolios)) + "."
	}
	return nil, domain.Errorf(domain.NotFound, "%s", msg)
}

func firstPortfolio(snap *domain.Snapshot) string {
	if names := portfolioNames(snap.Portfolios); len(names) > 0 {
		return names[0]
	}
	return "workplace"
}

func (e *Engine) portfolio(ctx context.Context, r *request) (Reply, error) {
	if len(r.args) == 0 {
		return Reply{}, domain.Errorf(domain.Invalid, "Which portfolio? Usage: `portfolio <name>`, e.g. `portfolio %s`. The portfolios are %s.",
			firstPortfolio(r.snap), OrList(portfolioNames(r.snap.Portfolios)))
	}
	pf, err := ResolvePortfolio(r.snap, r.raw)
	if err != nil {
		if readsAsQuestion(r.args) { // "portfolio manager of payroll?"
			return e.question(ctx, r.caller, r.verb+" "+r.raw)
		}
		return Reply{}, err
	}
	var open []domain.TollgateRequest
	if ta, ok := e.store.(TollgateActivity); ok {
		all, err := ta.TollgateActivity(ctx, e.now())
		if err != nil {
			return Reply{}, err
		}
		for _, q := range all {
			if q.Status == domain.RequestOpen && q.DecidedAt.IsZero() {
				open = append(open, q)
			}
		}
	}
	return PortfolioReply(r.snap, domain.ViewPortfolio(r.snap, pf.Name, e.Today(), domain.DefaultContractWindowDays, open), e.Today()), nil
}

// PortfolioReply renders a portfolio view, with the budget-vs-actual chart
// of its main currency for Slack.
func PortfolioReply(snap *domain.Snapshot, v domain.PortfolioView, today domain.Date) Reply {
	pf := v.Portfolio
	title := PortfolioText(snap, pf.Name)
	fields := []Field{{"Manager", "none in the catalog"}}
	if pf.Manager != "" {
		fields[0].Value = PersonDetail(snap, pf.Manager)
	}
	if pf.Channel != "" {
		fields = append(fields, Field{"Channel", pf.Channel})
	}
	svc := Plural(v.Services, "service")
	if v.Retired > 0 {
		svc += fmt.Sprintf(" (%d in retirement)", v.Retired)
	}
	fields = append(fields, Field{"Services", svc})
	for _, m := range v.Money {
		label := "Annual TCO"
		if len(v.Money) > 1 {
			label += " (" + m.Currency + ")"
		}
		val := Money(m.Currency, m.TCO)
		if rec, ok := m.Recovery(); ok {
			val += fmt.Sprintf(" · %s recovered (%s)", Money(m.Currency, m.Recovered), Percent(rec))
		}
		fields = append(fields, Field{label, val})
	}
	secs := []Section{{Fields: fields}}
	if len(v.ByStage) > 0 {
		var lines []string
		for _, st := range v.ByStage {
			lines = append(lines, fmt.Sprintf("%s (%d): %s", st.Stage, len(st.Services), serviceList(snap, st.Services, 12)))
		}
		secs = append(secs, Section{Heading: "Services by stage", Lines: lines})
	}
	var charts []Chart
	for _, m := range v.Money {
		if len(m.Months) == 0 {
			continue
		}
		var lines []string
		for _, mc := range m.Months {
			l := fmt.Sprintf("%s: budget %s, actual %s", mc.Month, Money(m.Currency, mc.Budget), Money(m.Currency, mc.Actual))
			if mc.Actual == 0 {
				l = fmt.Sprintf("%s: budget %s, no actual yet", mc.Month, Money(m.Currency, mc.Budget))
			} else if amt, frac, ok := mc.Variance(); ok && amt != 0 {
				word := "over"
				if amt < 0 {
					word, frac = "under", -frac
				}
				l += fmt.Sprintf(", %s by %s", word, Percent(frac))
			}
			lines = append(lines, l)
		}
		h := "Budget vs actual by month"
		if len(v.Money) > 1 {
			h += " (" + m.Currency + ")"
		}
		sec := Section{Heading: h, Lines: lines}
		if m.NoActual > 0 {
			sec.Text = fmt.Sprintf("%s with a budget but no actual yet count in the budget only.", Plural(m.NoActual, "service-month"))
		}
		secs = append(secs, sec)
		if len(charts) == 0 {
			if c, ok := CostChart(fmt.Sprintf("%s-budget-%s.png", pf.Name, today), title+": budget vs actual", m.Currency, m.Months); ok {
				charts = append(charts, c)
			}
		}
	}
	if len(v.Contracts) > 0 {
		var lines []string
		for _, c := range v.Contracts {
			l := fmt.Sprintf("%s for %s, ends %s", vendorText(c.VendorProduct), serviceName(snap, c.Service), DateRel(c.ContractEnds, today))
			if c.AnnualCost > 0 {
				l += ", " + Money(Currency(snap.Services[c.Service]), c.AnnualCost) + " a year"
			}
			lines = append(lines, l)
		}
		secs = append(secs, Section{Heading: fmt.Sprintf("Contracts ending within %d days (%d)", domain.DefaultContractWindowDays, len(v.Contracts)), Lines: lines})
	}
	if len(v.Open) > 0 {
		var lines []string
		for _, q := range v.Open {
			lines = append(lines, fmt.Sprintf("%s: %s %s → %s, opened %s by %s", q.ID, serviceName(snap, q.Service), q.From, q.To,
				domain.DateOf(q.OpenedAt), Person(snap, q.Requester)))
		}
		secs = append(secs, Section{Heading: fmt.Sprintf("Open tollgates (%d)", len(v.Open)), Lines: lines})
	} else {
		secs = append(secs, Section{Heading: "Open tollgates", Lines: []string{"none"}})
	}
	text := ""
	if v.Services == 0 {
		text = title + " has no services yet."
	}
	return Reply{
		Title:    "Portfolio: " + title,
		Text:     text,
		Sections: secs,
		Charts:   charts,
		Context:  "Money is summed per currency, retired services included (they cost until they are gone). As of " + string(today) + ".",
		Actions:  []Action{{Label: "Metrics", Command: "metrics " + pf.Name}},
	}
}

func serviceName(snap *domain.Snapshot, name string) string {
	if s, ok := snap.Services[name]; ok {
		return ServiceLabel(s)
	}
	return name
}

func portfolioNames(m map[string]*domain.Portfolio) []string {
	out := make([]string, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// serviceList joins service labels, cut after limit.
func serviceList(snap *domain.Snapshot, names []string, limit int) string {
	var ls []string
	for i, n := range names {
		if i == limit {
			ls = append(ls, fmt.Sprintf("%d more", len(names)-limit))
			break
		}
		ls = append(ls, serviceName(snap, n))
	}
	return strings.Join(ls, ", ")
}

// vendorText names a vendor product without repeating the vendor.
func vendorText(v domain.VendorProduct) string {
	if v.Product == "" {
		return v.Vendor
	}
	if strings.HasPrefix(strings.ToLower(v.Product), strings.ToLower(v.Vendor)) {
		return v.Product
	}
	return strings.TrimSpace(v.Vendor + " " + v.Product)
}

// readsAsQuestion reports whether the words after `portfolio` or `metrics`
// read as a question rather than a name ("portfolio of payroll?").
func readsAsQuestion(args []string) bool {
	if len(args) == 0 {
		return false
	}
	if strings.HasSuffix(args[len(args)-1], "?") {
		return true
	}
	switch strings.ToLower(args[0]) {
	case "of", "for", "is", "are", "does", "do", "manager", "managers", "who", "what", "which", "has", "have":
		return true
	}
	return false
}
