package llm

import (
	"fmt"
	"slices"
	"strings"

	openai "github.com/sashabaranov/go-openai"

	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/questions"
)

// list_services takes typed filter arguments that become the parser's
// questions.Filter, so a model's list and the built-in parser's list of
// the same question hold the same services.

func strArray(desc string, enum ...string) map[string]any {
	items := map[string]any{"type": "string"}
	if len(enum) > 0 {
		items["enum"] = enum
	}
	return map[string]any{"type": "array", "items": items, "description": desc}
}

func measureNames() []string {
	var out []string
	for _, m := range questions.Measures {
		out = append(out, string(m))
	}
	return out
}

var listServicesTool = openai.Tool{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
	Name: "list_services",
	Description: "List exactly the services matching all the given filters (omit a filter to ignore it; several values of one filter mean any of them). " +
		"Returns the count, what was matched on, and each service with the figures it matched on.",
	Parameters: toolSchema(map[string]any{
		"owner":              strArray("person names or display names of the service owner"),
		"portfolio":          strArray("portfolio names or titles"),
		"manager":            strArray("portfolio managers (person names or display names)"),
		"stage":              strArray("lifecycle stages", toolStageNames()...),
		"tier":               map[string]any{"type": "array", "items": map[string]any{"type": "integer", "minimum": 1, "maximum": 3}},
		"board":              strArray("boards (name or title) that decide the tollgate out of the service's current stage"),
		"tag":                strArray("service tags"),
		"charging_model":     strArray("charging models", domain.ChargingModels...),
		"vendor":             strArray("vendor names, e.g. SAP"),
		"product":            map[string]any{"type": "string", "description": "words of a vendor product name, e.g. 'jira'"},
		"kpi":                strArray("services with an SLA target on one of these KPIs (name or word, e.g. 'latency')"),
		"dr_result":          strArray("result of the last DR test", domain.DRResults...),
		"no_dr_test":         map[string]any{"type": "boolean", "description": "only services with no DR test on record"},
		"roadmap_status":     strArray("services with a roadmap item in one of these statuses", domain.ItemStatuses...),
		"overdue_dr":         map[string]any{"type": "boolean", "description": "only services whose DR test is overdue"},
		"overdue_review":     map[string]any{"type": "boolean", "description": "only services whose performance review is overdue"},
		"dr_due_within":      map[string]any{"type": "integer", "minimum": 0, "description": "next DR test due within this many days from today (not overdue)"},
		"review_due_within":  map[string]any{"type": "integer", "minimum": 0, "description": "next performance review due within this many days from today (not overdue)"},
		"contract_ends_from": map[string]any{"type": "string", "description": "a vendor contract ends on or after this date (YYYY-MM-DD)"},
		"contract_ends_to":   map[string]any{"type": "string", "description": "a vendor contract ends on or before this date (YYYY-MM-DD)"},
		"over_budget":        map[string]any{"type": "boolean", "description": "only services over budget in their latest month"},
		"under_budget":       map[string]any{"type": "boolean", "description": "only services within budget in their latest month"},
		"missed_sla":         map[string]any{"type": "boolean", "description": "only services that missed an SLA target in their latest measurements"},
		"compare": map[string]any{"type": "array", "description": "numeric conditions. Units: rto and rpo in minutes; annual_tco and unit_price in the service's currency; " +
			"recovery and budget_variance in percent; sla_target and sla_measured in the KPI's unit (give kpi)",
			"items": toolSchema(map[string]any{
				"measure": map[string]any{"type": "string", "enum": measureNames()},
				"kpi":     map[string]any{"type": "string"},
				"op":      map[string]any{"type": "string", "enum": []string{"<", "<=", ">", ">=", "=", "between"}},
				"value":   map[string]any{"type": "number"},
				"max":     map[string]any{"type": "number", "description": "upper bound for between"},
			}, "measure", "op", "value")},
		"order_by": toolSchema(map[string]any{
			"measure":   map[string]any{"type": "string", "enum": measureNames()},
			"kpi":       map[string]any{"type": "string"},
			"direction": map[string]any{"type": "string", "enum": []string{"highest", "lowest"}},
			"limit":     map[string]any{"type": "integer", "minimum": 1, "description": "how many (ties with the last included); default 1"},
		}, "measure", "direction"),
	}),
}}

// listFilter turns list_services arguments into a Filter, or returns the
// error object for the model.
func (t *toolRun) listFilter(args map[string]any) (questions.Filter, map[string]any) {
	var f questions.Filter
	bad := func(format string, a ...any) (questions.Filter, map[string]any) {
		return questions.Filter{}, map[string]any{"error": fmt.Sprintf(format, a...)}
	}
	for _, o := range argList(args, "owner") {
		n, ok := findPerson(t.snap, o)
		if !ok {
			return bad("no person called %q in the catalog", o)
		}
		f.Owners = append(f.Owners, n)
	}
	for _, o := range argList(args, "manager") {
		n, ok := findPerson(t.snap, o)
		if !ok {
			return bad("no person called %q in the catalog", o)
		}
		f.Managers = append(f.Managers, n)
	}
	for _, p := range argList(args, "portfolio") {
		found, ok := findTitled(t.snap.Portfolios, p, func(pf *domain.Portfolio) string { return pf.Title })
		if !ok {
			return bad("no portfolio called %q; portfolios: %s", p, strings.Join(sortedNames(t.snap.Portfolios), ", "))
		}
		f.Portfolios = append(f.Portfolios, found)
	}
	for _, b := range argList(args, "board") {
		found, ok := findTitled(t.snap.Boards, b, func(bd *domain.Board) string { return bd.Title })
		if !ok {
			return bad("no board called %q; boards: %s", b, strings.Join(sortedNames(t.snap.Boards), ", "))
		}
		f.Boards = append(f.Boards, found)
	}
	for _, st := range argList(args, "stage") {
		stage, ok := domain.ParseStage(st)
		if !ok {
			return bad("%q is not a stage; stages: %s", st, domain.StageNames())
		}
		f.Stages = append(f.Stages, stage)
	}
	switch v := args["tier"].(type) {
	case float64:
		f.Tiers = []int{int(v)}
	case []any:
		for _, x := range v {
			if n, ok := x.(float64); ok {
				f.Tiers = append(f.Tiers, int(n))
			}
		}
	}
	for _, v := range argList(args, "vendor") {
		n := len(f.Vendors)
		for _, name := range t.snap.ServiceNames() {
			for _, vp := range t.snap.Services[name].VendorProducts {
				if strings.EqualFold(vp.Vendor, v) && !slices.Contains(f.Vendors, vp.Vendor) {
					f.Vendors = append(f.Vendors, vp.Vendor)
				}
			}
		}
		if len(f.Vendors) == n {
			return bad("no service uses a vendor called %q", v)
		}
	}
	f.Tags = lowerAll(argList(args, "tag"))
	f.ChargingModels = lowerAll(argList(args, "charging_model"))
	f.KPIs = lowerAll(argList(args, "kpi"))
	f.DRResults = lowerAll(argList(args, "dr_result"))
	f.RoadmapStatus = lowerAll(argList(args, "roadmap_status"))
	if p := argStr(args, "product"); p != "" {
		for _, w := range questions.Words(p) {
			if !questions.IsStopword(w) {
				f.Products = append(f.Products, w)
			}
		}
	}
	f.NoDRTest = argBool(args, "no_dr_test")
	f.OverdueDR = argBool(args, "overdue_dr")
	f.OverdueReview = argBool(args, "overdue_review")
	f.OverBudget = argBool(args, "over_budget")
	f.UnderBudget = argBool(args, "under_budget")
	f.MissedSLA = argBool(args, "missed_sla")
	if d, ok := args["dr_due_within"].(float64); ok {
		f.DRDue = &questions.Window{From: t.today, To: t.today.AddDays(int(d)), Label: fmt.Sprintf("within %d days", int(d))}
	}
	if d, ok := args["review_due_within"].(float64); ok {
		f.ReviewDue = &questions.Window{From: t.today, To: t.today.AddDays(int(d)), Label: fmt.Sprintf("within %d days", int(d))}
	}
	from, to := domain.Date(argStr(args, "contract_ends_from")), domain.Date(argStr(args, "contract_ends_to"))
	if from != "" || to != "" {
		if from == "" {
			from = "0001-01-01"
		}
		if to == "" {
			to = "9999-12-31"
		}
		if !from.Valid() || !to.Valid() {
			return bad("contract_ends_from and contract_ends_to are dates written YYYY-MM-DD")
		}
		f.ContractEnds = &questions.Window{From: from, To: to}
	}
	if raw, ok := args["compare"].([]any); ok {
		for _, x := range raw {
			m, _ := x.(map[string]any)
			c := questions.Comparison{Measure: questions.Measure(argStr(m, "measure")), KPI: argStr(m, "kpi"), Op: argStr(m, "op")}
			c.Value, _ = m["value"].(float64)
			c.Max, _ = m["max"].(float64)
			if !slices.Contains(questions.Measures, c.Measure) {
				return bad("compare: %q is not a measure; measures: %s", c.Measure, strings.Join(measureNames(), ", "))
			}
			if !slices.Contains([]string{"<", "<=", ">", ">=", "=", "between"}, c.Op) {
				return bad("compare: op must be one of <, <=, >, >=, =, between")
			}
			if c.Measure == questions.Recovery || c.Measure == questions.BudgetVariance {
				c.Value, c.Max = c.Value/100, c.Max/100 // percent, as the schema says
			}
			f.Compare = append(f.Compare, c)
		}
	}
	if m, ok := args["order_by"].(map[string]any); ok {
		o := &questions.Order{Measure: questions.Measure(argStr(m, "measure")), KPI: argStr(m, "kpi"), Desc: argStr(m, "direction") != "lowest", N: 1}
		if n, ok := m["limit"].(float64); ok && n >= 1 {
			o.N = int(n)
		}
		if !slices.Contains(questions.Measures, o.Measure) {
			return bad("order_by: %q is not a measure; measures: %s", o.Measure, strings.Join(measureNames(), ", "))
		}
		f.Order = o
	}
	return f, nil
}

func (t *toolRun) list(args map[string]any) any {
	f, errObj := t.listFilter(args)
	if errObj != nil {
		return errObj
	}
	out := []map[string]any{}
	for _, h := range f.Apply(t.snap, t.today) {
		m := t.summary(h.Service)
		if len(h.Details) > 0 {
			m["details"] = h.Details
		}
		out = append(out, m)
	}
	res := map[string]any{"count": len(out), "services": out}
	if d := f.Describe(t.snap); len(d) > 0 {
		res["matched_on"] = d
	}
	return res
}

// argList is a string or an array of strings (a model gives either).
func argList(args map[string]any, k string) []string {
	var out []string
	switch v := args[k].(type) {
	case string:
		if s := strings.TrimSpace(v); s != "" {
			out = append(out, s)
		}
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok && strings.TrimSpace(s) != "" {
				out = append(out, strings.TrimSpace(s))
			}
		}
	}
	return out
}

func lowerAll(ss []string) []string {
	for i, s := range ss {
		ss[i] = strings.ToLower(s)
	}
	return ss
}

// findTitled finds the entry of m a model names by its name or title
// (case and punctuation aside); the last match in name order wins, as
// names are unique and titles rarely repeat.
func findTitled[V any](m map[string]V, ref string, title func(V) string) (string, bool) {
	found := ""
	for _, n := range sortedNames(m) {
		if strings.EqualFold(n, ref) || strings.EqualFold(title(m[n]), ref) || questions.Phrase(n) == questions.Phrase(ref) {
			found = n
		}
	}
	return found, found != ""
}
