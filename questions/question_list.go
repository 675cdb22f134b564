package questions

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
)

// ownCue reports whether people named in the question are meant as owners.
func ownCue(q *question) bool {
	return q.score[iOwner] > 0 || listCue(q) || has(q.ws, "manage", "manages", "managed", "run", "runs", "look", "looks")
}

func (e *Parser) filters(snap *domain.Snapshot, q *question) Filter {
	var f Filter
	portfolioManager := hasPhrase(q.ws, "portfolio manager") || has(q.ws, "portfolio", "portfolios") && has(q.ws, "manage", "manages", "managed", "manager")
	if len(q.people) > 0 && ownCue(q) {
		if portfolioManager {
			f.Managers = q.people
		} else {
			f.Owners = q.people
		}
	} else if q.caller.Person != "" && q.me() && ownCue(q) && len(q.people) == 0 {
		f.Owners = []string{q.caller.Person}
	}
	f.Portfolios = q.pfs
	f.Vendors = q.vendors
	for i, w := range q.ws {
		if q.used[i] {
			continue
		}
		if st, ok := stageWords[w]; ok {
			if w == "live" && i > 0 && has([]string{q.ws[i-1]}, "go", "went", "goes", "going") {
				continue
			}
			for _, s := range st {
				if !slices.Contains(f.Stages, s) {
					f.Stages = append(f.Stages, s)
				}
			}
		}
		// "finance services", "legacy systems", "regulated tier 1
		// services": a tag before the noun, with only tiers and stages
		// between.
		if isTag(snap, w) && beforeListNoun(q.ws, i+1) && !slices.Contains(f.Tags, w) {
			f.Tags = append(f.Tags, w)
		}
	}
	f.Tiers = askedTiers(q.ws)
	if len(f.Tiers) == 0 && (hasPhrase(q.ws, "most critical") || hasPhrase(q.ws, "business critical") ||
		hasPhrase(q.ws, "mission critical") || hasPhrase(q.ws, "critical services")) {
		f.Tiers = []int{1}
	}
	overdue := overdueWord(q)
	if q.score[iDR] > 0 {
		switch {
		case has(q.ws, "failed", "fail", "failing"):
			f.DRResults = []string{"fail"}
		case has(q.ws, "no", "without", "never", "lack", "lacking", "missing"):
			f.NoDRTest = true
		case overdue:
			f.OverdueDR = true
		case q.per != nil:
			f.DRDue = q.per.window()
		case has(q.ws, "due"):
			f.DueDR = true
		}
	}
	if q.score[iReview] > 0 && q.score[iReview] >= q.score[iDR] {
		switch {
		case overdue:
			f.OverdueReview = true
		case q.per != nil:
			f.ReviewDue = q.per.window()
		case has(q.ws, "due"):
			f.DueReview = true
		}
	}
	if has(q.iw, "budget", "budgets") && has(q.ws, "over", "above", "exceed", "exceeded", "exceeding", "exceeds", "beyond") ||
		has(q.iw, "overspent", "overspend", "overspending", "overrun", "overruns") {
		f.OverBudget = true
	} else if has(q.iw, "budget", "budgets") && has(q.ws, "under", "below", "within") {
		f.UnderBudget = true
	}
	if q.score[iSLA] > 0 && (has(q.ws, "missed", "miss", "missing", "breach", "breached", "breaching", "below", "failing", "failed", "off") ||
		hasPhrase(q.ws, "not meeting") || hasPhrase(q.ws, "not meet") || hasPhrase(q.ws, "not met") || hasPhrase(q.ws, "not on target")) {
		f.MissedSLA = true
	}
	e.moreFilters(snap, q, &f)
	return f
}

// beforeListNoun reports whether the words from i reach a list noun
// ("services") through tiers, numbers, stages and conjunctions only.
func beforeListNoun(ws []string, i int) bool {
	for j := i; j < len(ws) && j < i+5; j++ {
		w := ws[j]
		_, stage := stageWords[w]
		switch {
		case listNouns[w]:
			return true
		case stage, w == "tier", w == "tiers", w == "and", w == "or", isNumber(w), numberWords[w] > 0:
		default:
			return false
		}
	}
	return false
}

func isTag(snap *domain.Snapshot, w string) bool {
	for _, n := range snap.ServiceNames() {
		if slices.Contains(snap.Services[n].Tags, w) {
			return true
		}
	}
	return false
}

func orWords(items []string) string { return joinWords(items, "or") }

func andWords(items []string) string { return joinWords(items, "and") }

// joinWords lists items as prose: "a, b or c".
func joinWords(items []string, last string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + last + " " + items[len(items)-1]
}

// serviceList answers "which services …" questions: exactly the services
// that match, each with the figures it matched on.
func (e *Parser) serviceList(snap *domain.Snapshot, q *question, f Filter) commands.Reply {
	var lines []string
	hits := f.Apply(snap, e.eng.Today())
	for _, h := range hits {
		l := commands.ServiceLine(snap, h.Service)
		if len(h.Details) > 0 {
			l += "; " + strings.Join(h.Details, "; ")
		}
		lines = append(lines, l)
	}
	r := commands.Reply{Title: "Services", Text: e.listSummary(snap, f, len(hits)), Context: "From the catalog."}
	if len(q.notes) > 0 {
		r.Context = strings.Join(q.notes, " ") + " " + r.Context
	}
	if len(lines) > 0 {
		r.Sections = []commands.Section{{Lines: lines}}
	}
	return r
}

// listSummary is the summary line of a service list: how many services
// and what they matched on ("3 services are tier 1 and have an overdue DR
// test:"). The services themselves follow as the reply's lines; the
// summary never repeats them.
func (e *Parser) listSummary(snap *domain.Snapshot, f Filter, n int) string {
	crit := f.Describe(snap)
	if o := f.Order; o != nil {
		text := fmt.Sprintf("%s with the %s", commands.Plural(n, "service"), o.text())
		if n == 0 {
			text = "No services with a " + measureName(o.Measure, o.KPI)
		}
		if o.N > 1 {
			text = fmt.Sprintf("The %d services with the %s", o.N, o.text())
			if n != o.N {
				text = fmt.Sprintf("%s with the %s (top %d, ties included)", commands.Plural(n, "service"), o.text(), o.N)
			}
		} else if n > 1 {
			text += " (tied)"
		}
		if len(crit) > 0 {
			text += ", among services that " + strings.Join(crit, " and ")
		}
		if n == 0 {
			return text + "."
		}
		return text + ":"
	}
	onlyOwner := len(f.Owners) == 1 && len(crit) == 1
	switch {
	case onlyOwner && n == 0:
		return fmt.Sprintf("%s owns no services in the catalog.", commands.Person(snap, f.Owners[0]))
	case onlyOwner:
		return fmt.Sprintf("%s owns %s:", commands.Person(snap, f.Owners[0]), commands.Plural(n, "service"))
	case len(crit) == 0:
		return fmt.Sprintf("The catalog has %s:", commands.Plural(n, "service"))
	case n == 0:
		return fmt.Sprintf("No services %s.", strings.Join(crit, " and "))
	}
	pred := strings.Join(crit, " and ")
	if n == 1 {
		pred = singular(pred)
	}
	return fmt.Sprintf("%s %s:", commands.Plural(n, "service"), pred)
}

// singular turns the plural predicates of criteria into singular ones.
func singular(pred string) string {
	for _, p := range [][2]string{{"are ", "is "}, {"have ", "has "}, {"were ", "was "}, {"use ", "uses "}, {"missed ", "missed "}, {"failed ", "failed "}} {
		pred = strings.ReplaceAll(" "+pred, " and "+p[0], " and "+p[1])
		pred = strings.TrimPrefix(pred, " ")
		if strings.HasPrefix(pred, p[0]) {
			pred = p[1] + strings.TrimPrefix(pred, p[0])
		}
	}
	return strings.ReplaceAll(pred, "their ", "its ")
}

// productName is "Vendor Product", without repeating a vendor that the
// product name already starts with ("Snowflake Enterprise", not "Snowflake
// Snowflake Enterprise").
func productName(v domain.VendorProduct) string {
	if v.Product == "" {
		return v.Vendor
	}
	if strings.HasPrefix(strings.ToLower(v.Product), strings.ToLower(v.Vendor)) {
		return v.Product
	}
	return strings.TrimSpace(v.Vendor + " " + v.Product)
}

// contractRow is one vendor product of one service.
type contractRow struct {
	s *domain.Service
	v domain.VendorProduct
}

// contractList answers "which contracts end in 2027", "when does the SAP
// contract end", "what do we buy from Microsoft".
func (e *Parser) contractList(snap *domain.Snapshot, q *question, f Filter) commands.Reply {
	vendors := f.Vendors
	f.Vendors = nil
	products := productWords(snap, q)
	var rows []contractRow
	for _, n := range snap.ServiceNames() {
		s := snap.Services[n]
		if ok, _ := f.Match(snap, s, e.eng.Today()); !ok {
			continue
		}
		for _, v := range s.VendorProducts {
			if len(vendors) > 0 && !slices.Contains(vendors, v.Vendor) {
				continue
			}
			if q.per != nil && !q.per.contains(v.ContractEnds) {
				continue
			}
			if len(products) > 0 && !slices.ContainsFunc(words(v.Product), func(pw string) bool {
				return slices.ContainsFunc(products, func(w string) bool { return strings.TrimSuffix(pw, "s") == strings.TrimSuffix(w, "s") })
			}) {
				continue
			}
			rows = append(rows, contractRow{s, v})
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].v.ContractEnds < rows[j].v.ContractEnds })
	today := e.eng.Today()
	var lines []string
	for _, r := range rows {
		name := productName(r.v)
		l := fmt.Sprintf("%s for %s", name, commands.ServiceLabel(r.s))
		if r.v.ContractEnds != "" {
			l += ", contract ends " + commands.DateRel(r.v.ContractEnds, today)
		}
		if r.v.AnnualCost > 0 {
			l += ", " + commands.Money(commands.Currency(r.s), r.v.AnnualCost) + " a year"
		}
		lines = append(lines, l)
	}
	var cond []string
	if len(vendors) > 0 {
		cond = append(cond, "with "+orWords(vendors))
	}
	if len(products) > 0 {
		cond = append(cond, "for "+orWords(products))
	}
	cond = append(cond, e.criteriaForContracts(snap, f)...)
	if q.per != nil {
		cond = append(cond, "ending "+q.per.String())
	}
	what := "vendor contract"
	text := ""
	switch {
	case len(rows) == 0:
		text = fmt.Sprintf("No vendor contracts %s.", strings.Join(cond, ", "))
	default:
		text = strings.TrimSpace(commands.Plural(len(rows), what)+" "+strings.Join(cond, ", ")) + ":"
	}
	text = strings.ReplaceAll(text, "  ", " ")
	r := commands.Reply{Title: "Vendor contracts", Text: text, Context: "From the catalog."}
	if len(lines) > 0 {
		r.Sections = []commands.Section{{Lines: lines}}
	}
	return r
}

// criteriaForContracts describes service filters for a contract list.
func (e *Parser) criteriaForContracts(snap *domain.Snapshot, f Filter) []string {
	var out []string
	for _, c := range f.Describe(snap) {
		out = append(out, "of services that "+c)
	}
	return out
}

// roadmapList answers roadmap questions across services ("what's due this
// month?", "which roadmap items are overdue?").
func (e *Parser) roadmapList(snap *domain.Snapshot, q *question, f Filter) commands.Reply {
	statuses := askedStatuses(q)
	overdue := overdueWord(q)
	f.OverdueDR, f.OverdueReview = false, false
	type row struct {
		s  *domain.Service
		it domain.RoadmapItem
	}
	var rows []row
	for _, n := range snap.ServiceNames() {
		s := snap.Services[n]
		if ok, _ := f.Match(snap, s, e.eng.Today()); !ok {
			continue
		}
		for _, it := range s.Roadmap {
			if q.per != nil && !q.per.contains(it.Due) {
				continue
			}
			if overdue && (it.Status == "done" || !it.Due.Before(q.today)) {
				continue
			}
			if len(statuses) > 0 && !slices.Contains(statuses, it.Status) {
				continue
			}
			rows = append(rows, row{s, it})
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].it.Due < rows[j].it.Due })
	var lines []string
	for _, r := range rows {
		lines = append(lines, e.itemLine(r.s, r.it, true))
	}
	cond := roadmapConditions(q, overdue, statuses)
	for _, c := range f.Describe(snap) {
		cond = append(cond, "of services that "+c)
	}
	if len(cond) == 0 {
		return commands.Reply{Text: "Which service's roadmap? Ask e.g. \"what's on the roadmap for payroll?\", or for a period: \"what's due this quarter?\". The command is `roadmap <service>`."}
	}
	var text string
	if len(rows) == 0 {
		text = fmt.Sprintf("No roadmap items %s.", strings.Join(cond, ", "))
	} else {
		text = fmt.Sprintf("%s %s:", commands.Plural(len(rows), "roadmap item"), strings.Join(cond, ", "))
	}
	r := commands.Reply{Title: "Roadmap", Text: text, Context: "From the catalog."}
	if len(lines) > 0 {
		r.Sections = []commands.Section{{Lines: lines}}
	}
	return r
}

// portfolioAnswer answers about a portfolio: its manager and services.
func (e *Parser) portfolioAnswer(snap *domain.Snapshot, q *question, name string) commands.Reply {
	pf := snap.Portfolios[name]
	var names, lines []string
	for _, n := range snap.ServiceNames() {
		if s := snap.Services[n]; s.Portfolio == name {
			names = append(names, n)
			lines = append(lines, commands.ServiceLine(snap, s))
		}
	}
	text := fmt.Sprintf("The %s portfolio has no manager in the catalog.", commands.PortfolioText(snap, name))
	if pf.Manager != "" {
		text = fmt.Sprintf("The %s portfolio is managed by %s.", commands.PortfolioText(snap, name), commands.Person(snap, pf.Manager))
	}
	text += fmt.Sprintf(" It has %s", commands.Plural(len(names), "service"))
	if len(names) > 0 {
		text += ":"
	} else {
		text += "."
	}
	r := commands.Reply{Title: "Portfolio: " + commands.PortfolioText(snap, name), Text: text, Context: "From the catalog."}
	if pf.Channel != "" {
		r.Context = "Portfolio channel: " + pf.Channel + ". From the catalog."
	}
	if len(lines) > 0 {
		r.Sections = []commands.Section{{Lines: lines}}
	}
	return r
}

// personAnswer answers "who is lee?" and "what does lee do?": what the
// catalog says about a person.
func (e *Parser) personAnswer(snap *domain.Snapshot, q *question) commands.Reply {
	name := q.caller.Person
	if len(q.people) > 0 {
		name = q.people[0]
	}
	p, ok := snap.People[name]
	if !ok {
		return e.unsure(snap, q, q.top)
	}
	var owned []string
	var lines []string
	for _, n := range snap.ServiceNames() {
		if s := snap.Services[n]; snap.IsOwner(s, name) {
			owned = append(owned, n)
			lines = append(lines, commands.ServiceLine(snap, s))
		}
	}
	var facts []string
	if len(owned) > 0 {
		facts = append(facts, "owns "+commands.Plural(len(owned), "service"))
	} else {
		facts = append(facts, "owns no services")
	}
	var pfs, boards []string
	for _, k := range sortedNames(snap.Portfolios) {
		if snap.Portfolios[k].Manager == name {
			pfs = append(pfs, commands.PortfolioText(snap, k))
		}
	}
	if len(pfs) > 0 {
		facts = append(facts, "manages the "+andWords(pfs)+" portfolio")
	}
	for _, k := range sortedNames(snap.Boards) {
		if snap.Boards[k].IsMember(name) {
			b := snap.Boards[k]
			boards = append(boards, orNotSet(b.Title))
		}
	}
	if len(boards) > 0 {
		facts = append(facts, "sits on the "+andWords(boards))
	}
	text := commands.PersonDetail(snap, name) + " " + andWords(facts) + "."
	r := commands.Reply{Title: p.Label(), Text: text, Context: "From the catalog."}
	if len(lines) > 0 {
		r.Sections = []commands.Section{{Heading: "Owned services", Lines: lines}}
	}
	return r
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// boardAnswer answers "who is on the design authority?".
func (e *Parser) boardAnswer(snap *domain.Snapshot, q *question, name string) commands.Reply {
	b := snap.Boards[name]
	var members []string
	for _, m := range b.Members {
		members = append(members, commands.Person(snap, m))
	}
	title := orNotSet(b.Title)
	text := fmt.Sprintf("The %s has %s: %s.", title, commands.Plural(len(members), "member"), andWords(members))
	var lines []string
	for _, k := range sortedNames(snap.Tollgates) {
		if tg := snap.Tollgates[k]; tg.Board == name {
			lines = append(lines, fmt.Sprintf("%s: %s → %s, %d approval(s) needed", k, tg.From, tg.To, tg.Quorum))
		}
	}
	r := commands.Reply{Title: title, Text: text, Context: "From the catalog."}
	if b.Channel != "" {
		r.Context = "Board channel: " + b.Channel + ". From the catalog."
	}
	if len(lines) > 0 {
		r.Text += fmt.Sprintf(" It decides %s.", commands.Plural(len(lines), "tollgate"))
		r.Sections = []commands.Section{{Heading: "Tollgates it decides", Lines: lines}}
	}
	return r
}

// tollgateAnswer answers questions about the tollgates themselves: who
// approves a move, the criteria, the quorum. Open requests need the store:
// it points to `tollgates`.
func (e *Parser) tollgateAnswer(snap *domain.Snapshot, q *question, svc *domain.Service) commands.Reply {
	stages := askedStages(q)
	var from domain.Stage
	if svc != nil {
		from = svc.Stage
	}
	var picked []*domain.Tollgate
	for _, k := range sortedNames(snap.Tollgates) {
		tg := snap.Tollgates[k]
		switch {
		case svc != nil && tg.From != from:
			continue
		case len(stages) > 0 && !slices.Contains(stages, tg.To) && !(svc == nil && slices.Contains(stages, tg.From) && has(q.ws, "from", "leave", "leaving")):
			continue
		}
		picked = append(picked, tg)
	}
	if has(q.ws, "open", "pending", "waiting", "requests", "request") && len(stages) == 0 {
		return commands.Reply{Text: "Open tollgate requests are listed by `tollgates` (and `tollgates mine` for those waiting for your vote).",
			Actions: []commands.Action{{Label: "Open requests", Command: "tollgates"}}}
	}
	if len(picked) == 0 {
		msg := "No tollgate in the catalog matches that."
		if svc != nil {
			msg = fmt.Sprintf("No tollgate in the catalog leads out of %s's stage (%s)", svc.Label(), svc.Stage)
			if len(stages) > 0 {
				msg += " to " + string(stages[0])
			}
			msg += "."
		}
		return commands.Reply{Text: msg + " Open requests are listed by `tollgates`."}
	}
	var sections []commands.Section
	var facts []string
	for _, tg := range picked {
		board := snap.Boards[tg.Board]
		boardText := tg.Board
		var members []string
		if board != nil {
			boardText = orNotSet(board.Title)
			for _, m := range board.Members {
				members = append(members, commands.Person(snap, m))
			}
		}
		fact := fmt.Sprintf("Moving from %s to %s needs %s from the %s", tg.From, tg.To, commands.Plural(tg.Quorum, "approval"), boardText)
		if len(members) > 0 {
			fact += " (" + andWords(members) + ")"
		}
		facts = append(facts, fact+".")
		sections = append(sections, commands.Section{Heading: fmt.Sprintf("%s: %s → %s", tg.Name, tg.From, tg.To), Lines: tg.Criteria})
	}
	text := strings.Join(facts, " ")
	if svc != nil {
		text = fmt.Sprintf("%s is in %s. %s", svc.Label(), svc.Stage, text)
		if len(picked) == 1 {
			text += fmt.Sprintf(" Its owner, portfolio manager or an admin opens the request with `tollgate %s %s`.", svc.Name, picked[0].To)
		}
	}
	return commands.Reply{Title: "Tollgates", Text: text, Sections: sections, Context: "Criteria are listed under each tollgate. From the catalog."}
}

// overdueSummary answers "what's overdue?": DR tests, performance reviews
// and roadmap items past their date, across the catalog.
func (e *Parser) overdueSummary(snap *domain.Snapshot, q *question) commands.Reply {
	today := e.eng.Today()
	var dr, reviews, items []string
	for _, n := range snap.ServiceNames() {
		s := snap.Services[n]
		if d, ok := s.NextDRTest(today); ok && d.Overdue {
			dr = append(dr, fmt.Sprintf("%s: DR test due %s", commands.ServiceLabel(s), commands.DueText(d)))
		}
		if d, ok := s.NextReview(today); ok && d.Overdue {
			reviews = append(reviews, fmt.Sprintf("%s: review due %s", commands.ServiceLabel(s), commands.DueText(d)))
		}
		for _, it := range s.Roadmap {
			if it.Status != "done" && it.Due.Valid() && it.Due.Before(today) {
				items = append(items, e.itemLine(s, it, true))
			}
		}
	}
	text := fmt.Sprintf("Overdue on %s: %s, %s and %s.", today, commands.Plural(len(dr), "DR test"), commands.Plural(len(reviews), "performance review"), commands.Plural(len(items), "roadmap item"))
	var secs []commands.Section
	for _, sec := range []commands.Section{{Heading: "DR tests", Lines: dr}, {Heading: "Performance reviews", Lines: reviews}, {Heading: "Roadmap items", Lines: items}} {
		if len(sec.Lines) > 0 {
			secs = append(secs, sec)
		}
	}
	return commands.Reply{Title: "Overdue", Text: text, Sections: secs, Context: "From the catalog."}
}
