// Package questions understands questions in plain language ("who owns
// payroll?", "which tier 1 services have an overdue DR test?"): words,
// the entities they name, the intent, periods and list conditions, and
// answers from the catalog snapshot with the engine's read commands. It
// never changes anything.
package questions

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
)

// question is a parsed plain-language question.
type question struct {
	raw     string
	ws      []string // normalised words
	iw      []string // words for intent scoring: misspelt keywords corrected
	today   domain.Date
	caller  commands.Caller
	matches []match
	used    []bool // words that named an entity

	svcs    []*domain.Service // services named, strong references first, in order
	weakSvc bool              // svcs come from weak references only ("pay", "contracts")
	people  []string
	pfs     []string
	vendors []string
	boards  []string
	ids     []string // tollgate request IDs

	score map[intent]int
	top   intent
	per   *period
	notes []string // how an ambiguous word was read, for the answer's small print
}

// Parser is the built-in question parser (no network) over the read
// commands of an engine. It implements commands.Questions; wire it with
// Engine.SetQuestions.
type Parser struct{ eng *commands.Engine }

// New returns the parser that answers with e's read commands.
func New(e *commands.Engine) *Parser { return &Parser{eng: e} }

// Answer is the built-in question parser (no network). It answers from the
// snapshot, and when unsure says what it understood and suggests a command;
// it never makes up a fact, and never changes anything.
func (e *Parser) Answer(snap *domain.Snapshot, c commands.Caller, text string) commands.Reply {
	text = strings.TrimSpace(text)
	if text == "" {
		return e.eng.Help(c)
	}
	q := e.parse(snap, c, text)
	r, ok := e.changeRequest(snap, q)
	if !ok {
		r = e.answer(snap, q)
	}
	r.Actions = readOnlyActions(r.Actions)
	return r
}

// parse normalises the question and finds what it names and asks.
func (e *Parser) parse(snap *domain.Snapshot, c commands.Caller, text string) *question {
	q := &question{raw: text, ws: words(text), today: e.eng.Today(), caller: c}
	for _, id := range requestIDPattern.FindAllString(text, -1) {
		q.ids = append(q.ids, strings.ToUpper(id[:2])+id[2:])
	}
	x := newEntityIndex(snap)
	q.matches = x.scan(q.ws)
	sort.SliceStable(q.matches, func(i, j int) bool { return q.matches[i].pos < q.matches[j].pos })
	q.used = make([]bool, len(q.ws))
	seen := map[string]bool{}
	var strong, weak []*domain.Service
	for _, m := range q.matches {
		for j := m.pos; j < m.pos+m.n; j++ {
			q.used[j] = true
		}
		key := fmt.Sprint(m.kind, m.name)
		if seen[key] {
			continue
		}
		seen[key] = true
		switch m.kind {
		case kService:
			if m.weak {
				weak = append(weak, snap.Services[m.name])
			} else {
				strong = append(strong, snap.Services[m.name])
			}
		case kPerson:
			q.people = append(q.people, m.name)
		case kPortfolio:
			q.pfs = append(q.pfs, m.name)
		case kVendor:
			q.vendors = append(q.vendors, m.name)
		case kBoard:
			q.boards = append(q.boards, m.name)
		}
	}
	strong = q.tagReadings(snap, strong)
	q.iw = correctCues(q.ws, q.used)
	q.score = scores(q.ws, q.iw)
	if r := ranked(q.score); len(r) > 0 {
		q.top = r[0]
	}
	// A weak alias that is a keyword of what is asked is the keyword:
	// "which contracts end in 2027" is not about Contract Management.
	for _, m := range q.matches {
		if m.kind == kService && m.weak && cueIntent(m.text) == q.top && q.top != iNone {
			weak = slices.DeleteFunc(weak, func(s *domain.Service) bool { return s.Name == m.name })
		}
	}
	q.svcs = strong
	if len(strong) == 0 && len(weak) > 0 {
		q.svcs, q.weakSvc = weak, true
	}
	if p, ok := parsePeriod(q.ws, q.today); ok {
		q.per = &p
	}
	return q
}

// tagReadings reads a word that names a service and is also a tag as the
// tag when it qualifies a list ("which analytics services are tier 1":
// the tag analytics, not the service Analytics & BI), and notes the
// reading for the answer.
func (q *question) tagReadings(snap *domain.Snapshot, strong []*domain.Service) []*domain.Service {
	if !listCue(q) {
		return strong
	}
	for _, m := range q.matches {
		if m.kind != kService || m.n != 1 || m.fuzzy || !isTag(snap, m.text) || !beforeListNoun(q.ws, m.pos+1) {
			continue
		}
		strong = slices.DeleteFunc(strong, func(s *domain.Service) bool { return s.Name == m.name })
		q.used[m.pos] = false
		q.notes = append(q.notes, fmt.Sprintf("I read %q as the tag %s, not the service %s.", m.text, m.text, snap.Services[m.name].Label()))
	}
	return strong
}

// cueWords are the single-word cues, for correcting misspelt keywords.
var cueWords = func() []string {
	var out []string
	for _, c := range cues {
		if !strings.Contains(c.p, " ") && len(c.p) >= 5 {
			out = append(out, c.p)
		}
	}
	return out
}()

// correctCues replaces words that are one typo away from a keyword
// ("dependancies", "ownes") by the keyword, leaving words that named an
// entity alone.
func correctCues(ws []string, used []bool) []string {
	out := append([]string(nil), ws...)
	known := map[string]bool{}
	for _, c := range cueWords {
		known[c] = true
	}
	for i, w := range ws {
		if used[i] || len(w) < 5 || known[w] || stopwords[w] || isNumber(w) {
			continue
		}
		limit := 1
		if len(w) >= 9 {
			limit = 2
		}
		best, bestD, tie := "", limit+1, false
		for _, c := range cueWords {
			if abs(len(c)-len(w)) > limit {
				continue
			}
			d := typoDistance(w, c)
			switch {
			case d < bestD:
				best, bestD, tie = c, d, false
			case d == bestD:
				tie = true
			}
		}
		if best != "" && !tie {
			out[i] = best
		}
	}
	return out
}

// yesNo reports whether the question expects a yes or a no.
func (q *question) yesNo() bool {
	if len(q.ws) == 0 {
		return false
	}
	switch q.ws[0] {
	case "is", "are", "was", "were", "did", "does", "do", "has", "have", "can", "will", "should", "any":
		return true
	}
	return false
}

// wordAt reports whether the word at i (if any) is one of want.
func (q *question) free(i int) bool { return i >= 0 && i < len(q.ws) && !q.used[i] }

// svcPos is where the question names s.
func (q *question) svcPos(s *domain.Service) int {
	for _, m := range q.matches {
		if m.kind == kService && m.name == s.Name {
			return m.pos
		}
	}
	return -1
}

func (e *Parser) answer(snap *domain.Snapshot, q *question) commands.Reply {
	var svc *domain.Service
	if len(q.svcs) > 0 {
		svc = q.svcs[0]
	}
	strongSvc := svc != nil && !q.weakSvc
	top := q.top

	// "who …" about a service with no other cue is about its owner.
	if svc != nil && has(q.ws, "who", "whom") && q.score[iOwner] == 0 && q.score[iManager] == 0 && q.score[iVendor] == 0 &&
		q.score[iDeps] == 0 && q.score[iHistory] == 0 && q.score[iTollgate] == 0 && q.score[iBoard] == 0 {
		top = iOwner
	}
	// "is identity down?": the latest measurements, said to be no live status.
	if svc != nil && liveStatus(q) && (top == iNone || top == iSLA) && q.score[iDeps] < 5 {
		top = iSLA
	}
	// "what does X do" is the service card.
	if svc != nil && hasPhrase(q.ws, "what does") && len(q.ws) > 0 && q.ws[len(q.ws)-1] == "do" {
		top = iCard
	}

	// "the SAP contract", "which services use Salesforce": the vendor, not
	// the service that has the vendor's name as an alias.
	vendorRead := len(q.vendors) > 0 && (svc == nil || e.vendorOnly(q)) &&
		(q.score[iVendor] > 0 || has(q.ws, "use", "uses", "using", "buy", "bought", "run", "runs", "from", "supply", "supplies"))
	if vendorRead {
		svc, strongSvc = nil, false
	}

	f := e.filters(snap, q)
	// Comparisons, superlatives and boards of a services list: the list,
	// whatever the keywords say about the intent.
	if !strongSvc && (f.Order != nil || len(f.Compare) > 0 || len(f.Boards) > 0) {
		return e.serviceList(snap, q, f)
	}
	switch {
	case len(q.boards) > 0 && !strongSvc && (top == iNone || top == iBoard || top == iOwner || top == iTollgate || top == iCard):
		return e.boardAnswer(snap, q, q.boards[0])
	case top == iTollgate:
		return e.tollgateAnswer(snap, q, svc)
	case top == iHelp && !strongSvc:
		r := e.eng.Help(q.caller)
		r.Text = "I answer questions about the service catalog in plain language, and these commands:"
		return r
	case top == iDeps && svc != nil:
		return e.depsAnswer(snap, q)
	case len(q.pfs) > 0 && !strongSvc && len(q.people) == 0 && (top == iManager || top == iPortfolio && !listCue(q) ||
		has(q.ws, "who", "whom") || (top == iOwner && !listCue(q))):
		return e.portfolioAnswer(snap, q, q.pfs[0])
	}

	if !strongSvc && !f.empty() {
		switch {
		case top == iRoadmap:
			return e.roadmapList(snap, q, f)
		case top == iVendor:
			return e.contractList(snap, q, f)
		}
		return e.serviceList(snap, q, f)
	}
	if svc != nil {
		return e.aboutServices(snap, q, top)
	}
	switch {
	case len(q.pfs) > 0:
		return e.portfolioAnswer(snap, q, q.pfs[0])
	case len(q.people) > 0 || (q.caller.Person != "" && q.me() && (top == iOwner || top == iNone)):
		return e.personAnswer(snap, q)
	case top == iRoadmap && (q.per != nil || overdueWord(q) || len(askedStatuses(q)) > 0):
		return e.roadmapList(snap, q, f)
	case top == iVendor && (q.per != nil || has(q.ws, "contracts", "contract", "renewal", "renewals")):
		return e.contractList(snap, q, f)
	case top == iVendor && len(productWords(snap, q)) > 0: // "which vendor provides the firewalls"
		return e.contractList(snap, q, f)
	case overdueWord(q) && (top == iNone || q.score[top] <= 1):
		return e.overdueSummary(snap, q)
	case top == iNone && listCue(q) && has(q.ws, "services", "systems", "everything", "catalog", "catalogue"):
		return e.serviceList(snap, q, f)
	}
	return e.unsure(snap, q, top)
}

// productWords are the words of the question, not otherwise understood,
// that appear in a vendor product's name ("firewalls" in "PA-3400 firewalls").
func productWords(snap *domain.Snapshot, q *question) []string {
	var out []string
	for i, w := range q.ws {
		if q.used[i] || len(w) < 4 || vocabulary(w) {
			continue
		}
		stem := strings.TrimSuffix(w, "s")
		for _, n := range snap.ServiceNames() {
			for _, v := range snap.Services[n].VendorProducts {
				for _, pw := range words(v.Product) {
					if pw == w || strings.TrimSuffix(pw, "s") == stem {
						if !slices.Contains(out, w) {
							out = append(out, w)
						}
					}
				}
			}
		}
	}
	return out
}

// me reports whether the asker talks about themselves ("which services do I own").
// "show me", "tell me" and "give me" are not about the asker.
func (q *question) me() bool {
	for i, w := range q.ws {
		switch w {
		case "i", "my", "mine":
			return true
		case "me":
			if i == 0 || !has([]string{q.ws[i-1]}, "show", "tell", "give", "list", "find", "let", "get", "send") {
				return true
			}
		}
	}
	return false
}

// listCue reports whether the question asks for a list.
func listCue(q *question) bool {
	return has(q.ws, "which", "list", "services", "systems", "all", "any") || hasPhrase(q.ws, "how many") ||
		hasPhrase(q.ws, "what services")
}

// vendorOnly reports whether every service the question names is named by
// the same words as a vendor ("the SAP contract": SAP the vendor, not the
// ERP whose alias is sap).
func (e *Parser) vendorOnly(q *question) bool {
	vendorPos := map[int]bool{}
	for _, m := range q.matches {
		if m.kind == kVendor {
			vendorPos[m.pos] = true
		}
	}
	for _, m := range q.matches {
		if m.kind == kService && !vendorPos[m.pos] {
			return false
		}
	}
	return true
}

// unsure says what was understood and suggests commands; it states no fact.
func (e *Parser) unsure(snap *domain.Snapshot, q *question, top intent) commands.Reply {
	var leftovers []string
	for i, w := range q.ws {
		if !q.used[i] && !stopwords[w] && !isNumber(w) && len(w) >= 3 && !isCue(w) {
			leftovers = append(leftovers, w)
		}
	}
	var b strings.Builder
	var acts []commands.Action
	if q.score[top] <= 1 { // "what is …" alone says nothing about what is asked
		top = iNone
	}
	if top != iNone {
		fmt.Fprintf(&b, "I understood a question about %s, but not which service it is about.", intentNames[top])
	} else {
		b.WriteString("I'm not sure what you're asking.")
	}
	var sug []string
	if len(leftovers) > 0 {
		sug = closeNames(snap, leftovers, 3)
		fmt.Fprintf(&b, " I don't know a service called %q.", strings.Join(leftovers, " "))
		if len(sug) > 0 {
			b.WriteString(" Did you mean " + commands.OrList(sug) + "?")
		}
		b.WriteString(" You can search the catalog with `find " + leftovers[0] + "`.")
		acts = append(acts, commands.Action{Label: "Find " + leftovers[0], Command: "find " + leftovers[0]})
	}
	if cmd := intentCommand[top]; cmd != "" {
		fmt.Fprintf(&b, " For one service, try `%s <service>`", cmd)
		if len(sug) > 0 {
			fmt.Fprintf(&b, ", e.g. `%s %s`", cmd, sug[0])
		}
		b.WriteString(".")
	} else {
		b.WriteString(" Try `help` for the commands, or ask e.g. \"who owns payroll?\" or \"which services does lee own?\".")
	}
	acts = append(acts, commands.Action{Label: "Help", Command: "help"})
	return commands.Reply{Text: b.String(), Actions: acts}
}

// closeNames suggests services whose keys are close to one of the words
// (one edit per three letters) or start with it; unlike Suggestions it
// stays quiet rather than offer far-fetched names.
func closeNames(snap *domain.Snapshot, ws []string, n int) []string {
	type cand struct {
		name string
		d    int
	}
	best := map[string]int{}
	for _, w := range ws {
		if len(w) < 4 {
			continue
		}
		for k, name := range snap.Keys() {
			d := 100
			for _, kw := range words(k) {
				if strings.HasPrefix(kw, w) {
					d = min(d, 0)
				} else if dd := domain.Distance(w, kw); dd <= len(w)/3 {
					d = min(d, dd)
				}
			}
			if old, ok := best[name]; d < 100 && (!ok || d < old) {
				best[name] = d
			}
		}
	}
	var cs []cand
	for name, d := range best {
		cs = append(cs, cand{name, d})
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].d != cs[j].d {
			return cs[i].d < cs[j].d
		}
		return cs[i].name < cs[j].name
	})
	var out []string
	for i := 0; i < len(cs) && i < n; i++ {
		out = append(out, cs[i].name)
	}
	return out
}

// cueIntent is the intent a single-word cue points to (iNone if none).
func cueIntent(w string) intent {
	for _, c := range cues {
		if c.p == w {
			return c.i
		}
	}
	return iNone
}

func isCue(w string) bool {
	for _, c := range cues {
		if c.p == w {
			return true
		}
	}
	return false
}

// intentCommand is the command that answers an intent for one service.
var intentCommand = map[intent]string{
	iOwner: "owner", iManager: "owner", iPortfolio: "owner", iCost: "cost", iStage: "service", iTier: "service",
	iSLA: "performance", iDeps: "deps", iRoadmap: "roadmap", iDR: "dr", iVendor: "cost", iReview: "performance",
	iCard: "service", iChannel: "service", iStrategy: "service", iHistory: "history",
}

// run calls the read command verb for one service and returns its reply.
func (e *Parser) run(snap *domain.Snapshot, q *question, s *domain.Service, verb string) commands.Reply {
	return e.eng.Run(snap, q.caller, verb, s)
}
