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
			{Name: "lee", Annotations: map[string]string{RefAnnotation: "user:default/lee"}, PersonSpec: domain.PersonSpec{DisplayName: "Lee Chen", Email: "lee@example.com", SlackUser: "U0LEE"}},
			{Name: "dana", Annotations: map[string]string{RefAnnotation: "user:default/dana"}, PersonSpec: domain.PersonSpec{DisplayName: "Dana Ortiz", SlackUser: "U0DANA"}},
		},
		Portfolios: []domain.Portfolio{
			{Name: "workplace", PortfolioSpec: domain.PortfolioSpec{Title: "Workplace Services", Manager: "dana"}},
			{Name: "unassigned", PortfolioSpec: domain.PortfolioSpec{Title: "Unassigned (imported from Backstage without a domain)"}},
		},
		Boards: []domain.Board{
			{Name: "design-authority", Annotations: map[string]string{RefAnnotation: "group:default/design-authority"}, BoardSpec: domain.BoardSpec{Title: "Design Authority", Members: []string{"lee", "dana"}, Channel: "C0BOARD"}},
		},
		Services: []domain.Service{
			{Name: "workplace-suite", Annotations: map[string]string{RefAnnotation: "system:default/workplace-suite"}, ServiceSpec: domain.ServiceSpec{
				Description: "Everything an employee touches every day.", Portfolio: "workplace", Owner: "dana", Stage: domain.StageOperate,
			}},
			{Name: "payroll", Annotations: map[string]string{RefAnnotation: "component:default/payroll"}, Title: "Payroll", Aliases: []string{"pay", "salaries"}, Tags: []string{"hr", "finance"}, ServiceSpec: domain.ServiceSpec{
				Description: "Monthly salary calculation and payment.",
				Portfolio:   "workplace",
				Owner:       "lee",
				Stage:       domain.StageOperate,
				Tier:        1,
				Channel:     "C0PAYROLL",
				DependsOn:   []string{"identity", "payroll-db", "workplace-suite"},
				Cost:        &domain.Cost{Currency: "EUR", ChargingModel: "per-user", TCO: domain.TCO{Licenses: 120000, Labor: 90000}},
				SLA:         []domain.SLATarget{{KPI: "availability", Target: 99.9, Unit: "percent"}},
				Continuity:  &domain.Continuity{RTO: "4h", RPO: "15m", LastTest: &domain.DRTest{Date: "2026-05-04", Result: "pass"}},
			}},
			{Name: "identity", Annotations: map[string]string{RefAnnotation: "component:default/identity"}, ServiceSpec: domain.ServiceSpec{Portfolio: "workplace", Owner: "dana", Stage: domain.StageDesign}},
			{Name: "payroll-db", Annotations: map[string]string{RefAnnotation: "resource:default/payroll-db"}, ServiceSpec: domain.ServiceSpec{Portfolio: "unassigned", Owner: "lee", Stage: domain.StageOperate}},
		},
	}
	if diff := cmp.Diff(want, set.Catalog); diff != "" {
		t.Errorf("catalog (-want +got):\n%s", diff)
	}
	wantCounts := map[string]int{domain.KindPerson: 2, domain.KindPortfolio: 2, domain.KindBoard: 1, domain.KindService: 4}
	if diff := cmp.Diff(wantCounts, set.Documents); diff != "" {
		t.Errorf("documents (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"API": 1, "Template": 1}, set.Skipped); diff != "" {
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
		want []string // errors
		warn []string
	}{
		{
			name: "valid",
			doc:  component([]string{"itspm/portfolio: workplace"}, okSpec...),
		},
		{
			name: "lifecycle without a stage is a warning",
			doc:  component([]string{"itspm/portfolio: workplace"}, "type: service", "lifecycle: beta", "owner: lee"),
			warn: []string{`c.yaml:9: component:default/payroll: spec.lifecycle "beta" has no ITSPM stage (experimental, production or deprecated); imported as operate (set the itspm/stage annotation)`},
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
			name: "no portfolio: the default one, with a warning",
			doc:  component([]string{"backstage.io/techdocs-ref: dir:."}, okSpec...),
			warn: []string{`c.yaml:4: component:default/payroll: no itspm/portfolio annotation, and no domain to take the portfolio from; in portfolio "unassigned"`},
		},
		{
			name: "dangling owner group: a placeholder team",
			doc:  component([]string{"itspm/portfolio: workplace"}, "type: service", "lifecycle: production", "owner: group:default/payroll-team"),
			warn: []string{`c.yaml:10: component:default/payroll: spec.owner group:default/payroll-team is not in these files; imported as a team "payroll-team" with only its name`},
		},
		{
			name: "owner of a kind that cannot own",
			doc:  component([]string{"itspm/portfolio: workplace"}, "type: service", "lifecycle: production", "owner: component:identity"),
			want: []string{`c.yaml:10: spec.owner: is required`},
			warn: []string{`c.yaml:10: component:default/payroll: spec.owner component:default/identity is a component; an owner is a user or a group`},
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
			name: "dependsOn: dangling references are warnings, stored services resolve",
			doc:  component([]string{"itspm/portfolio: workplace"}, append(okSpec, "dependsOn: [resource:db, component:default/ledger, component:identity, 'component:']")...),
			warn: []string{
				`c.yaml:11: component:default/payroll: spec.dependsOn: entity reference "component:" has no name; ignored`,
				`c.yaml:11: component:default/payroll: depends on resource:default/db, which is not in these files; the dependency is left out`,
				`c.yaml:11: component:default/payroll: depends on component:default/ledger, which is not in these files; the dependency is left out`,
			},
		},
		{
			name: "Backstage name with characters no rule maps",
			doc:  strings.Replace(component([]string{"itspm/portfolio: workplace"}, okSpec...), "name: payroll", "name: Payroll+System", 1),
			want: []string{`c.yaml:4: metadata.name: "payroll+system" is not a valid name (lowercase letters, digits and '-', 1-63 characters, starting and ending with a letter or digit)`},
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
			name: "group with a member not in the files",
			doc:  "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: cab}\nspec:\n  type: team\n  children: []\n  members: [user:dana, user:default/bob]\n",
			warn: []string{`c.yaml:7: group:default/cab: spec.members user:default/bob is not in these files; not a member`},
		},
		{
			name: "missing spec",
			doc:  "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: cab}\n",
			want: []string{`c.yaml:1: spec is required`},
		},
		{
			name: "the name rule's collisions stop the import",
			doc: "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {name: ann.lee}\nspec: {}\n---\n" +
				"apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {name: ann_lee}\nspec: {}\n",
			want: []string{`c.yaml:8: user:default/ann_lee and user:default/ann.lee (at c.yaml:3) both map to person name "ann-lee"; rename one of them, or set their names apart in a way the rule keeps (see docs/backstage.md)`},
		},
		{
			name: "the same entity twice",
			doc:  "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: cab}\nspec: {}\n---\napiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: cab, namespace: default}\nspec: {}\n",
			want: []string{`c.yaml:8: duplicate Backstage entity group:default/cab (first defined at c.yaml:3)`},
		},
		{
			name: "same name in two namespaces is two entities",
			doc: "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {name: guest}\nspec: {}\n---\n" +
				"apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {name: guest, namespace: development}\nspec: {}\n",
		},
		{
			name: "kinds ITSPM does not model",
			doc:  "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {name: new-service}\nspec: {}\n---\napiVersion: backstage.io/v1alpha1\nkind: Widget\nmetadata: {name: w}\nspec: {}\n",
			warn: []string{
				`c.yaml:1: Template "new-service" (scaffolder.backstage.io/v1beta3) is not imported: ITSPM has no kind for it`,
				`c.yaml:6: Widget "w" (backstage.io/v1alpha1) is not imported: ITSPM has no kind for it`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := baseCatalog(t)
			set, errs := ParseWith(files("c.yaml", tt.doc), Options{Existing: base})
			errs = append(errs, set.Check(base)...).sorted()
			if diff := cmp.Diff(tt.want, texts(errs)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.warn, texts(set.Warnings)); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

func texts(es Errors) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Error())
	}
	return out
}
