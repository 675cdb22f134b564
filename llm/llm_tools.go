package llm

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	openai "github.com/sashabaranov/go-openai"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/questions"
)

// The LLM's tools read one snapshot of the catalog and nothing else: no
// tool holds the store, so no tool call, whatever a model or an injected
// text asks for, can change anything. Results are JSON data; catalog text
// travels inside JSON strings, never as instructions.

// serviceSections are the parts get_service can return.
var serviceSections = []string{"overview", "owner", "strategy", "cost", "sla", "performance", "dependencies", "roadmap", "continuity", "vendors"}

func toolSchema(props map[string]any, required ...string) map[string]any {
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

// llmTools are the read-only tools offered to the model.
var llmTools = []openai.Tool{
	{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
		Name:        "find_services",
		Description: "Search the IT service catalog by name, alias, title, tag or description. Returns matching services with their name, title, owner, stage and tier.",
		Parameters:  toolSchema(map[string]any{"query": map[string]any{"type": "string", "description": "words to search for, e.g. 'payroll' or 'data warehouse'"}}, "query"),
	}},
	{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
		Name:        "get_service",
		Description: "Get sections of one service's catalog entry by its name, alias or title. Derived figures (annual TCO, recovery %, next review, next DR test, overdue, SLA met) are computed for you.",
		Parameters: toolSchema(map[string]any{
			"name":     map[string]any{"type": "string", "description": "service name, alias or title"},
			"sections": map[string]any{"type": "array", "items": map[string]any{"type": "string", "enum": serviceSections}, "description": "sections to return; empty for all"},
		}, "name"),
	}},
	listServicesTool,
	{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
		Name:        "dependencies",
		Description: "What a service depends on (direction down) or what depends on it (direction up: what breaks when it goes down).",
		Parameters: toolSchema(map[string]any{
			"name":       map[string]any{"type": "string"},
			"direction":  map[string]any{"type": "string", "enum": []string{"up", "down"}},
			"transitive": map[string]any{"type": "boolean", "description": "include indirect dependencies"},
		}, "name", "direction"),
	}},
}

func toolStageNames() []string {
	var out []string
	for _, s := range domain.Stages {
		out = append(out, string(s))
	}
	return out
}

// toolRun executes tool calls against one snapshot and remembers which
// services the results named (the answer's sources).
type toolRun struct {
	snap    *domain.Snapshot
	today   domain.Date
	sources []string
}

func (t *toolRun) source(names ...string) {
	for _, n := range names {
		if !slices.Contains(t.sources, n) {
			t.sources = append(t.sources, n)
		}
	}
}

// errToolArgs marks a tool call whose arguments were not valid JSON.
var errToolArgs = errors.New("malformed tool arguments")

// call runs one tool call and returns its JSON result. Mistakes of the
// model (unknown tool, bad arguments, unknown service) come back as an
// error object it can recover from; err is errToolArgs for malformed
// arguments, so the caller can count them.
func (t *toolRun) call(name, arguments string) (result string, err error) {
	if strings.TrimSpace(arguments) == "" {
		arguments = "{}"
	}
	var args map[string]any
	if jerr := json.Unmarshal([]byte(arguments), &args); jerr != nil {
		return toolError(fmt.Sprintf("the arguments are not a valid JSON object (%v); call %s again with valid JSON", jerr, name), nil), errToolArgs
	}
	var out any
	switch name {
	case "find_services":
		out = t.find(argStr(args, "query"))
	case "get_service":
		out = t.get(argStr(args, "name"), argStrs(args, "sections"))
	case "list_services":
		out = t.list(args)
	case "dependencies":
		out = t.deps(argStr(args, "name"), argStr(args, "direction"), argBool(args, "transitive"))
	default:
		return toolError(fmt.Sprintf("there is no tool called %q; the tools are find_services, get_service, list_services and dependencies, and all of them only read the catalog", name), nil), nil
	}
	b, jerr := json.Marshal(out)
	if jerr != nil {
		return toolError("internal error encoding the result", nil), nil
	}
	return string(b), nil
}

func toolError(msg string, extra map[string]any) string {
	m := map[string]any{"error": msg}
	for k, v := range extra {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func argStr(args map[string]any, k string) string {
	s, _ := args[k].(string)
	return strings.TrimSpace(s)
}

func argStrs(args map[string]any, k string) []string {
	var out []string
	switch v := args[k].(type) {
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, strings.ToLower(strings.TrimSpace(s)))
			}
		}
	case string:
		for _, s := range strings.Split(v, ",") {
			out = append(out, strings.ToLower(strings.TrimSpace(s)))
		}
	}
	return out
}

func argBool(args map[string]any, k string) bool {
	b, _ := args[k].(bool)
	return b
}

// resolve finds a service for a tool, or returns the error object.
func (t *toolRun) resolve(name string) (*domain.Service, map[string]any) {
	if name == "" {
		return nil, map[string]any{"error": "name is required"}
	}
	s, err := commands.Resolve(t.snap, name)
	if err != nil {
		m := map[string]any{"error": fmt.Sprintf("no service called %q in the catalog", name)}
		if sug := commands.Suggestions(t.snap, name, 3); len(sug) > 0 {
			m["did_you_mean"] = sug
		}
		return nil, m
	}
	return s, nil
}

func (t *toolRun) summary(s *domain.Service) map[string]any {
	t.source(s.Name)
	m := map[string]any{"name": s.Name, "title": s.Label(), "stage": s.Stage, "tier": s.Tier, "portfolio": s.Portfolio}
	if p, ok := t.snap.People[s.Owner]; ok {
		m["owner"] = p.Label()
	} else {
		m["owner"] = s.Owner
	}
	return m
}

func (t *toolRun) find(query string) any {
	q := strings.ToLower(query)
	if q == "" {
		return map[string]any{"error": "query is required"}
	}
	type hit struct {
		s     *domain.Service
		score int
	}
	var hits []hit
	qs := questions.Words(q)
	for _, n := range t.snap.ServiceNames() {
		s := t.snap.Services[n]
		hay := strings.ToLower(strings.Join(append(append([]string{n, s.Title, s.Description}, s.Aliases...), s.Tags...), " "))
		score := 0
		if n == q || strings.EqualFold(s.Title, q) || commands.ContainsFold(s.Aliases, q) {
			score = 100
		}
		for _, w := range qs {
			if !questions.IsStopword(w) && strings.Contains(hay, w) {
				score += 10
			}
		}
		if score > 0 {
			hits = append(hits, hit{s, score})
		}
	}
	if len(hits) == 0 {
		if s, err := commands.Resolve(t.snap, query); err == nil {
			hits = append(hits, hit{s, 1})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].score > hits[j].score })
	if len(hits) > 10 {
		hits = hits[:10]
	}
	out := []map[string]any{}
	for _, h := range hits {
		out = append(out, t.summary(h.s))
	}
	return map[string]any{"services": out}
}

func personJSON(snap *domain.Snapshot, name string) any {
	p, ok := snap.People[name]
	if b, team := snap.Boards[name]; !ok && team {
		return map[string]any{"team": b.Name, "title": b.Title, "members": b.Members}
	}
	if !ok {
		return name
	}
	return map[string]any{"name": p.Name, "displayName": p.Label(), "email": p.Email}
}

func dueJSON(d domain.Due) map[string]any {
	if d.Never {
		return map[string]any{"never_done": true, "overdue": true}
	}
	return map[string]any{"date": d.Date, "overdue": d.Overdue, "days_from_today": d.Days}
}

func (t *toolRun) get(name string, sections []string) any {
	s, errObj := t.resolve(name)
	if errObj != nil {
		return errObj
	}
	t.source(s.Name)
	want := func(sec string) bool {
		return len(sections) == 0 || slices.Contains(sections, sec) || slices.Contains(sections, "all")
	}
	out := map[string]any{"name": s.Name, "title": s.Label()}
	if want("overview") {
		out["description"] = s.Description
		out["aliases"] = s.Aliases
		out["tags"] = s.Tags
		out["stage"] = s.Stage
		out["tier"] = s.Tier
		out["channel"] = s.Channel
	}
	if want("overview") || want("owner") {
		out["owner"] = personJSON(t.snap, s.Owner)
		pf := map[string]any{"name": s.Portfolio}
		if p, ok := t.snap.Portfolios[s.Portfolio]; ok {
			pf["title"] = p.Title
			pf["manager"] = personJSON(t.snap, p.Manager)
		}
		out["portfolio"] = pf
	}
	if want("strategy") && s.Strategy != nil {
		out["strategy"] = s.Strategy
	}
	if want("cost") && s.Cost != nil {
		c := s.Cost
		cost := map[string]any{"currency": c.Currency, "annual_tco": c.TCO.Total(), "tco_by_category": c.TCO,
			"charging_model": c.ChargingModel, "unit_price": c.UnitPrice, "recovered_per_year": c.Recovered}
		if r, ok := c.Recovery(); ok {
			cost["recovery_percent"] = commands.Percent(r)
		}
		var months []map[string]any
		for _, m := range c.RecentMonths(3) {
			amt, _, _ := m.Variance()
			months = append(months, map[string]any{"month": m.Month, "budget": m.Budget, "actual": m.Actual, "over_budget_by": amt})
		}
		cost["recent_months"] = months
		out["cost"] = cost
	}
	if want("sla") {
		var kpis []map[string]any
		for _, r := range s.KPIResults() {
			k := map[string]any{"kpi": r.Target.KPI, "target": r.Target.Target, "unit": r.Target.Unit, "better_when": map[bool]string{true: "lower", false: "higher"}[r.Target.LowerIsBetter()]}
			if r.Latest != nil {
				k["latest"] = map[string]any{"month": r.Latest.Month, "value": r.Latest.Value}
				k["met"] = r.Met
			}
			kpis = append(kpis, k)
		}
		out["sla"] = kpis
	}
	if want("performance") && s.Performance != nil {
		p := map[string]any{"review_every": s.Performance.ReviewEvery, "last_review": s.Performance.LastReview}
		if d, ok := s.NextReview(t.today); ok {
			p["next_review"] = dueJSON(d)
		}
		out["performance"] = p
	}
	if want("dependencies") {
		out["depends_on"] = s.DependsOn
		out["depended_on_by"] = t.snap.Dependents(s.Name)
	}
	if want("roadmap") {
		var items []map[string]any
		for _, it := range s.Roadmap {
			items = append(items, map[string]any{"title": it.Title, "due": it.Due, "status": it.Status, "cost": it.Cost,
				"overdue": it.Status != "done" && it.Due.Before(t.today)})
		}
		out["roadmap"] = items
		out["improvements"] = s.Improvements
	}
	if want("continuity") {
		if k := s.Continuity; k != nil {
			c := map[string]any{"rto": k.RTO, "rpo": k.RPO, "plan": k.Plan, "test_every": k.TestEvery, "last_test": k.LastTest}
			if d, ok := s.NextDRTest(t.today); ok {
				c["next_test"] = dueJSON(d)
			}
			out["continuity"] = c
		} else {
			out["continuity"] = nil
		}
	}
	if want("vendors") {
		out["vendor_products"] = s.VendorProducts
	}
	return out
}

// findPerson matches a person by name, display name or first name.
func findPerson(snap *domain.Snapshot, ref string) (string, bool) {
	ref = strings.ToLower(strings.TrimSpace(ref))
	for _, n := range sortedNames(snap.People) {
		p := snap.People[n]
		if n == ref || strings.EqualFold(p.DisplayName, ref) {
			return n, true
		}
	}
	for _, n := range sortedNames(snap.People) {
		if ws := questions.Words(snap.People[n].DisplayName); len(ws) > 0 && ws[0] == ref {
			return n, true
		}
	}
	return "", false
}

func (t *toolRun) deps(name, direction string, transitive bool) any {
	s, errObj := t.resolve(name)
	if errObj != nil {
		return errObj
	}
	t.source(s.Name)
	next := func(n string) []string {
		if svc, ok := t.snap.Services[n]; ok {
			return svc.DependsOn
		}
		return nil
	}
	switch direction {
	case "up":
		next = t.snap.Dependents
	case "down", "":
	default:
		return map[string]any{"error": "direction must be up (what depends on it) or down (what it depends on)"}
	}
	out := []map[string]any{}
	for _, r := range commands.Transitive(t.snap, s.Name, next) {
		if !transitive && r.Depth > 1 {
			continue
		}
		m := map[string]any{"name": r.Name, "depth": r.Depth}
		if svc, ok := t.snap.Services[r.Name]; ok {
			m["title"] = svc.Label()
			m["tier"] = svc.Tier
		}
		if r.Depth > 1 {
			m["via"] = r.Via
		}
		t.source(r.Name)
		out = append(out, m)
	}
	return map[string]any{"service": s.Name, "direction": direction, "services": out}
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
