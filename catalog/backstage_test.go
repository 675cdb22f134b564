package catalog

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/itspm/itspm/domain"
)

const portfolioYAML = `apiVersion: itspm/v1
kind: Portfolio
metadata: {name: workplace}
spec: {title: Workplace Services, manager: dana}
`

const backstageYAML = `# A Backstage catalog-info.yaml with ITSPM annotations.
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: lee
  annotations:
    slack.com/user-id: U0LEE
spec:
  profile: {displayName: Lee Chen, email: lee@example.com, picture: https://example.com/lee.png}
  memberOf: [design-authority]
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: dana
  namespace: default
  annotations: {itspm/slackUser: U0DANA}
spec:
  profile: {displayName: Dana Ortiz}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: design-authority
  title: DA
  annotations: {itspm/channel: C0BOARD}
spec:
  type: team
  profile: {displayName: Design Authority}
  children: []
  members: [user:default/lee, dana]
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata:
  name: workplace-suite
  description: Everything an employee touches every day.
  annotations:
    itspm/portfolio: workplace
    itspm/stage: operate
    itspm/owner: dana
spec:
  owner: group:default/design-authority
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payroll
  title: Payroll
  description: Monthly salary calculation and payment.
  tags: [hr, finance]
  links: [{url: "https://wiki.example.com/payroll", title: Wiki}]
  annotations:
    backstage.io/techdocs-ref: dir:.
    github.com/project-slug: example/payroll
    itspm/portfolio: workplace
    itspm/tier: "1"
    itspm/channel: C0PAYROLL
    itspm/aliases: pay, salaries
    itspm/cost: |
      currency: EUR
      chargingModel: per-user
      tco: {licenses: 120000, labor: 90000}
    itspm/sla: '[{"kpi": "availability", "target": 99.9, "unit": "percent"}]'
    itspm/continuity: '{rto: 4h, rpo: 15m, lastTest: {date: 2026-05-04, result: pass}}'
spec:
  type: service
  lifecycle: production
  owner: user:default/lee
  system: workplace-suite
  dependsOn: [component:default/identity, resource:default/payroll-db, system:workplace-suite]
  providesApis: [payroll-api]
---
apiVersion: backstage.io/v1beta1
kind: Component
metadata:
  name: identity
  annotations: {itspm/portfolio: workplace}
spec: {type: service, lifecycle: experimental, owner: dana}
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: payroll-api}
spec: {type: openapi, lifecycle: production, owner: lee, definition: "openapi: 3.0.0"}
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata: {name: payroll-db}
spec: {type: database, owner: lee}
---
apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata: {name: new-service}
spec: {}
`

func TestBackstage(t *testing.T) {
	set, errs := Parse(files("portfolio.yaml", portfolioYAML, "catalog-info.yaml", backstageYAML))
	errs = append(errs, set.Check(nil)...)
	if len(errs) > 0 {
		t.Fatalf("problems:\n%v", errs)
	}
	want := domain.Catalog{
		People: []domain.Person{
			{Name: "lee", PersonSpec: domain.PersonSpec{DisplayName: "Lee Chen", Email: "lee@example.com", SlackUser: "U0LEE"}},
			{Name: "dana", PersonSpec: domain.PersonSpec{DisplayName: "Dana Ortiz", SlackUser: "U0DANA"}},
		},
		Portfolios: []domain.Portfolio{{Name: "workplace", PortfolioSpec: domain.PortfolioSpec{Title: "Workplace Services", Manager: "dana"}}},
		Boards: []domain.Board{
			{Name: "design-authority", BoardSpec: domain.BoardSpec{Title: "Design Authority", Members: []string{"lee", "dana"}, Channel: "C0BOARD"}},
		},
		Services: []domain.Service{
			{Name: "workplace-suite", ServiceSpec: domain.ServiceSpec{
				Description: "Everything an employee touches every day.", Portfolio: "workplace", Owner: "dana", Stage: domain.StageOperate,
			}},
			{Name: "payroll", Title: "Payroll", Aliases: []string{"pay", "salaries"}, Tags: []string{"hr", "finance"}, ServiceSpec: domain.ServiceSpec{
				Description: "Monthly salary calculation and payment.",
				Portfolio:   "workplace",
				Owner:       "lee",
				Stage:       domain.StageOperate,
				Tier:        1,
				Channel:     "C0PAYROLL",
				DependsOn:   []string{"identity", "workplace-suite"},
				Cost:        &domain.Cost{Currency: "EUR", ChargingModel: "per-user", TCO: domain.TCO{Licenses: 120000, Labor: 90000}},
				SLA:         []domain.SLATarget{{KPI: "availability", Target: 99.9, Unit: "percent"}},
				Continuity:  &domain.Continuity{RTO: "4h", RPO: "15m", LastTest: &domain.DRTest{Date: "2026-05-04", Result: "pass"}},
			}},
			{Name: "identity", ServiceSpec: domain.ServiceSpec{Portfolio: "workplace", Owner: "dana", Stage: domain.StageDesign}},
		},
	}
	if diff := cmp.Diff(want, set.Catalog); diff != "" {
		t.Errorf("catalog (-want +got):\n%s", diff)
	}
	wantCounts := map[string]int{domain.KindPerson: 2, domain.KindPortfolio: 1, domain.KindBoard: 1, domain.KindService: 3}
	if diff := cmp.Diff(wantCounts, set.Documents); diff != "" {
		t.Errorf("documents (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"API": 1, "Resource": 1, "Template": 1}, set.Skipped); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
}

// component is a Backstage Component whose annotations (from line 6) and
// spec fields (after them) are given:
//
//	1 apiVersion: backstage.io/v1alpha1
//	2 kind: Component
//	3 metadata:
//	4   name: payroll
//	5   annotations:
//	6     (first annotation)
func component(annotations []string, spec ...string) string {
	var b strings.Builder
	b.WriteString("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payroll\n  annotations:\n")
	for _, a := range annotations {
		b.WriteString("    " + a + "\n")
	}
	b.WriteString("spec:\n")
	for _, s := range spec {
		b.WriteString("  " + s + "\n")
	}
	return b.String()
}

func TestBackstageErrors(t *testing.T) {
	okSpec := []string{"type: service", "lifecycle: production", "owner: user:lee"}
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{
			name: "valid",
			doc:  component([]string{"itspm/portfolio: workplace"}, okSpec...),
		},
		{
			name: "lifecycle without a stage",
			doc:  component([]string{"itspm/portfolio: workplace"}, "type: service", "lifecycle: beta", "owner: lee"),
			want: []string{`c.yaml:9: spec.lifecycle: "beta" has no ITSPM stage (want experimental, production or deprecated, or set the itspm/stage annotation)`},
		},
		{
			name: "itspm/stage annotation wins over lifecycle",
			doc:  component([]string{"itspm/portfolio: workplace", "itspm/stage: improve"}, "type: service", "lifecycle: beta", "owner: lee"),
		},
		{
			name: "unknown annotation",
			doc:  component([]string{"itspm/portfolio: workplace", "itspm/teir: '1'", "itspm/colour: blue", "other/thing: ignored"}, okSpec...),
			want: []string{
				`c.yaml:7: unknown annotation "itspm/teir" (did you mean "itspm/tier"?)`,
				`c.yaml:8: unknown annotation "itspm/colour"; itspm/ annotations name a field of the service spec: aliases, description, portfolio, owner, stage, tier, channel, dependsOn, strategy, vendorProducts, cost, sla, performance, roadmap, continuity, improvements`,
			},
		},
		{
			name: "missing portfolio points at the annotations",
			doc:  component([]string{"backstage.io/techdocs-ref: dir:."}, okSpec...),
			want: []string{`c.yaml:6: itspm/portfolio: is required`},
		},
		{
			name: "unknown owner",
			doc:  component([]string{"itspm/portfolio: workplace"}, "type: service", "lifecycle: production", "owner: group:default/payroll-team"),
			want: []string{`c.yaml:10: spec.owner: unknown person "payroll-team"`},
		},
		{
			name: "scalar annotation of the wrong type",
			doc:  component([]string{"itspm/portfolio: workplace", `itspm/tier: "high"`}, okSpec...),
			want: []string{`c.yaml:7: itspm/tier: expected a whole number, got "high"`},
		},
		{
			name: "structured annotation: problems at their line inside a block",
			doc: component([]string{
				"itspm/portfolio: workplace", // 6
				"itspm/cost: |",              // 7
				"  currency: EUR",            // 8
				"  tco:",                     // 9
				"    labour: 5",              // 10
				"    labor: -5",              // 11
			}, okSpec...),
			want: []string{
				`c.yaml:10: unknown field "labour" in itspm/cost.tco (did you mean "labor"?)`,
				`c.yaml:11: itspm/cost.tco.labor: must be a non-negative amount, got -5`,
			},
		},
		{
			name: "structured annotation: JSON on one line",
			doc:  component([]string{"itspm/portfolio: workplace", `itspm/sla: '[{"kpi": "availability", "target": "high"}]'`}, okSpec...),
			want: []string{`c.yaml:7: itspm/sla[0].target: expected a number, got "high"`},
		},
		{
			name: "structured annotation: invalid YAML",
			doc:  component([]string{"itspm/portfolio: workplace", `itspm/continuity: '{rto: 4h'`}, okSpec...),
			want: []string{`c.yaml:7: itspm/continuity: invalid YAML in the annotation: did not find expected ',' or '}'`},
		},
		{
			name: "dependsOn: unknown component, resource ignored",
			doc:  component([]string{"itspm/portfolio: workplace"}, append(okSpec, "dependsOn: [resource:db, component:default/ledger]")...),
			want: []string{`c.yaml:11: spec.dependsOn[1]: unknown service "ledger"`},
		},
		{
			name: "bad Backstage name",
			doc:  strings.Replace(component([]string{"itspm/portfolio: workplace"}, okSpec...), "name: payroll", "name: Payroll_System", 1),
			want: []string{`c.yaml:4: metadata.name: "Payroll_System" is not a valid name (lowercase letters, digits and '-', 1-63 characters, starting and ending with a letter or digit)`},
		},
		{
			name: "user with a bad Slack ID and email",
			doc:  "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: sam\n  annotations: {slack.com/user-id: sam}\nspec:\n  profile:\n    email: sam-at-example\n",
			want: []string{
				`c.yaml:5: slack.com/user-id: "sam" is not a Slack user ID (like U0123ABCD)`,
				`c.yaml:8: spec.profile.email: "sam-at-example" is not an email address`,
			},
		},
		{
			name: "group with an unknown member",
			doc:  "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: cab}\nspec:\n  type: team\n  children: []\n  members: [user:dana, user:default/bob]\n",
			want: []string{`c.yaml:7: spec.members[1]: unknown person "bob"`},
		},
		{
			name: "missing spec",
			doc:  "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: cab}\n",
			want: []string{`c.yaml:1: spec is required`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problems(files("c.yaml", tt.doc), baseCatalog(t))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}
