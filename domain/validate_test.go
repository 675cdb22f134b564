package domain

import (
	"strings"
	"testing"
)

func validCatalog() *Catalog {
	return &Catalog{
		People:     []Person{{Name: "lee"}, {Name: "dana"}, {Name: "sam"}},
		Portfolios: []Portfolio{{Name: "workplace", PortfolioSpec: PortfolioSpec{Manager: "dana", Channel: "C0WORK"}}},
		Boards:     []Board{{Name: "da", BoardSpec: BoardSpec{Members: []string{"dana", "lee", "sam"}, Channel: "C0BOARD"}}},
		Tollgates:  []Tollgate{{Name: "tg-transition", TollgateSpec: TollgateSpec{From: StageDesign, To: StageTransition, Board: "da", Quorum: 2}}},
		Services: []Service{
			{Name: "identity", ServiceSpec: ServiceSpec{Owner: "lee", Portfolio: "workplace", Stage: StageOperate}},
			{Name: "payroll", Aliases: []string{"pay"}, ServiceSpec: ServiceSpec{Owner: "lee", Portfolio: "workplace", Stage: StageOperate, Tier: 1,
				DependsOn: []string{"identity"},
				Cost:      &Cost{Currency: "EUR", ChargingModel: "per-user", TCO: TCO{Licenses: 1}, Monthly: []MonthCost{{Month: "2026-09"}}},
				SLA:       []SLATarget{{KPI: "availability", Target: 99.9}},
				Performance: &Performance{ReviewEvery: Quarterly, LastReview: "2026-08-15",
					Measurements: []Measurement{{KPI: "availability", Month: "2026-09", Value: 99.95}}},
				Continuity: &Continuity{RTO: "4h", RPO: "15m", TestEvery: Semiannual, LastTest: &DRTest{Date: "2026-05-04", Result: "pass"}},
			}},
		},
	}
}

func TestValidateAcceptsAValidCatalog(t *testing.T) {
	if ps := validCatalog().Validate(); len(ps) != 0 {
		t.Fatalf("problems: %v", ps)
	}
}

func TestValidateFindsEveryProblem(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *Catalog)
		path   string
		msg    string
	}{
		{"unknown owner", func(c *Catalog) { c.Services[1].Owner = "leee" }, "spec.owner", `unknown person "leee" (did you mean "lee"?)`},
		{"bad stage", func(c *Catalog) { c.Services[1].Stage = "running" }, "spec.stage", `"running" is not a stage`},
		{"negative cost", func(c *Catalog) { c.Services[1].Cost.TCO.Labor = -5 }, "spec.cost.tco.labor", "non-negative"},
		{"bad date", func(c *Catalog) { c.Services[1].Performance.LastReview = "2026-02-30" }, "spec.performance.lastReview", "not a valid date"},
		{"bad month", func(c *Catalog) { c.Services[1].Cost.Monthly[0].Month = "2026-13" }, "spec.cost.monthly[0].month", "not a month"},
		{"bad duration", func(c *Catalog) { c.Services[1].Continuity.RTO = "4x" }, "spec.continuity.rto", "unknown unit"},
		{"bad period", func(c *Catalog) { c.Services[1].Continuity.TestEvery = "weekly" }, "spec.continuity.testEvery", "not one of monthly"},
		{"bad result", func(c *Catalog) { c.Services[1].Continuity.LastTest.Result = "ok" }, "spec.continuity.lastTest.result", `"ok" is not one of pass`},
		{"duplicate name", func(c *Catalog) { c.Services = append(c.Services, c.Services[0]) }, "metadata.name", "duplicate service name"},
		{"bad name", func(c *Catalog) { c.Services[0].Name = "Payroll_System" }, "metadata.name", "not a valid name"},
		{"alias clash", func(c *Catalog) { c.Services[0].Aliases = []string{"pay"} }, "metadata.aliases[0]", "already used by service"},
		{"self dependency", func(c *Catalog) { c.Services[1].DependsOn = []string{"payroll"} }, "spec.dependsOn[0]", "cannot depend on itself"},
		{"unknown dependency", func(c *Catalog) { c.Services[1].DependsOn = []string{"nope"} }, "spec.dependsOn[0]", `unknown service "nope"`},
		{"quorum too big", func(c *Catalog) { c.Tollgates[0].Quorum = 4 }, "spec.quorum", "has only 3 members"},
		{"gate to same stage", func(c *Catalog) { c.Tollgates[0].To = StageDesign }, "spec.to", "another stage"},
		{"kpi without target", func(c *Catalog) { c.Services[1].Performance.Measurements[0].KPI = "latency" }, "spec.performance.measurements[0].kpi", "no SLA target"},
		{"lower-case currency", func(c *Catalog) { c.Services[1].Cost.Currency = "eur" }, "spec.cost.currency", "not a currency"},
		{"bad channel", func(c *Catalog) { c.Portfolios[0].Channel = "#general" }, "spec.channel", "not a Slack channel ID"},
		{"missing owner", func(c *Catalog) { c.Services[0].Owner = "" }, "spec.owner", "is required"},
		{"tier out of range", func(c *Catalog) { c.Services[1].Tier = 9 }, "spec.tier", "must be 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := validCatalog()
			tc.change(c)
			ps := c.Validate()
			for _, p := range ps {
				if p.Path == tc.path && strings.Contains(p.Message, tc.msg) {
					return
				}
			}
			t.Errorf("no problem at %s containing %q; got %v", tc.path, tc.msg, ps)
		})
	}
}

func TestCheckText(t *testing.T) {
	for _, ok := range []string{"plain", "with\nnewline", "tab\there", "émoji 🚀"} {
		if err := CheckText(ok); err != nil {
			t.Errorf("CheckText(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"bell\a", "\uE000token", "nul\x00"} {
		if err := CheckText(bad); err == nil {
			t.Errorf("CheckText(%q) accepted", bad)
		}
	}
}
