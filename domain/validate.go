package domain

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// Problem is one validation failure, located by document and field path
// (e.g. "spec.sla[1].target") so the importer can point at the YAML line.
type Problem struct {
	Kind    string
	Name    string
	Path    string
	Message string
}

func (p Problem) Error() string {
	return fmt.Sprintf("%s %q: %s: %s", p.Kind, p.Name, p.Path, p.Message)
}

var (
	nameRE    = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	kpiRE     = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	channelRE = regexp.MustCompile(`^[CGD][A-Z0-9]{2,}$`)
	userRE    = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	emailRE   = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	currRE    = regexp.MustCompile(`^[A-Z]{3}$`)
)

// ValidName reports whether s is a valid metadata.name.
func ValidName(s string) bool { return nameRE.MatchString(s) }

// CheckText rejects characters that have no place in catalog text: control
// characters (other than newline and tab) and the private-use area, which the
// reply model reserves for its own markup.
func CheckText(s string) error {
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t':
		case r == unicode.ReplacementChar:
			return fmt.Errorf("contains invalid UTF-8")
		case unicode.IsControl(r):
			return fmt.Errorf("contains control character %U", r)
		case r >= 0xE000 && r <= 0xF8FF:
			return fmt.Errorf("contains private-use character %U", r)
		}
	}
	return nil
}

type checker struct {
	kind, name string
	problems   []Problem
}

func (c *checker) add(path, format string, args ...any) {
	c.problems = append(c.problems, Problem{Kind: c.kind, Name: c.name, Path: path, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) required(path, v string) bool {
	if strings.TrimSpace(v) == "" {
		c.add(path, "is required")
		return false
	}
	return true
}

func (c *checker) money(path string, v float64) {
	if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		c.add(path, "must be a non-negative amount, got %v", v)
	}
}

func (c *checker) date(path string, d Date, required bool) {
	if d.IsZero() {
		if required {
			c.add(path, "is required (YYYY-MM-DD)")
		}
		return
	}
	if !d.Valid() {
		c.add(path, "%q is not a valid date (want YYYY-MM-DD)", string(d))
	}
}

func (c *checker) ref(path, kind, v string, known map[string]bool) {
	if v == "" {
		return
	}
	if !known[v] {
		c.add(path, "unknown %s %q%s", strings.ToLower(kind), v, suggest(v, known))
	}
}

func (c *checker) oneOf(path, v string, allowed []string) {
	if v != "" && !slices.Contains(allowed, v) {
		c.add(path, "%q is not one of %s", v, strings.Join(allowed, ", "))
	}
}

func (c *checker) channel(path, v string) {
	if v != "" && !channelRE.MatchString(v) {
		c.add(path, "%q is not a Slack channel ID (like C0123ABCD)", v)
	}
}

func (c *checker) period(path string, p Period) {
	if p != "" && !p.Valid() {
		c.add(path, "%q is not one of monthly, quarterly, semiannual, annual", string(p))
	}
}

func suggest(v string, known map[string]bool) string {
	best, bestD := "", 3
	for k := range known {
		if d := Distance(v, k); d < bestD || d == bestD && best != "" && k < best {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func names[T any](items []T, name func(T) string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, it := range items {
		m[name(it)] = true
	}
	return m
}

// Validate checks every document of a complete catalog: names, required
// fields, value ranges and references between documents. It returns every
// problem, in document order.
func (cat *Catalog) Validate() []Problem {
	people := names(cat.People, func(p Person) string { return p.Name })
	portfolios := names(cat.Portfolios, func(p Portfolio) string { return p.Name })
	boards := make(map[string]Board, len(cat.Boards))
	for _, b := range cat.Boards {
		boards[b.Name] = b
	}
	boardNames := names(cat.Boards, func(b Board) string { return b.Name })
	services := names(cat.Services, func(s Service) string { return s.Name })

	var all []Problem
	seen := map[string]bool{}
	dup := func(c *checker) {
		key := c.kind + "/" + c.name
		if seen[key] {
			c.add("metadata.name", "duplicate %s name %q", strings.ToLower(c.kind), c.name)
		}
		seen[key] = true
		if !ValidName(c.name) {
			c.add("metadata.name", "%q is not a valid name (lowercase letters, digits and '-', 1-63 characters, starting and ending with a letter or digit)", c.name)
		}
	}

	for _, p := range cat.People {
		c := &checker{kind: KindPerson, name: p.Name}
		dup(c)
		if p.Email != "" && !emailRE.MatchString(p.Email) {
			c.add("spec.email", "%q is not an email address", p.Email)
		}
		if p.SlackUser != "" && !userRE.MatchString(p.SlackUser) {
			c.add("spec.slackUser", "%q is not a Slack user ID (like U0123ABCD)", p.SlackUser)
		}
		all = append(all, c.problems...)
	}
	for _, p := range cat.Portfolios {
		c := &checker{kind: KindPortfolio, name: p.Name}
		dup(c)
		c.ref("spec.manager", KindPerson, p.Manager, people)
		c.channel("spec.channel", p.Channel)
		all = append(all, c.problems...)
	}
	for _, b := range cat.Boards {
		c := &checker{kind: KindBoard, name: b.Name}
		dup(c)
		// A board with no members is allowed (a team whose members are
		// not in the catalog yet); the quorum check below still refuses
		// one that must approve tollgates.
		memberSeen := map[string]bool{}
		for i, m := range b.Members {
			path := fmt.Sprintf("spec.members[%d]", i)
			c.ref(path, KindPerson, m, people)
			if memberSeen[m] {
				c.add(path, "%q is listed twice", m)
			}
			memberSeen[m] = true
		}
		c.channel("spec.channel", b.Channel)
		all = append(all, c.problems...)
	}
	gates := map[[2]Stage]string{}
	for _, g := range cat.Tollgates {
		c := &checker{kind: KindTollgate, name: g.Name}
		dup(c)
		if c.required("spec.from", string(g.From)) && !g.From.Valid() {
			c.add("spec.from", "%q is not a stage (%s)", g.From, StageNames())
		}
		if c.required("spec.to", string(g.To)) && !g.To.Valid() {
			c.add("spec.to", "%q is not a stage (%s)", g.To, StageNames())
		}
		if g.From != "" && g.From == g.To {
			c.add("spec.to", "a tollgate must lead to another stage")
		}
		if other, ok := gates[[2]Stage{g.From, g.To}]; ok {
			c.add("spec.to", "tollgate %q already covers %s → %s", other, g.From, g.To)
		}
		gates[[2]Stage{g.From, g.To}] = g.Name
		if c.required("spec.board", g.Board) {
			c.ref("spec.board", KindBoard, g.Board, boardNames)
		}
		if g.Quorum < 1 {
			c.add("spec.quorum", "must be at least 1, got %d", g.Quorum)
		} else if b, ok := boards[g.Board]; ok && g.Quorum > len(b.Members) {
			c.add("spec.quorum", "is %d but board %q has only %d members", g.Quorum, g.Board, len(b.Members))
		}
		all = append(all, c.problems...)
	}

	aliasOwner := map[string]string{}
	for _, s := range cat.Services {
		aliasOwner[s.Name] = s.Name
	}
	for _, s := range cat.Services {
		c := &checker{kind: KindService, name: s.Name}
		dup(c)
		for i, a := range s.Aliases {
			path := fmt.Sprintf("metadata.aliases[%d]", i)
			la := strings.ToLower(a)
			if strings.TrimSpace(a) == "" {
				c.add(path, "must not be empty")
			} else if other, ok := aliasOwner[la]; ok && other != s.Name {
				c.add(path, "alias %q is already used by service %q", a, other)
			} else {
				aliasOwner[la] = s.Name
			}
		}
		validateServiceSpec(c, &s, people, portfolios, services, boardNames)
		all = append(all, c.problems...)
	}
	return all
}

func validateServiceSpec(c *checker, s *Service, people, portfolios, services, teams map[string]bool) {
	// The owner is a person or a team (a board).
	if c.required("spec.owner", s.Owner) {
		switch {
		case people[s.Owner] && teams[s.Owner]:
			c.add("spec.owner", "%q names both a person and a board; rename one of them", s.Owner)
		case !teams[s.Owner]:
			c.ref("spec.owner", KindPerson, s.Owner, people)
		}
	}
	if c.required("spec.portfolio", s.Portfolio) {
		c.ref("spec.portfolio", KindPortfolio, s.Portfolio, portfolios)
	}
	if c.required("spec.stage", string(s.Stage)) && !s.Stage.Valid() {
		c.add("spec.stage", "%q is not a stage (%s)", s.Stage, StageNames())
	}
	if s.Tier != 0 && (s.Tier < 1 || s.Tier > 4) {
		c.add("spec.tier", "must be 1 (most critical) to 4, got %d", s.Tier)
	}
	c.channel("spec.channel", s.Channel)
	for i, d := range s.DependsOn {
		path := fmt.Sprintf("spec.dependsOn[%d]", i)
		if d == s.Name {
			c.add(path, "a service cannot depend on itself")
			continue
		}
		c.ref(path, KindService, d, services)
	}
	if s.Strategy != nil {
		c.date("spec.strategy.availableFrom", s.Strategy.AvailableFrom, false)
	}
	for i, v := range s.VendorProducts {
		p := fmt.Sprintf("spec.vendorProducts[%d]", i)
		c.required(p+".vendor", v.Vendor)
		c.date(p+".contractEnds", v.ContractEnds, false)
		c.money(p+".annualCost", v.AnnualCost)
	}
	if k := s.Cost; k != nil {
		if k.Currency != "" && !currRE.MatchString(k.Currency) {
			c.add("spec.cost.currency", "%q is not a currency code (like EUR or USD)", k.Currency)
		}
		c.oneOf("spec.cost.chargingModel", k.ChargingModel, ChargingModels)
		c.money("spec.cost.unitPrice", k.UnitPrice)
		c.money("spec.cost.tco.licenses", k.TCO.Licenses)
		c.money("spec.cost.tco.infrastructure", k.TCO.Infrastructure)
		c.money("spec.cost.tco.labor", k.TCO.Labor)
		c.money("spec.cost.tco.support", k.TCO.Support)
		c.money("spec.cost.recovered", k.Recovered)
		months := map[Month]bool{}
		for i, m := range k.Monthly {
			p := fmt.Sprintf("spec.cost.monthly[%d]", i)
			if !m.Month.Valid() {
				c.add(p+".month", "%q is not a month (want YYYY-MM)", string(m.Month))
			} else if months[m.Month] {
				c.add(p+".month", "month %s is listed twice", m.Month)
			}
			months[m.Month] = true
			c.money(p+".budget", m.Budget)
			c.money(p+".actual", m.Actual)
		}
	}
	kpis := map[string]bool{}
	for i, t := range s.SLA {
		p := fmt.Sprintf("spec.sla[%d]", i)
		if !kpiRE.MatchString(t.KPI) {
			c.add(p+".kpi", "%q is not a KPI name (lowercase letters, digits and '-')", t.KPI)
		} else if kpis[t.KPI] {
			c.add(p+".kpi", "KPI %q has two targets", t.KPI)
		}
		kpis[t.KPI] = true
		c.oneOf(p+".betterWhen", t.BetterWhen, []string{"higher", "lower"})
		if math.IsNaN(t.Target) || math.IsInf(t.Target, 0) {
			c.add(p+".target", "must be a number")
		}
		if t.Query != "" && strings.TrimSpace(t.Query) == "" {
			c.add(p+".query", "is blank: give a PromQL expression or leave it out")
		}
	}
	if pf := s.Performance; pf != nil {
		c.period("spec.performance.reviewEvery", pf.ReviewEvery)
		c.date("spec.performance.lastReview", pf.LastReview, false)
		for i, m := range pf.Measurements {
			p := fmt.Sprintf("spec.performance.measurements[%d]", i)
			if !kpis[m.KPI] {
				c.add(p+".kpi", "KPI %q has no SLA target on this service", m.KPI)
			}
			if !m.Month.Valid() {
				c.add(p+".month", "%q is not a month (want YYYY-MM)", string(m.Month))
			}
			c.oneOf(p+".source", m.Source, MeasurementSources)
		}
	}
	for i, r := range s.Roadmap {
		p := fmt.Sprintf("spec.roadmap[%d]", i)
		c.required(p+".title", r.Title)
		c.date(p+".due", r.Due, false)
		c.oneOf(p+".status", r.Status, ItemStatuses)
		c.money(p+".cost", r.Cost)
	}
	if k := s.Continuity; k != nil {
		for _, f := range []struct{ path, v string }{{"spec.continuity.rto", k.RTO}, {"spec.continuity.rpo", k.RPO}} {
			if f.v != "" {
				if _, err := ParseDuration(f.v); err != nil {
					c.add(f.path, "%v", err)
				}
			}
		}
		c.period("spec.continuity.testEvery", k.TestEvery)
		if t := k.LastTest; t != nil {
			c.date("spec.continuity.lastTest.date", t.Date, true)
			if c.required("spec.continuity.lastTest.result", t.Result) {
				c.oneOf("spec.continuity.lastTest.result", t.Result, DRResults)
			}
		}
	}
	for i, m := range s.Improvements {
		p := fmt.Sprintf("spec.improvements[%d]", i)
		c.required(p+".title", m.Title)
		c.oneOf(p+".status", m.Status, ItemStatuses)
		c.date(p+".due", m.Due, false)
		c.ref(p+".owner", KindPerson, m.Owner, people)
	}
}

// Distance is the Levenshtein edit distance between a and b, used for
// "did you mean" suggestions.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
