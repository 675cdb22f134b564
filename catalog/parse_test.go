package catalog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/itspm/itspm/domain"
)

// baseYAML is a small valid catalog that the error cases build on.
const baseYAML = `apiVersion: itspm/v1
kind: Person
metadata: {name: dana}
spec: {displayName: Dana Ortiz, email: dana@example.com, slackUser: U0DANA}
---
apiVersion: itspm/v1
kind: Person
metadata: {name: lee}
spec: {displayName: Lee Chen}
---
apiVersion: itspm/v1
kind: Portfolio
metadata: {name: workplace}
spec: {title: Workplace Services, manager: dana}
---
apiVersion: itspm/v1
kind: Board
metadata: {name: design-authority}
spec: {title: Design Authority, members: [dana, lee]}
---
apiVersion: itspm/v1
kind: Tollgate
metadata: {name: tg-transition}
spec: {from: design, to: transition, board: design-authority, quorum: 2}
---
apiVersion: itspm/v1
kind: Service
metadata: {name: identity}
spec: {portfolio: workplace, owner: dana, stage: operate}
`

// baseCatalog parses baseYAML, failing the test on any problem.
func baseCatalog(t *testing.T) *domain.Catalog {
	t.Helper()
	set, errs := Parse([]File{{Path: "base.yaml", Data: []byte(baseYAML)}})
	if errs = append(errs, set.Check(nil)...); len(errs) > 0 {
		t.Fatalf("base catalog: %v", errs)
	}
	return &set.Catalog
}

// svc is a service document whose spec holds the given lines, which start
// on line 6 of the document:
//
//	1 apiVersion: itspm/v1
//	2 kind: Service
//	3 metadata:
//	4   name: payroll
//	5 spec:
//	6   (first line of spec)
func svc(spec ...string) string {
	return "apiVersion: itspm/v1\nkind: Service\nmetadata:\n  name: payroll\nspec:\n  " + strings.Join(spec, "\n  ") + "\n"
}

// ok is a valid service spec (lines 6-8); extra fields follow from line 9.
var ok = []string{"portfolio: workplace", "owner: lee", "stage: operate"}

func with(extra ...string) []string { return append(append([]string(nil), ok...), extra...) }

func files(pairs ...string) []File {
	var fs []File
	for i := 0; i+1 < len(pairs); i += 2 {
		fs = append(fs, File{Path: pairs[i], Data: []byte(pairs[i+1])})
	}
	return fs
}

// problems parses files and checks them over existing, as an import does.
func problems(files []File, existing *domain.Catalog) []string {
	set, errs := ParseWith(files, Options{Existing: existing})
	errs = append(errs, set.Check(existing)...).sorted()
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

func TestParseAndCheckErrors(t *testing.T) {
	tests := []struct {
		name  string
		files []File
		want  []string
	}{
		{
			name:  "valid",
			files: files("s.yaml", svc(ok...)),
		},
		{
			name: "malformed YAML, other files still read",
			files: files(
				"a.yaml", "apiVersion: itspm/v1\nkind: Person\nmetadata: {name: sam\nspec: {}\n",
				"b.yaml", svc("portfolio: workplace", "owner: lee", " stage: operate"),
				"c.yaml", svc("portfolio: workplace", "owner: nobody", "stage: operate"),
			),
			want: []string{
				`a.yaml:3: invalid YAML: did not find expected ',' or '}'`,
				`b.yaml:8: invalid YAML: mapping values are not allowed in this context`,
				`c.yaml:7: spec.owner: unknown person "nobody"`,
			},
		},
		{
			name: "malformed YAML after a good document: the good one is kept",
			files: files(
				"m.yaml", "apiVersion: itspm/v1\nkind: Person\nmetadata: {name: sam}\nspec: {}\n---\napiVersion: itspm/v1\nkind: Person\nmetadata: {name: tom]\nspec: {}\n",
				"s.yaml", svc("portfolio: workplace", "owner: sam", "stage: operate"),
			),
			want: []string{`m.yaml:8: invalid YAML: did not find expected ',' or '}'`},
		},
		{
			name:  "tab indentation on the first line",
			files: files("a.yaml", "\tapiVersion: itspm/v1\n"),
			want:  []string{`a.yaml:1: invalid YAML: found character that cannot start any token`},
		},
		{
			name:  "unknown field in spec",
			files: files("s.yaml", svc("portfolio: workplace", "ownr: lee", "stage: operate")),
			want: []string{
				`s.yaml:5: spec.owner: is required`,
				`s.yaml:7: unknown field "ownr" in spec (did you mean "owner"?)`,
			},
		},
		{
			name:  "unknown nested field",
			files: files("s.yaml", svc(with("cost:", "  tco: {labour: 5}", "  sla: []")...)),
			want: []string{
				`s.yaml:10: unknown field "labour" in spec.cost.tco (did you mean "labor"?)`,
				`s.yaml:11: unknown field "sla" in spec.cost`,
			},
		},
		{
			name:  "unknown field in metadata and in the document",
			files: files("s.yaml", "apiVersion: itspm/v1\nkind: Person\nmetadata: {name: sam, owner: lee}\nspecs: {}\nspec: {}\n"),
			want: []string{
				`s.yaml:3: unknown field "owner" in metadata`,
				`s.yaml:4: unknown field "specs" in the document (did you mean "spec"?)`,
			},
		},
		{
			name:  "title is metadata, not spec",
			files: files("s.yaml", svc(with("title: Payroll")...)),
			want:  []string{`s.yaml:9: unknown field "title" in spec`},
		},
		{
			name:  "unknown reference",
			files: files("s.yaml", svc("portfolio: workplace", "owner: nobody", "stage: operate", "dependsOn: [identity, idenity]")),
			want: []string{
				`s.yaml:7: spec.owner: unknown person "nobody"`,
				`s.yaml:9: spec.dependsOn[1]: unknown service "idenity" (did you mean "identity"?)`,
			},
		},
		{
			name: "duplicate name",
			files: files(
				"p.yaml", "apiVersion: itspm/v1\nkind: Person\nmetadata: {name: sam}\nspec: {}\n---\napiVersion: itspm/v1\nkind: Person\nmetadata:\n  name: sam\nspec: {}\n",
				"q.yaml", "apiVersion: itspm/v1\nkind: Person\nmetadata: {name: sam}\nspec: {}\n",
			),
			want: []string{
				`p.yaml:9: duplicate person name "sam" (first defined at p.yaml:1)`,
				`q.yaml:3: duplicate person name "sam" (first defined at p.yaml:1)`,
			},
		},
		{
			name:  "same name in another kind is fine",
			files: files("p.yaml", "apiVersion: itspm/v1\nkind: Person\nmetadata: {name: payroll}\nspec: {}\n---\n"+svc(ok...)),
		},
		{
			name:  "bad stage",
			files: files("payroll.yaml", svc("portfolio: workplace", "owner: lee", "stage: operating-ish")),
			want:  []string{`payroll.yaml:8: spec.stage: "operating-ish" is not a stage (strategy, design, transition, operate, improve, retirement)`},
		},
		{
			name:  "negative cost",
			files: files("s.yaml", svc(with("cost:", "  currency: EUR", "  tco:", "    licenses: 10", "    labor: -5")...)),
			want:  []string{`s.yaml:13: spec.cost.tco.labor: must be a non-negative amount, got -5`},
		},
		{
			name:  "bad date",
			files: files("s.yaml", svc(with("roadmap:", "  - {title: Payslips, due: 2026-12-15}", "  - {title: Payslips v2, due: 2026-02-30}")...)),
			want:  []string{`s.yaml:11: spec.roadmap[1].due: "2026-02-30" is not a valid date (want YYYY-MM-DD)`},
		},
		{
			name:  "bad month",
			files: files("s.yaml", svc(with("cost:", "  monthly:", "    - month: 2026-13", "      budget: 100")...)),
			want:  []string{`s.yaml:11: spec.cost.monthly[0].month: "2026-13" is not a month (want YYYY-MM)`},
		},
		{
			name:  "bad duration",
			files: files("s.yaml", svc(with("continuity:", "  rto: 4x", "  rpo: 15m")...)),
			want:  []string{`s.yaml:10: spec.continuity.rto: "4x" has unknown unit "x" (use s, m, h, d or w)`},
		},
		{
			name:  "required field missing inside a block points at its parent",
			files: files("s.yaml", svc(with("continuity:", "  rto: 4h", "  lastTest:", "    result: pass")...)),
			want:  []string{`s.yaml:11: spec.continuity.lastTest.date: is required (YYYY-MM-DD)`},
		},
		{
			name:  "unknown kind",
			files: files("s.yaml", "apiVersion: itspm/v1\nkind: Servce\nmetadata: {name: payroll}\nspec: {}\n"),
			want:  []string{`s.yaml:2: kind "Servce" is not one of Person, Portfolio, Board, Tollgate, Service (did you mean "Service"?)`},
		},
		{
			name:  "missing kind",
			files: files("s.yaml", "apiVersion: itspm/v1\nmetadata: {name: payroll}\nspec: {}\n"),
			want:  []string{`s.yaml:1: kind is required (Person, Portfolio, Board, Tollgate, Service)`},
		},
		{
			name:  "wrong apiVersion",
			files: files("s.yaml", "kind: Person\napiVersion: itspm/v2\nmetadata: {name: sam}\nspec: {}\n"),
			want:  []string{`s.yaml:2: apiVersion "itspm/v2" is not supported (want itspm/v1, or backstage.io/v1alpha1 for Backstage descriptors)`},
		},
		{
			name:  "missing apiVersion",
			files: files("s.yaml", "# a comment\nkind: Person\nmetadata: {name: sam}\nspec: {}\n"),
			want:  []string{`s.yaml:2: apiVersion is required (itspm/v1, or backstage.io/v1alpha1 for Backstage descriptors)`},
		},
		{
			name:  "missing metadata.name",
			files: files("s.yaml", "apiVersion: itspm/v1\nkind: Service\nmetadata:\n  title: Payroll\nspec: {}\n"),
			want:  []string{`s.yaml:4: metadata.name is required`},
		},
		{
			name:  "missing metadata",
			files: files("s.yaml", "apiVersion: itspm/v1\nkind: Person\nspec: {}\n"),
			want:  []string{`s.yaml:1: metadata.name is required`},
		},
		{
			name:  "missing spec",
			files: files("s.yaml", "apiVersion: itspm/v1\nkind: Person\nmetadata: {name: sam}\n"),
			want:  []string{`s.yaml:1: spec is required (a mapping, may be {})`},
		},
		{
			name:  "spec is not a mapping",
			files: files("s.yaml", "apiVersion: itspm/v1\nkind: Person\nmetadata: {name: sam}\nspec: [a]\n"),
			want:  []string{`s.yaml:4: spec: expected a mapping (field: value), got a list`},
		},
		{
			name:  "document is not a mapping",
			files: files("s.yaml", "- a\n- b\n"),
			want:  []string{`s.yaml:1: a document must be a mapping with apiVersion, kind, metadata and spec, got a list`},
		},
		{
			name:  "bad name",
			files: files("s.yaml", strings.Replace(svc(ok...), "payroll", "Payroll_System", 1)),
			want:  []string{`s.yaml:4: metadata.name: "Payroll_System" is not a valid name (lowercase letters, digits and '-', 1-63 characters, starting and ending with a letter or digit)`},
		},
		{
			name:  "quorum larger than the board",
			files: files("t.yaml", "apiVersion: itspm/v1\nkind: Tollgate\nmetadata: {name: tg-operate}\nspec:\n  from: transition\n  to: operate\n  board: design-authority\n  quorum: 3\n"),
			want:  []string{`t.yaml:8: spec.quorum: is 3 but board "design-authority" has only 2 members`},
		},
		{
			name:  "a change that breaks a stored document",
			files: files("b.yaml", "apiVersion: itspm/v1\nkind: Board\nmetadata: {name: design-authority}\nspec: {members: [dana]}\n"),
			want:  []string{`tollgate "tg-transition" (already in the catalog, not in these files): spec.quorum: is 2 but board "design-authority" has only 1 members`},
		},
		{
			name: "type errors",
			files: files("s.yaml", svc(with(
				"tier: high",                     // 9
				"sla: {kpi: availability}",       // 10
				"cost: [1, 2]",                   // 11
				"dependsOn: identity",            // 12
				"strategy: {why: [a, b]}",        // 13
				"performance: {measurements: x}", // 14
			)...)+"---\napiVersion: itspm/v1\nkind: Tollgate\nmetadata: {name: tg-x}\nspec: {from: operate, to: improve, board: design-authority, quorum: two}\n"),
			want: []string{
				`s.yaml:9: spec.tier: expected a whole number, got "high"`,
				`s.yaml:10: spec.sla: expected a list, got a mapping`,
				`s.yaml:11: spec.cost: expected a mapping (field: value), got a list`,
				`s.yaml:12: spec.dependsOn: expected a list, got "identity"`,
				`s.yaml:13: spec.strategy.why: expected a text value, got a list`,
				`s.yaml:14: spec.performance.measurements: expected a list, got "x"`,
				`s.yaml:19: spec.quorum: expected a whole number, got "two"`, // and not "must be at least 1"
			},
		},
		{
			name:  "numbers",
			files: files("s.yaml", svc(with("tier: 1.5", "cost: {unitPrice: cheap, recovered: \"100\"}")...)),
			want: []string{
				`s.yaml:9: spec.tier: expected a whole number, got "1.5"`,
				`s.yaml:10: spec.cost.unitPrice: expected a number, got "cheap"`,
				`s.yaml:10: spec.cost.recovered: expected a number, got "100"`,
			},
		},
		{
			name:  "text checks",
			files: files("s.yaml", svc(with(`description: "bell \a here"`, "channel: \"C0PAY\uE000\"")...)),
			want: []string{
				`s.yaml:9: spec.description: contains control character U+0007`,
				`s.yaml:10: spec.channel: contains private-use character U+E000`,
				`s.yaml:10: spec.channel: "C0PAY\ue000" is not a Slack channel ID (like C0123ABCD)`,
			},
		},
		{
			name:  "key given twice",
			files: files("s.yaml", svc(with("owner: dana")...)),
			want:  []string{`s.yaml:9: spec: "owner" is set twice (first on line 7)`},
		},
		{
			name: "anchors, aliases and merge keys",
			files: files("s.yaml", svc(with(
				"sla:",
				"  - &avail {kpi: availability, target: 99.9, unit: percent}",
				"  - {<<: *avail, kpi: uptime, nonsense: 1}",
			)...)),
			want: []string{`s.yaml:11: unknown field "nonsense" in spec.sla[1]`},
		},
		{
			name:  "a merge key that refers to its own mapping",
			files: files("s.yaml", "apiVersion: itspm/v1\nkind: Person\nmetadata: &m {name: sam, <<: *m}\nspec: {}\n"),
			want:  []string{`s.yaml:3: metadata: a merge (<<) refers to the mapping that contains it`},
		},
		{
			name: "several errors in two files are all reported",
			files: files(
				"people.yaml", "apiVersion: itspm/v1\nkind: Person\nmetadata: {name: sam}\nspec: {email: not-an-email, slackUser: sam}\n",
				"payroll.yaml", svc("portfolio: workplac", "owner: sam", "stage: operate", "tier: 7"),
			),
			want: []string{
				`payroll.yaml:6: spec.portfolio: unknown portfolio "workplac" (did you mean "workplace"?)`,
				`payroll.yaml:9: spec.tier: must be 1 (most critical) to 4, got 7`,
				`people.yaml:4: spec.email: "not-an-email" is not an email address`,
				`people.yaml:4: spec.slackUser: "sam" is not a Slack user ID (like U0123ABCD)`,
			},
		},
		{
			name:  "empty documents and comments are fine",
			files: files("s.yaml", "# nothing yet\n---\n---\n"+svc(ok...)+"---\n"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problems(tt.files, baseCatalog(t))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	errs := Errors{
		{File: "a.yaml", Line: 3, Message: "spec.owner: is required"},
		{File: "b.yaml", Message: "invalid YAML: boom"},
		{Message: `tollgate "x": spec.quorum: too big`},
	}
	want := "a.yaml:3: spec.owner: is required\nb.yaml: invalid YAML: boom\n" + `tollgate "x": spec.quorum: too big`
	if got := errs.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if Errors(nil).Err() != nil {
		t.Error("empty Errors.Err() is not nil")
	}
}

// Unquoted dates are YAML timestamps; they must decode to exactly the text
// written, and numbers to their values.
func TestParseKeepsDatesAsWritten(t *testing.T) {
	doc := svc(with(
		"strategy: {why: Pay staff., availableFrom: 2021-04-01}",
		`vendorProducts: [{vendor: SAP, contractEnds: "2027-03-31", annualCost: 120000}]`,
		"cost: {unitPrice: 4.50, recovered: 1.5e5, monthly: [{month: 2026-09, budget: 22000, actual: 23500.25}]}",
		"performance: {lastReview: 2026-08-15, measurements: [{kpi: availability, month: 2026-09, value: 0}]}",
		"sla: [{kpi: availability, target: 99.9}]",
		"continuity: {rto: 4h, lastTest: {date: 2026-05-04, result: pass}}",
		"tier: 1",
	)...)
	set, errs := Parse(files("s.yaml", doc))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	s := set.Catalog.Services[0]
	got := []any{
		s.Strategy.AvailableFrom, s.VendorProducts[0].ContractEnds, s.VendorProducts[0].AnnualCost,
		s.Cost.UnitPrice, s.Cost.Recovered, s.Cost.Monthly[0].Month, s.Cost.Monthly[0].Actual,
		s.Performance.LastReview, s.Continuity.LastTest.Date, s.Tier,
	}
	want := []any{
		domain.Date("2021-04-01"), domain.Date("2027-03-31"), 120000.0,
		4.5, 150000.0, domain.Month("2026-09"), 23500.25,
		domain.Date("2026-08-15"), domain.Date("2026-05-04"), 1,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
}

func TestReadPaths(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("b.yaml", "b")
	write("a/z.yml", "z")
	write("a/notes.txt", "not catalog")
	write(".git/x.yaml", "hidden")
	write("explicit.txt", "explicit")
	if err := os.MkdirAll(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}

	got, err := ReadPaths([]string{dir, filepath.Join(dir, "explicit.txt"), filepath.Join(dir, "b.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	want := []File{
		{Path: filepath.Join(dir, "a/z.yml"), Data: []byte("z")},
		{Path: filepath.Join(dir, "b.yaml"), Data: []byte("b")},
		{Path: filepath.Join(dir, "explicit.txt"), Data: []byte("explicit")},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ReadPaths (-want +got):\n%s", diff)
	}
	if _, err := ReadPaths([]string{filepath.Join(dir, "empty")}); err == nil || !strings.Contains(err.Error(), "no .yaml or .yml files") {
		t.Errorf("empty directory: err = %v", err)
	}
	if _, err := ReadPaths([]string{filepath.Join(dir, "missing.yaml")}); err == nil {
		t.Error("missing file: no error")
	}
}
