package questions

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
)

// aboutServices answers a question about the services it names: one
// service gets the matching command's reply with the fact as its lead
// sentence; several get one fact each.
func (e *Parser) aboutServices(snap *domain.Snapshot, q *question, in intent) commands.Reply {
	if len(q.svcs) > 1 && in != iNone && in != iCard {
		var facts []string
		var names []string
		for _, s := range q.svcs {
			fact, _ := e.aboutService(snap, q, s, in, false)
			facts = append(facts, fact)
			names = append(names, s.Name)
		}
		return commands.Reply{
			Title:   strings.ToUpper(intentNames[in][:1]) + intentNames[in][1:] + ": " + strings.Join(names, ", "),
			Text:    strings.Join(facts, "\n"),
			Context: "From the catalog. Ask about one service for the details.",
		}
	}
	fact, r := e.aboutService(snap, q, q.svcs[0], in, true)
	r.Text = fact
	if r.Context == "" {
		r.Context = "From the catalog."
	}
	return r
}

// aboutService returns the fact that answers the question for s, and the
// command reply that gives the details. With brief, the fact is the
// summary line of that reply and names none of the items its lines list.
func (e *Parser) aboutService(snap *domain.Snapshot, q *question, s *domain.Service, in intent, brief bool) (string, commands.Reply) {
	switch in {
	case iOwner:
		return e.ownerFact(snap, s), e.run(snap, q, s, "owner")
	case iManager, iPortfolio:
		return managerFact(snap, s), e.run(snap, q, s, "owner")
	case iCost:
		return e.costFact(q, s), e.run(snap, q, s, "cost")
	case iStage:
		return stageFact(q, s), e.run(snap, q, s, "service")
	case iTier:
		return tierFact(q, s), e.run(snap, q, s, "service")
	case iSLA:
		return slaFact(q, s, brief), e.run(snap, q, s, "performance")
	case iDeps:
		return depsDownFact(snap, s, brief), e.run(snap, q, s, "deps")
	case iRoadmap:
		return e.roadmapFact(snap, q, s)
	case iDR:
		return e.drFact(q, s), e.eng.DRCard(snap, s)
	case iVendor:
		r := e.run(snap, q, s, "cost")
		r.Title = "Vendors of " + s.Label()
		r.Sections = slices.DeleteFunc(r.Sections, func(sec commands.Section) bool { return sec.Heading != "Vendor products" })
		return e.vendorFact(s), r
	case iReview:
		return e.reviewFact(q, s), e.run(snap, q, s, "performance")
	case iChannel:
		if s.Channel == "" {
			return s.Label() + " has no Slack channel in the catalog.", commands.Reply{Title: commands.ServiceLabel(s)}
		}
		return fmt.Sprintf("%s's Slack channel is %s.", s.Label(), s.Channel), commands.Reply{Title: commands.ServiceLabel(s)}
	case iStrategy:
		return strategyFact(q, s), e.run(snap, q, s, "service")
	case iHistory:
		return fmt.Sprintf("To see what changed on %s and who changed it, use `history %s`.", s.Label(), s.Name),
			commands.Reply{Title: "History of " + s.Label(), Actions: []commands.Action{{Label: "History", Command: "history " + s.Name}}}
	}
	r := e.run(snap, q, s, "service")
	fact := fmt.Sprintf("%s: %s", s.Label(), s.Description)
	if s.Description == "" {
		fact = "Here is what the catalog says about " + s.Label() + "."
	}
	if in == iNone && !cardWords(q) {
		fact = fmt.Sprintf("I'm not sure what you want to know about %s, so here is its service card. %s", s.Label(), s.Description)
	}
	return strings.TrimSpace(fact), r
}

// liveStatus reports whether a yes/no question asks about the state right
// now ("is identity down?"), which the catalog does not know.
func liveStatus(q *question) bool {
	return q.yesNo() && has(q.ws, "down", "up", "ok", "okay", "working", "broken", "healthy", "running", "offline", "online")
}

func cardWords(q *question) bool {
	return q.score[iCard] > 0 || len(q.ws) <= 3
}

func (e *Parser) ownerFact(snap *domain.Snapshot, s *domain.Service) string {
	if s.Owner == "" {
		return s.Label() + " has no owner in the catalog."
	}
	return fmt.Sprintf("%s is owned by %s.", s.Label(), commands.Person(snap, s.Owner))
}

func managerFact(snap *domain.Snapshot, s *domain.Service) string {
	pf, ok := snap.Portfolios[s.Portfolio]
	if !ok {
		return s.Label() + " is in no portfolio of the catalog."
	}
	if pf.Manager == "" {
		return fmt.Sprintf("%s is in the %s portfolio, which has no manager in the catalog.", s.Label(), commands.PortfolioText(snap, s.Portfolio))
	}
	return fmt.Sprintf("%s is in the %s portfolio, managed by %s.", s.Label(), commands.PortfolioText(snap, s.Portfolio), commands.Person(snap, pf.Manager))
}

// costFacet is the part of the cost model a question asks about.
func costFacet(q *question) string {
	w := q.iw
	switch {
	case has(w, "budget", "budgets", "overspent", "overspend", "overspending", "variance", "actual", "actuals", "overrun"):
		return "budget"
	case has(w, "recovery", "recovered", "recover", "recoup", "recouped", "chargeback") || hasPhrase(w, "charged back"):
		return "recovery"
	case hasPhrase(w, "unit price") || hasPhrase(w, "per user") || hasPhrase(w, "per transaction") || hasPhrase(w, "per seat") ||
		hasPhrase(w, "per head") || hasPhrase(w, "per page") || has(w, "unit"):
		return "unit"
	case has(w, "charging", "charged", "charge", "billed", "billing"):
		return "charging"
	case has(w, "licence", "licences", "license", "licenses", "licensing"):
		return "licenses"
	case has(w, "infrastructure", "hosting", "hardware"):
		return "infrastructure"
	case has(w, "labor", "labour", "staff", "personnel", "people", "salary", "salaries"):
		return "labor"
	case has(w, "support", "maintenance"):
		return "support"
	}
	return "total"
}

func (e *Parser) costFact(q *question, s *domain.Service) string {
	c := s.Cost
	if c == nil {
		return s.Label() + " has no cost model in the catalog yet."
	}
	cur, total := c.Currency, c.TCO.Total()
	category := func(label string, v float64) string {
		if total == 0 {
			return fmt.Sprintf("%s's annual %s cost is %s.", s.Label(), label, commands.Money(cur, v))
		}
		return fmt.Sprintf("%s's annual %s cost is %s, %s of its %s total cost of ownership.", s.Label(), label, commands.Money(cur, v), commands.Percent(v/total), commands.Money(cur, total))
	}
	switch costFacet(q) {
	case "budget":
		rows := c.RecentMonths(3)
		if len(rows) == 0 {
			return s.Label() + " has no monthly budget figures in the catalog."
		}
		last := rows[len(rows)-1]
		amt, frac, ok := last.Variance()
		var verdict, yes string
		switch {
		case amt > 0:
			verdict, yes = "over budget by "+commands.Money(cur, amt), "Yes"
		case amt < 0:
			verdict, yes = "under budget by "+commands.Money(cur, -amt), "No"
		default:
			verdict, yes = "exactly on budget", "No"
		}
		if ok && amt != 0 {
			verdict += fmt.Sprintf(" (%s)", commands.Percent(abs64(frac)))
		}
		if has(q.ws, "under", "below", "within") {
			yes = map[string]string{"Yes": "No", "No": "Yes"}[yes]
			if amt == 0 {
				yes = "Yes"
			}
		}
		fact := fmt.Sprintf("In %s, %s spent %s against a budget of %s: %s.", last.Month, s.Label(), commands.Money(cur, last.Actual), commands.Money(cur, last.Budget), verdict)
		if q.yesNo() {
			fact = yes + ". " + fact
		}
		return fact
	case "recovery":
		if rec, ok := c.Recovery(); ok {
			if c.Recovered == 0 {
				return fmt.Sprintf("%s recovers nothing through charging (charging model: %s); its annual TCO is %s.", s.Label(), orNotSet(c.ChargingModel), commands.Money(cur, total))
			}
			return fmt.Sprintf("%s recovers %s a year through charging: %s of its %s annual TCO.", s.Label(), commands.Money(cur, c.Recovered), commands.Percent(rec), commands.Money(cur, total))
		}
		return fmt.Sprintf("%s recovers %s a year; it has no TCO to compare with.", s.Label(), commands.Money(cur, c.Recovered))
	case "unit":
		if c.UnitPrice <= 0 {
			return fmt.Sprintf("%s has no unit price in the catalog (charging model: %s).", s.Label(), orNotSet(c.ChargingModel))
		}
		per := map[string]string{"per-user": " per user", "per-transaction": " per transaction"}[c.ChargingModel]
		return fmt.Sprintf("%s's unit price is %s%s (charging model: %s).", s.Label(), commands.Money(cur, c.UnitPrice), per, orNotSet(c.ChargingModel))
	case "charging":
		fact := fmt.Sprintf("%s's charging model is %s", s.Label(), orNotSet(c.ChargingModel))
		if c.UnitPrice > 0 {
			fact += ", at a unit price of " + commands.Money(cur, c.UnitPrice)
		}
		return fact + "."
	case "licenses":
		return category("licenses", c.TCO.Licenses)
	case "infrastructure":
		return category("infrastructure", c.TCO.Infrastructure)
	case "labor":
		return category("labor", c.TCO.Labor)
	case "support":
		return category("support", c.TCO.Support)
	}
	return fmt.Sprintf("%s costs %s a year (annual total cost of ownership: licenses %s, infrastructure %s, labor %s, support %s).",
		s.Label(), commands.Money(cur, total), commands.Money(cur, c.TCO.Licenses), commands.Money(cur, c.TCO.Infrastructure), commands.Money(cur, c.TCO.Labor), commands.Money(cur, c.TCO.Support))
}

func abs64(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func orNotSet(s string) string {
	if s == "" {
		return "not set"
	}
	return s
}

// askedStages are the stages a question names ("is crm live?").
func askedStages(q *question) []domain.Stage {
	var out []domain.Stage
	for i, w := range q.ws {
		if q.used[i] {
			continue
		}
		if st, ok := stageWords[w]; ok {
			out = append(out, st...)
		}
	}
	return out
}

func stageFact(q *question, s *domain.Service) string {
	fact := fmt.Sprintf("%s is in the %s stage (%d of %d).", s.Label(), s.Stage, s.Stage.Index()+1, len(domain.Stages))
	if asked := askedStages(q); q.yesNo() && len(asked) > 0 {
		if slices.Contains(asked, s.Stage) {
			return "Yes. " + fact
		}
		return "No. " + fact
	}
	return fact
}

// askedTiers are the tier numbers a question names ("tier 1", "tiers 1 and 2", "tier one").
func askedTiers(ws []string) []int {
	var out []int
	for i, w := range ws {
		if w != "tier" && w != "tiers" {
			continue
		}
		for j := i + 1; j < len(ws) && j <= i+4; j++ {
			n := 0
			switch {
			case len(ws[j]) == 1 && ws[j][0] >= '1' && ws[j][0] <= '9':
				n = int(ws[j][0] - '0')
			case numberWords[ws[j]] > 0:
				n = numberWords[ws[j]]
			case ws[j] == "and" || ws[j] == "or":
				continue
			}
			if n == 0 {
				break
			}
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out
}

func tierFact(q *question, s *domain.Service) string {
	if s.Tier == 0 {
		return s.Label() + " has no tier in the catalog."
	}
	fact := fmt.Sprintf("%s is tier %d", s.Label(), s.Tier)
	if s.Tier == 1 {
		fact += " (the most critical)"
	}
	fact += "."
	if asked := askedTiers(q.ws); q.yesNo() && len(asked) > 0 {
		if slices.Contains(asked, s.Tier) {
			return "Yes. " + fact
		}
		return "No. " + fact
	}
	if q.yesNo() && has(q.ws, "critical") {
		if s.Tier == 1 {
			return "Yes. " + fact
		}
		return "No. " + fact
	}
	return fact
}

// kpiSynonyms map question words to words of KPI names.
var kpiSynonyms = map[string][]string{
	"uptime": {"availability"}, "available": {"availability"}, "up": {"availability"},
	"speed": {"latency", "load", "time"}, "slow": {"latency", "load", "time"}, "fast": {"latency", "load", "time"},
	"response": {"latency"}, "quick": {"latency"}, "fresh": {"freshness"}, "tickets": {"backlog"},
}

// askedKPIs are the SLA targets of s that the question names; all of them
// when it names none.
func askedKPIs(q *question, s *domain.Service) []domain.KPIResult {
	all := s.KPIResults()
	var out []domain.KPIResult
	for _, r := range all {
		parts := strings.Split(r.Target.KPI, "-")
		hit := false
		for i, w := range q.ws {
			if q.used[i] || len(w) < 3 || stopwordKPI[w] {
				continue
			}
			if slices.Contains(parts, w) || w == r.Target.KPI {
				hit = true
			}
			for _, syn := range kpiSynonyms[w] {
				if slices.Contains(parts, syn) {
					hit = true
				}
			}
		}
		if hit {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return all
	}
	return out
}

// stopwordKPI are words that appear in KPI names but do not pick one.
var stopwordKPI = setOf("p95 rate time the and")

func kpiValue(r domain.KPIResult) string {
	return commands.Number(r.Latest.Value) + " " + commands.UnitText(r.Target.Unit)
}

func slaFact(q *question, s *domain.Service, brief bool) string {
	rs := askedKPIs(q, s)
	if len(rs) == 0 {
		return s.Label() + " has no SLA targets in the catalog."
	}
	if liveStatus(q) {
		return "The catalog holds monthly measurements, not live status (ask your monitoring for that). " + slaFact(&question{ws: []string{"how"}, used: []bool{false}, iw: q.iw}, s, brief)
	}
	var met, missed, unmeasured []string
	for _, r := range rs {
		t := r.Target
		switch {
		case r.Latest == nil:
			unmeasured = append(unmeasured, fmt.Sprintf("%s (target %s, not measured yet)", t.KPI, commands.KPITarget(t)))
		case r.Met:
			met = append(met, fmt.Sprintf("%s %s in %s (target %s)", t.KPI, kpiValue(r), r.Latest.Month, commands.KPITarget(t)))
		default:
			missed = append(missed, fmt.Sprintf("%s %s in %s (target %s)", t.KPI, kpiValue(r), r.Latest.Month, commands.KPITarget(t)))
		}
	}
	askMiss := has(q.ws, "miss", "missed", "missing", "breach", "breached", "below", "fail", "failed", "failing", "off")
	var b strings.Builder
	if q.yesNo() && len(met)+len(missed) > 0 {
		switch {
		case askMiss && len(missed) > 0, !askMiss && len(missed) == 0:
			b.WriteString("Yes. ")
		default:
			b.WriteString("No. ")
		}
	}
	if len(rs) == 1 {
		r := rs[0]
		t := r.Target
		switch {
		case r.Latest == nil:
			fmt.Fprintf(&b, "%s's %s target is %s; there is no measurement yet.", s.Label(), t.KPI, commands.KPITarget(t))
		case r.Met:
			fmt.Fprintf(&b, "%s's %s was %s in %s, meeting its target of %s.", s.Label(), t.KPI, kpiValue(r), r.Latest.Month, commands.KPITarget(t))
		default:
			fmt.Fprintf(&b, "%s's %s was %s in %s, missing its target of %s.", s.Label(), t.KPI, kpiValue(r), r.Latest.Month, commands.KPITarget(t))
		}
		return b.String()
	}
	n := len(met) + len(missed)
	if brief && n > 0 {
		// The performance card that follows lists each target.
		switch {
		case len(missed) == 0:
			fmt.Fprintf(&b, "%s met all %d SLA targets in the latest measurements.", s.Label(), n)
		default:
			fmt.Fprintf(&b, "%s missed %d of %d SLA targets in the latest measurements.", s.Label(), len(missed), n)
		}
		if len(unmeasured) > 0 {
			fmt.Fprintf(&b, " %d not measured yet.", len(unmeasured))
		}
		return b.String()
	}
	switch {
	case n == 0:
		fmt.Fprintf(&b, "%s has SLA targets but no measurements yet: %s.", s.Label(), strings.Join(unmeasured, "; "))
		return b.String()
	case len(missed) == 0:
		fmt.Fprintf(&b, "%s met all %d SLA targets in the latest measurements: %s.", s.Label(), n, strings.Join(met, "; "))
	default:
		fmt.Fprintf(&b, "%s missed %d of %d SLA targets in the latest measurements: %s.", s.Label(), len(missed), n, strings.Join(missed, "; "))
		if len(met) > 0 {
			fmt.Fprintf(&b, " Met: %s.", strings.Join(met, "; "))
		}
	}
	if len(unmeasured) > 0 {
		fmt.Fprintf(&b, " Not measured yet: %s.", strings.Join(unmeasured, "; "))
	}
	return b.String()
}

// labels lists services by title for a sentence ("HR Core, Payroll and Learning Platform").
func labels(snap *domain.Snapshot, names []string, limit int) string {
	var ls []string
	for i, n := range names {
		if i == limit {
			ls = append(ls, fmt.Sprintf("%d more", len(names)-limit))
			break
		}
		if s, ok := snap.Services[n]; ok {
			ls = append(ls, s.Label())
		} else {
			ls = append(ls, n)
		}
	}
	return andWords(ls)
}

func downstream(snap *domain.Snapshot, name string) []commands.Reach {
	return commands.Transitive(snap, name, func(n string) []string {
		if svc, ok := snap.Services[n]; ok {
			return svc.DependsOn
		}
		return nil
	})
}

func depsDownFact(snap *domain.Snapshot, s *domain.Service, brief bool) string {
	all := downstream(snap, s.Name)
	if len(all) == 0 {
		return s.Label() + " depends on no other service."
	}
	var direct, indirect []string
	for _, r := range all {
		if r.Depth == 1 {
			direct = append(direct, r.Name)
		} else {
			indirect = append(indirect, r.Name)
		}
	}
	if brief {
		return fmt.Sprintf("%s depends on %s: %s.", s.Label(), commands.Plural(len(all), "service"), directIndirect(len(direct), len(indirect)))
	}
	fact := fmt.Sprintf("%s depends directly on %s", s.Label(), labels(snap, direct, 12))
	if len(indirect) > 0 {
		fact += fmt.Sprintf(", and indirectly on %s", labels(snap, indirect, 12))
	}
	return fact + "."
}

// depsAnswer answers "what does X depend on", "what depends on X", "what
// breaks if X goes down" and "does X depend on Y".
func (e *Parser) depsAnswer(snap *domain.Snapshot, q *question) commands.Reply {
	s := q.svcs[0]
	cuePos := indexOf(q.ws, "depend", "depends", "depending", "dependent", "dependents", "rely", "relies", "relying",
		"use", "uses", "using", "need", "needs", "built", "sits")
	up := has(q.iw, "breaks", "break", "outage", "impact", "impacted", "affected", "affect", "affects", "downstream",
		"dependents", "fails", "fail", "down") || hasPhrase(q.ws, "used by") || hasPhrase(q.ws, "blast radius")
	if has(q.iw, "upstream") {
		up = false
	}
	if !up && cuePos >= 0 && !has(q.ws, "dependencies", "dependency") {
		// The subject depends: "what does payroll depend on" (service
		// before the verb) versus "what depends on identity" (after).
		up = q.svcPos(s) > cuePos
	}
	// "does payroll depend on identity?": two services either side of the verb.
	if len(q.svcs) >= 2 && cuePos >= 0 {
		a, b := q.svcs[0], q.svcs[1]
		if q.svcPos(a) > q.svcPos(b) {
			a, b = b, a
		}
		if q.svcPos(a) < cuePos && q.svcPos(b) > cuePos {
			// A yes or no with the path; the full dependency lists stay
			// behind the deps button rather than repeat it.
			r := e.run(snap, q, a, "deps")
			r.Text, r.Sections = dependsOnFact(snap, a, b), nil
			r.Actions = append(r.Actions, commands.Action{Label: "Dependencies of " + a.Label(), Command: "deps " + a.Name})
			return r
		}
	}
	r := e.run(snap, q, s, "deps")
	if !up {
		r.Text = depsDownFact(snap, s, true)
		return r
	}
	all := commands.Transitive(snap, s.Name, snap.Dependents)
	// "which tier 1 services depend on the network": keep those tiers.
	tierNote := ""
	if tiers := askedTiers(q.ws); len(tiers) > 0 {
		all = slices.DeleteFunc(all, func(x commands.Reach) bool {
			svc, ok := snap.Services[x.Name]
			return !ok || !slices.Contains(tiers, svc.Tier)
		})
		var ts []string
		for _, t := range tiers {
			ts = append(ts, fmt.Sprint(t))
		}
		tierNote = " tier " + orWords(ts)
	}
	var direct, indirect []string
	for _, x := range all {
		if x.Depth == 1 {
			direct = append(direct, x.Name)
		} else {
			indirect = append(indirect, x.Name)
		}
	}
	// The reverse direction first: that is what was asked.
	if len(r.Sections) == 2 {
		r.Sections[0], r.Sections[1] = r.Sections[1], r.Sections[0]
	}
	switch {
	case len(all) == 0:
		r.Text = fmt.Sprintf("No%s service in the catalog depends on %s.", tierNote, s.Label())
	case tierNote != "":
		var lines []string
		for _, x := range all {
			l := labels(snap, []string{x.Name}, 1) + fmt.Sprintf(" (%s)", x.Name)
			if x.Depth > 1 {
				l += " — indirect, via " + x.Via
			}
			lines = append(lines, l)
		}
		r.Sections = []commands.Section{{Heading: fmt.Sprintf("Depended on by (%d%s)", len(all), tierNote), Lines: lines}}
		r.Text = fmt.Sprintf("%s on %s: %s.", pluralVerb(len(all), strings.TrimSpace(tierNote)+" service depends", strings.TrimSpace(tierNote)+" services depend"), s.Label(), directIndirect(len(direct), len(indirect)))
	case has(q.iw, "breaks", "break", "outage", "down", "fails", "fail", "impact", "impacted", "affected", "affect", "affects") || hasPhrase(q.ws, "blast radius"):
		r.Text = fmt.Sprintf("If %s goes down, %s affected: %s.", s.Label(), pluralVerb(len(all), "service is", "services are"), directIndirect(len(direct), len(indirect)))
	default:
		r.Text = fmt.Sprintf("%s on %s: %s.", pluralVerb(len(all), "service depends", "services depend"), s.Label(), directIndirect(len(direct), len(indirect)))
	}
	return r
}

// inDays is "in 5 days", "today" or "3 days ago".
func inDays(n int) string {
	switch {
	case n == 0:
		return "today"
	case n < 0:
		return commands.Plural(-n, "day") + " ago"
	}
	return "in " + commands.Plural(n, "day")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func pluralVerb(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func dependsOnFact(snap *domain.Snapshot, a, b *domain.Service) string {
	for _, r := range downstream(snap, a.Name) {
		if r.Name != b.Name {
			continue
		}
		if r.Depth == 1 {
			return fmt.Sprintf("Yes. %s depends directly on %s.", a.Label(), b.Label())
		}
		return fmt.Sprintf("Yes. %s depends on %s indirectly, through %s.", a.Label(), b.Label(), labels(snap, []string{r.Via}, 1))
	}
	return fmt.Sprintf("No. %s does not depend on %s, directly or indirectly.", a.Label(), b.Label())
}

// statusWords map words to roadmap item statuses.
var statusWords = map[string]string{
	"blocked": "blocked", "stuck": "blocked", "planned": "planned", "done": "done", "completed": "done",
	"finished": "done", "delivered": "done", "progress": "in-progress", "ongoing": "in-progress", "active": "in-progress",
}

func askedStatuses(q *question) []string {
	var out []string
	for _, w := range q.ws {
		if st, ok := statusWords[w]; ok && !slices.Contains(out, st) {
			// "planned" alone is how people say "roadmap"; only a filter next to other words.
			if w == "planned" && (q.per != nil || len(q.ws) < 6) {
				continue
			}
			out = append(out, st)
		}
	}
	return out
}

// roadmapConditions describes which roadmap items a question asked for:
// "due this month", "overdue", "with status planned or at-risk".
func roadmapConditions(q *question, overdue bool, statuses []string) []string {
	var cond []string
	if q.per != nil {
		cond = append(cond, "due "+q.per.String())
	}
	if overdue {
		cond = append(cond, "overdue")
	}
	if len(statuses) > 0 {
		cond = append(cond, "with status "+strings.Join(statuses, " or "))
	}
	return cond
}

func overdueWord(q *question) bool {
	return has(q.ws, "overdue", "late", "behind", "slipped", "slipping", "missed", "outstanding", "lapsed", "expired")
}

func (e *Parser) itemLine(s *domain.Service, it domain.RoadmapItem, withService bool) string {
	l := it.Title
	if withService {
		l = s.Label() + ": " + l
	}
	if it.Status != "" {
		l += " [" + it.Status + "]"
	}
	today := e.eng.Today()
	if it.Due != "" {
		if it.Status != "done" && it.Due.Before(today) {
			l += fmt.Sprintf(", due %s, OVERDUE by %s", it.Due, commands.Plural(it.Due.DaysUntil(today), "day"))
		} else {
			l += ", due " + commands.DateRel(it.Due, today)
		}
	}
	if it.Cost > 0 {
		l += ", " + commands.Money(commands.Currency(s), it.Cost)
	}
	return l
}

func (e *Parser) roadmapFact(snap *domain.Snapshot, q *question, s *domain.Service) (string, commands.Reply) {
	items := append([]domain.RoadmapItem(nil), s.Roadmap...)
	sort.SliceStable(items, func(i, j int) bool { return items[i].Due < items[j].Due })
	statuses := askedStatuses(q)
	overdue := overdueWord(q)
	var picked []domain.RoadmapItem
	for _, it := range items {
		if q.per != nil && !q.per.contains(it.Due) {
			continue
		}
		if overdue && (it.Status == "done" || !it.Due.Before(q.today)) {
			continue
		}
		if len(statuses) > 0 && !slices.Contains(statuses, it.Status) {
			continue
		}
		picked = append(picked, it)
	}
	var lines []string
	for _, it := range picked {
		lines = append(lines, e.itemLine(s, it, false))
	}
	what := "roadmap item"
	cond := roadmapConditions(q, overdue, statuses)
	r := commands.Reply{Title: "Roadmap of " + s.Label(), Actions: []commands.Action{{Label: "Full roadmap", Command: "roadmap " + s.Name}}}
	if len(lines) > 0 {
		r.Sections = []commands.Section{{Lines: lines}}
	}
	if len(cond) == 0 {
		if len(items) == 0 {
			return s.Label() + " has no roadmap items.", r
		}
		if has(q.ws, "next", "upcoming") {
			for _, it := range items {
				if it.Status != "done" && !it.Due.Before(q.today) {
					return fmt.Sprintf("The next item on %s's roadmap is %s (%s, due %s, %s).", s.Label(), it.Title, orNotSet(it.Status), it.Due, inDays(q.today.DaysUntil(it.Due))),
						e.run(snap, q, s, "roadmap")
				}
			}
		}
		fact := fmt.Sprintf("%s's roadmap has %s:", s.Label(), commands.Plural(len(items), what))
		return fact, e.run(snap, q, s, "roadmap")
	}
	if len(picked) == 0 {
		fact := fmt.Sprintf("%s has no roadmap items %s.", s.Label(), strings.Join(cond, ", "))
		after := q.today
		if q.per != nil && after.Before(q.per.to) {
			after = q.per.to.AddDays(1)
		}
		for _, it := range items {
			if it.Status != "done" && !it.Due.Before(after) {
				fact += fmt.Sprintf(" The next one after that is %s (%s, due %s).", it.Title, orNotSet(it.Status), it.Due)
				break
			}
		}
		return fact, r
	}
	return fmt.Sprintf("%s has %s %s:", s.Label(), commands.Plural(len(picked), what), strings.Join(cond, ", ")), r
}

// drFacet is the part of the continuity plan a question asks about.
func drFacet(q *question) string {
	w := q.iw
	rto := has(w, "rto") || hasPhrase(w, "recovery time")
	rpo := has(w, "rpo") || hasPhrase(w, "recovery point") || hasPhrase(w, "data loss")
	switch {
	case rto && rpo:
		return "rto+rpo"
	case rto:
		return "rto"
	case rpo:
		return "rpo"
	case overdueWord(q):
		return "overdue"
	case has(w, "next", "upcoming", "due") || hasPhrase(w, "when is") || hasPhrase(w, "when will") || hasPhrase(w, "when should"):
		return "next"
	case has(w, "last", "latest", "previous", "recent", "tested", "result", "pass", "passed", "fail", "failed") || hasPhrase(w, "when was") || hasPhrase(w, "when did"):
		return "last"
	case has(w, "plan", "runbook", "where", "link", "document", "documentation"):
		return "plan"
	}
	return "summary"
}

func (e *Parser) drFact(q *question, s *domain.Service) string {
	k := s.Continuity
	if k == nil {
		return s.Label() + " has no continuity (DR) plan in the catalog."
	}
	today := e.eng.Today()
	due, hasDue := s.NextDRTest(today)
	last := func() string {
		if k.LastTest == nil {
			return s.Label() + " has no DR test on record."
		}
		f := fmt.Sprintf("%s was last DR-tested on %s, result: %s.", s.Label(), commands.DateRel(k.LastTest.Date, today), k.LastTest.Result)
		if k.LastTest.Notes != "" {
			f = strings.TrimSuffix(f, ".") + " (" + k.LastTest.Notes + ")."
		}
		return f
	}
	next := func() string {
		if !hasDue {
			return s.Label() + " has no DR test cadence in the catalog."
		}
		return fmt.Sprintf("%s's next DR test is due %s; tests are %s.", s.Label(), commands.DueText(due), k.TestEvery)
	}
	switch drFacet(q) {
	case "rto+rpo":
		return fmt.Sprintf("%s's RTO is %s and its RPO is %s.", s.Label(), orNotSet(k.RTO), orNotSet(k.RPO))
	case "rto":
		return fmt.Sprintf("%s's RTO (recovery time objective) is %s; its RPO is %s.", s.Label(), orNotSet(k.RTO), orNotSet(k.RPO))
	case "rpo":
		return fmt.Sprintf("%s's RPO (recovery point objective) is %s; its RTO is %s.", s.Label(), orNotSet(k.RPO), orNotSet(k.RTO))
	case "overdue":
		if !hasDue {
			return s.Label() + " has no DR test cadence in the catalog."
		}
		if due.Overdue {
			return "Yes. " + strings.Replace(next(), "is due", "was due", 1) + " Record it with `dr " + s.Name + " record pass|partial|fail`."
		}
		return "No. " + next()
	case "next":
		return next()
	case "last":
		return last()
	case "plan":
		if k.Plan == "" {
			return s.Label() + " has no DR plan link in the catalog."
		}
		return fmt.Sprintf("%s's DR plan is at %s.", s.Label(), k.Plan)
	}
	return fmt.Sprintf("%s: RTO %s, RPO %s. %s %s", s.Label(), orNotSet(k.RTO), orNotSet(k.RPO), last(), next())
}

func (e *Parser) vendorFact(s *domain.Service) string {
	if len(s.VendorProducts) == 0 {
		return s.Label() + " has no vendor products in the catalog."
	}
	var parts []string
	for _, v := range s.VendorProducts {
		p := productName(v)
		var extra []string
		if v.ContractEnds != "" {
			extra = append(extra, fmt.Sprintf("contract ends %s, %s", v.ContractEnds, inDays(e.eng.Today().DaysUntil(v.ContractEnds))))
		}
		if v.AnnualCost > 0 {
			extra = append(extra, commands.Money(commands.Currency(s), v.AnnualCost)+" a year")
		}
		if len(extra) > 0 {
			p += " (" + strings.Join(extra, "; ") + ")"
		}
		parts = append(parts, p)
	}
	if len(parts) == 1 {
		return fmt.Sprintf("%s runs on %s.", s.Label(), parts[0])
	}
	return fmt.Sprintf("%s uses %d vendor products: %s.", s.Label(), len(parts), strings.Join(parts, "; "))
}

func (e *Parser) reviewFact(q *question, s *domain.Service) string {
	today := e.eng.Today()
	due, ok := s.NextReview(today)
	if !ok {
		return s.Label() + " has no performance review cadence in the catalog."
	}
	p := s.Performance
	lastText := "it has never been reviewed"
	if p.LastReview != "" {
		lastText = "the last was on " + string(p.LastReview)
	}
	next := fmt.Sprintf("%s's next performance review is due %s; reviews are %s and %s.", s.Label(), commands.DueText(due), p.ReviewEvery, lastText)
	switch {
	case overdueWord(q):
		if due.Overdue {
			return "Yes. " + next
		}
		return "No. " + next
	case has(q.iw, "last", "latest", "previous", "reviewed") && !has(q.iw, "next"):
		if p.LastReview == "" {
			return s.Label() + " has never been reviewed; " + strings.TrimPrefix(next, s.Label()+"'s ")
		}
		return fmt.Sprintf("%s was last reviewed on %s; reviews are %s, the next is due %s.", s.Label(), commands.DateRel(p.LastReview, today), p.ReviewEvery, commands.DueText(due))
	case hasPhrase(q.ws, "how often"):
		return fmt.Sprintf("%s is reviewed %s; the next review is due %s.", s.Label(), p.ReviewEvery, commands.DueText(due))
	}
	return next
}

func strategyFact(q *question, s *domain.Service) string {
	st := s.Strategy
	if st == nil {
		return s.Label() + " has no strategy in the catalog."
	}
	var parts []string
	if st.Why != "" {
		parts = append(parts, fmt.Sprintf("Why %s: %s", s.Label(), st.Why))
	}
	if st.AvailableFrom != "" {
		if q.today.Before(st.AvailableFrom) {
			parts = append(parts, fmt.Sprintf("It is planned to be available from %s.", st.AvailableFrom))
		} else {
			parts = append(parts, fmt.Sprintf("It has been available since %s.", st.AvailableFrom))
		}
	}
	if len(parts) == 0 {
		return s.Label() + " has no strategy in the catalog."
	}
	return strings.Join(parts, " ")
}

// directIndirect is "2 directly and 3 indirectly", leaving out a zero.
func directIndirect(direct, indirect int) string {
	switch {
	case indirect == 0:
		return fmt.Sprintf("%d directly", direct)
	case direct == 0:
		return fmt.Sprintf("%d indirectly", indirect)
	}
	return fmt.Sprintf("%d directly and %d indirectly", direct, indirect)
}
