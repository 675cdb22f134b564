package commands

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/itspm/itspm/domain"
)

func (e *Engine) help(_ context.Context, _ *request) (Reply, error) {
	var lines []string
	for _, c := range registry {
		usage := "/itspm " + c.verb
		if c.args != "" {
			usage += " " + c.args
		}
		lines = append(lines, fmt.Sprintf("`%s`: %s. Example: `/itspm %s`", usage, c.help, c.example))
	}
	return Reply{
		Title: "itspm: your IT service catalog in Slack",
		Text:  "Ask about any service by name, alias or title. Commands:",
		Sections: []Section{{Lines: lines}, {Heading: "Or just ask", Lines: []string{
			"who owns payroll?", "how much does email cost a year?", "when is the next DR test for crm?",
			"which services does lee own?", "what depends on identity?", "how are we doing on DR tests?",
		}}},
		Context: "Stages: " + domain.StageNames() + ".",
	}, nil
}

func (e *Engine) serviceCard(_ context.Context, r *request) (Reply, error) {
	s, err := serviceArg(r, "service <service>")
	if err != nil {
		return Reply{}, err
	}
	snap, today := r.snap, e.Today()
	owner := PersonDetail(snap, s.Owner)
	pf := PortfolioText(snap, s.Portfolio)
	if p, ok := snap.Portfolios[s.Portfolio]; ok && p.Manager != "" {
		pf += " · managed by " + Person(snap, p.Manager)
	}
	fields := []Field{
		{"Owner", owner},
		{"Portfolio", pf},
		{"Stage", stageText(s.Stage)},
		{"Tier", TierText(s.Tier)},
	}
	if s.Cost != nil {
		fields = append(fields, Field{"Annual TCO", Money(s.Cost.Currency, s.AnnualTCO())})
	}
	if due, ok := s.NextReview(today); ok {
		fields = append(fields, Field{"Next review", DueText(due)})
	}
	if due, ok := s.NextDRTest(today); ok {
		fields = append(fields, Field{"Next DR test", DueText(due)})
	}
	if len(s.Aliases) > 0 {
		fields = append(fields, Field{"Also known as", strings.Join(s.Aliases, ", ")})
	}
	secs := append([]Section{{Fields: fields}}, cardExtras(snap, s, today)...)
	if len(s.SLA) > 0 {
		var lines []string
		for _, t := range s.SLA {
			lines = append(lines, fmt.Sprintf("%s %s", t.KPI, KPITarget(t)))
		}
		secs = append(secs, Section{Heading: "SLA targets", Lines: lines})
	}
	deps := "none"
	if len(s.DependsOn) > 0 {
		deps = strings.Join(s.DependsOn, ", ")
	}
	used := "nothing"
	if d := snap.Dependents(s.Name); len(d) > 0 {
		used = strings.Join(d, ", ")
	}
	secs = append(secs, Section{Fields: []Field{{"Depends on", deps}, {"Used by", used}}})
	ctxLine := ""
	if len(s.Tags) > 0 {
		ctxLine = "Tags: " + strings.Join(s.Tags, ", ")
	}
	return Reply{
		Title:    ServiceLabel(s),
		Text:     s.Description,
		Sections: secs,
		Context:  ctxLine,
		Actions: []Action{
			{Label: "Cost", Command: "cost " + s.Name},
			{Label: "Dependencies", Command: "deps " + s.Name},
			{Label: "DR", Command: "dr " + s.Name},
			{Label: "Performance", Command: "performance " + s.Name},
			{Label: "History", Command: "history " + s.Name},
		},
	}, nil
}

func (e *Engine) owner(_ context.Context, r *request) (Reply, error) {
	s, err := serviceArg(r, "owner <service>")
	if err != nil {
		return Reply{}, err
	}
	snap := r.snap
	fields := []Field{{"Owner", PersonDetail(snap, s.Owner)}}
	if pf, ok := snap.Portfolios[s.Portfolio]; ok {
		fields = append(fields, Field{"Portfolio", PortfolioText(snap, s.Portfolio)})
		if pf.Manager != "" {
			fields = append(fields, Field{"Portfolio manager", PersonDetail(snap, pf.Manager)})
		}
	}
	return Reply{
		Title:    "Who owns " + s.Label(),
		Text:     fmt.Sprintf("%s is owned by %s.", s.Label(), Person(snap, s.Owner)),
		Sections: []Section{{Fields: fields}},
		Actions:  []Action{{Label: "Service card", Command: "service " + s.Name}},
	}, nil
}

func (e *Engine) cost(_ context.Context, r *request) (Reply, error) {
	s, err := serviceArg(r, "cost <service>")
	if err != nil {
		return Reply{}, err
	}
	c := s.Cost
	if c == nil {
		return Reply{Title: "Cost of " + s.Label(), Text: s.Label() + " has no cost model in the catalog yet."}, nil
	}
	cur := c.Currency
	total := c.TCO.Total()
	share := func(v float64) string {
		if total == 0 {
			return Money(cur, v)
		}
		return fmt.Sprintf("%s (%s)", Money(cur, v), Percent(v/total))
	}
	tco := Section{Heading: "Annual TCO: " + Money(cur, total), Fields: []Field{
		{"Licenses", share(c.TCO.Licenses)},
		{"Infrastructure", share(c.TCO.Infrastructure)},
		{"Labor", share(c.TCO.Labor)},
		{"Support", share(c.TCO.Support)},
	}}
	model := c.ChargingModel
	if model == "" {
		model = "not set"
	}
	charging := []Field{{"Charging model", model}}
	if c.UnitPrice > 0 {
		charging = append(charging, Field{"Unit price", Money(cur, c.UnitPrice)})
	}
	if rec, ok := c.Recovery(); ok {
		charging = append(charging, Field{"Recovered", fmt.Sprintf("%s a year (%s of TCO)", Money(cur, c.Recovered), Percent(rec))})
	} else if c.Recovered > 0 {
		charging = append(charging, Field{"Recovered", Money(cur, c.Recovered) + " a year (no TCO to compare)"})
	}
	secs := []Section{tco, {Heading: "Charging", Fields: charging}}
	if rows := c.RecentMonths(3); len(rows) > 0 {
		var lines []string
		for _, m := range rows {
			amt, frac, ok := m.Variance()
			v := ""
			switch {
			case amt > 0 && ok:
				v = fmt.Sprintf("over by %s (%s)", Money(cur, amt), Percent(frac))
			case amt > 0:
				v = "over by " + Money(cur, amt)
			case amt < 0 && ok:
				v = fmt.Sprintf("under by %s (%s)", Money(cur, -amt), Percent(-frac))
			case amt < 0:
				v = "under by " + Money(cur, -amt)
			default:
				v = "on budget"
			}
			lines = append(lines, fmt.Sprintf("%s: budget %s, actual %s, %s", m.Month, Money(cur, m.Budget), Money(cur, m.Actual), v))
		}
		secs = append(secs, Section{Heading: "Budget vs actual", Lines: lines})
	}
	if len(s.VendorProducts) > 0 {
		var lines []string
		for _, v := range s.VendorProducts {
			l := v.Vendor
			if v.Product != "" {
				l += " " + v.Product
			}
			if v.AnnualCost > 0 {
				l += ", " + Money(cur, v.AnnualCost) + " a year"
			}
			if v.ContractEnds != "" {
				l += ", contract ends " + DateRel(v.ContractEnds, e.Today())
			}
			lines = append(lines, l)
		}
		secs = append(secs, Section{Heading: "Vendor products", Lines: lines})
	}
	r2 := Reply{Title: "Cost of " + s.Label(), Sections: secs}
	if ch, ok := CostChart(s.Name+"-budget-"+string(e.Today())+".png", s.Label()+": budget vs actual", cur, c.RecentMonths(12)); ok {
		r2.Charts = []Chart{ch}
	}
	return r2, nil
}

func (e *Engine) deps(_ context.Context, r *request) (Reply, error) {
	s, err := serviceArg(r, "deps <service>")
	if err != nil {
		return Reply{}, err
	}
	down := Transitive(r.snap, s.Name, func(n string) []string {
		if svc, ok := r.snap.Services[n]; ok {
			return svc.DependsOn
		}
		return nil
	})
	up := Transitive(r.snap, s.Name, r.snap.Dependents)
	render := func(list []Reach, empty string) []string {
		if len(list) == 0 {
			return []string{empty}
		}
		var out []string
		for _, d := range list {
			l := d.Name
			if svc, ok := r.snap.Services[d.Name]; ok {
				l = ServiceLabel(svc)
				if svc.Tier > 0 {
					l += fmt.Sprintf(", tier %d", svc.Tier)
				}
			} else {
				l += " (not in the catalog)"
			}
			if d.Depth > 1 {
				l += fmt.Sprintf(" — indirect, via %s", d.Via)
			}
			out = append(out, l)
		}
		return out
	}
	return Reply{
		Title: "Dependencies of " + s.Label(),
		Sections: []Section{
			{Heading: fmt.Sprintf("Depends on (%d)", len(down)), Lines: render(down, "nothing")},
			{Heading: fmt.Sprintf("Depended on by (%d)", len(up)), Lines: render(up, "nothing depends on it")},
		},
		Context: "Indirect dependencies are marked with the service they come through.",
	}, nil
}

// Reach is a service reached from another through dependencies.
type Reach struct {
	Name  string
	Depth int    // 1 for direct
	Via   string // the direct neighbour it was reached through
}

// Transitive walks next from start breadth-first, visiting each service
// once (so cycles end), and returns what it reached in walk order.
func Transitive(_ *domain.Snapshot, start string, next func(string) []string) []Reach {
	seen := map[string]bool{start: true}
	var out []Reach
	type item struct {
		name, via string
		depth     int
	}
	var queue []item
	for _, n := range next(start) {
		if !seen[n] {
			seen[n] = true
			queue = append(queue, item{n, n, 1})
		}
	}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		out = append(out, Reach{Name: it.name, Depth: it.depth, Via: it.via})
		for _, n := range next(it.name) {
			if !seen[n] {
				seen[n] = true
				queue = append(queue, item{n, it.via, it.depth + 1})
			}
		}
	}
	return out
}

func (e *Engine) find(_ context.Context, r *request) (Reply, error) {
	q := strings.ToLower(strings.TrimSpace(r.raw))
	if q == "" {
		return Reply{}, domain.Errorf(domain.Invalid, "Find what? Usage: `find <text>`, e.g. `find finance`.")
	}
	type hit struct {
		s     *domain.Service
		score int
	}
	var hits []hit
	for _, n := range r.snap.ServiceNames() {
		s := r.snap.Services[n]
		score := 0
		switch {
		case n == q || strings.EqualFold(s.Title, q):
			score = 100
		case ContainsFold(s.Aliases, q):
			score = 90
		case strings.Contains(n, q) || strings.Contains(strings.ToLower(s.Title), q):
			score = 70
		case ContainsFold(s.Tags, q):
			score = 60
		case anyContains(s.Aliases, q):
			score = 50
		case strings.Contains(strings.ToLower(s.Description), q):
			score = 30
		}
		if score > 0 {
			hits = append(hits, hit{s, score})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].score > hits[j].score })
	if len(hits) == 0 {
		text := fmt.Sprintf("No service matches %q.", r.raw)
		if sug := Suggestions(r.snap, q, 3); len(sug) > 0 {
			text += " Did you mean " + OrList(sug) + "?"
		}
		return Reply{Title: "Find: " + r.raw, Text: text}, nil
	}
	var lines []string
	for _, h := range hits {
		lines = append(lines, ServiceLine(r.snap, h.s))
	}
	return Reply{
		Title:    "Find: " + r.raw,
		Text:     fmt.Sprintf("%s matching %q:", Plural(len(hits), "service"), r.raw),
		Sections: []Section{{Lines: lines}},
	}, nil
}

// ServiceLine is the one-line summary used in lists.
func ServiceLine(snap *domain.Snapshot, s *domain.Service) string {
	l := fmt.Sprintf("%s: %s, %s", ServiceLabel(s), s.Stage, TierText(s.Tier))
	if s.Owner != "" {
		l += ", owner " + Person(snap, s.Owner)
	}
	return l
}

func ContainsFold(list []string, q string) bool {
	for _, x := range list {
		if strings.EqualFold(x, q) {
			return true
		}
	}
	return false
}

func anyContains(list []string, q string) bool {
	for _, x := range list {
		if strings.Contains(strings.ToLower(x), q) {
			return true
		}
	}
	return false
}

func (e *Engine) roadmap(ctx context.Context, r *request) (Reply, error) {
	if rep, ok, err := e.roadmapWrite(ctx, r); ok {
		return rep, err
	}
	s, err := serviceArg(r, "roadmap <service>")
	if err != nil {
		return Reply{}, err
	}
	if len(s.Roadmap) == 0 {
		return Reply{Title: "Roadmap of " + s.Label(), Text: s.Label() + " has no roadmap items."}, nil
	}
	today := e.Today()
	var lines []string
	for n, i := range roadmapOrder(s) {
		it := s.Roadmap[i]
		l := fmt.Sprintf("%d. %s", n+1, it.Title)
		if it.Status != "" {
			l += " [" + it.Status + "]"
		}
		if it.Due != "" {
			if it.Status != "done" && it.Due.Before(today) {
				l += fmt.Sprintf(", due %s, OVERDUE by %s", it.Due, Plural(it.Due.DaysUntil(today), "day"))
			} else {
				l += ", due " + DateRel(it.Due, today)
			}
		}
		if it.Cost > 0 {
			l += ", " + Money(Currency(s), it.Cost)
		}
		lines = append(lines, l)
	}
	secs := []Section{{Lines: lines}}
	if len(s.Improvements) > 0 {
		var imp []string
		for _, it := range s.Improvements {
			l := it.Title
			if it.Status != "" {
				l += " [" + it.Status + "]"
			}
			if it.Due != "" {
				l += ", due " + DateRel(it.Due, today)
			}
			if it.Owner != "" {
				l += ", " + Person(r.snap, it.Owner)
			}
			imp = append(imp, l)
		}
		secs = append(secs, Section{Heading: "Improvements", Lines: imp})
	}
	return Reply{Title: "Roadmap of " + s.Label(), Sections: secs}, nil
}

func (e *Engine) performance(_ context.Context, r *request) (Reply, error) {
	s, err := serviceArg(r, "performance <service>")
	if err != nil {
		return Reply{}, err
	}
	results := s.KPIResults()
	if len(results) == 0 {
		return Reply{Title: "Performance of " + s.Label(), Text: s.Label() + " has no SLA targets in the catalog."}, nil
	}
	var lines []string
	met, missed := 0, 0
	for _, res := range results {
		t := res.Target
		if res.Latest == nil {
			lines = append(lines, fmt.Sprintf("%s: target %s, no measurement yet", t.KPI, KPITarget(t)))
			continue
		}
		verdict := "MISSED"
		if res.Met {
			verdict = "met"
			met++
		} else {
			missed++
		}
		lines = append(lines, fmt.Sprintf("%s: %s %s in %s vs target %s: %s (%s)", t.KPI, Number(res.Latest.Value), UnitText(t.Unit), res.Latest.Month, KPITarget(t), verdict, SourceText(*res.Latest)))
	}
	text := fmt.Sprintf("%d of %d targets met in the latest measurements.", met, met+missed)
	if missed > 0 {
		text = fmt.Sprintf("%d of %d targets missed in the latest measurements.", missed, met+missed)
	}
	ctxLine := ""
	if due, ok := s.NextReview(e.Today()); ok {
		ctxLine = "Next performance review: " + DueText(due)
	}
	return Reply{Title: "Performance of " + s.Label(), Text: text, Sections: []Section{{Lines: lines}}, Context: ctxLine}, nil
}

func (e *Engine) history(ctx context.Context, r *request) (Reply, error) {
	s, err := serviceArg(r, "history <service>")
	if err != nil {
		return Reply{}, err
	}
	entries, err := e.store.History(ctx, s.Name, 25)
	if err != nil {
		return Reply{}, err
	}
	if len(entries) == 0 {
		return Reply{Title: "History of " + s.Label(), Text: "No recorded changes yet."}, nil
	}
	var lines []string
	for _, en := range entries {
		who := en.Actor
		if _, ok := r.snap.People[who]; ok {
			who = Person(r.snap, who)
		}
		l := fmt.Sprintf("%s · %s · %s", en.At.In(e.loc).Format("2006-01-02 15:04"), who, en.Summary)
		if en.Summary == "" {
			l = fmt.Sprintf("%s · %s · %s", en.At.In(e.loc).Format("2006-01-02 15:04"), who, en.Action)
		}
		var ch []string
		for i, c := range en.Changes {
			if i == 4 {
				ch = append(ch, fmt.Sprintf("and %d more", len(en.Changes)-4))
				break
			}
			if c.Before == "" {
				ch = append(ch, fmt.Sprintf("%s = %s", c.Field, c.After))
			} else {
				ch = append(ch, fmt.Sprintf("%s: %s → %s", c.Field, c.Before, c.After))
			}
		}
		if len(ch) > 0 && en.Action != "import.create" {
			l += " (" + strings.Join(ch, "; ") + ")"
		}
		lines = append(lines, l)
	}
	return Reply{Title: "History of " + s.Label(), Text: fmt.Sprintf("Latest %s, newest first:", Plural(len(entries), "change")), Sections: []Section{{Lines: lines}}}, nil
}
