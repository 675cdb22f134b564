package catalog

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/itspm/itspm/domain"
)

// testdata/backstage is a Backstage catalog written the way real ones are:
// a Location pointing at files and a glob, Groups whose members are on the
// Users, owners that are groups (with and without a kind), names with dots
// and underscores, one name in two namespaces, components placed by their
// System's Domain, dependencies on a Resource and through an API, dangling
// references, an unknown lifecycle and a scaffolder Template.
const backstageRoot = "testdata/backstage/catalog-info.yaml"

// The warnings the catalog gives: what it has that does not map.
var backstageWarnings = []string{
	"testdata/backstage/org.yaml:32: group:default/platform: spec.members user:default/noor.haddad is not in these files; not a member",
	"testdata/backstage/org.yaml:52: user:default/tobias_lind: spec.memberOf group:default/reading-club is not a group in these files; membership not imported",
	"testdata/backstage/systems/lending.yaml:33: component:default/loan-desk: depends on resource:default/card-printer, which is not in these files; the dependency is left out",
	`testdata/backstage/systems/misc.yaml:4: component:default/reading-room.kiosk: no itspm/portfolio annotation, and no domain to take the portfolio from; in portfolio "unassigned"`,
	`testdata/backstage/systems/misc.yaml:7: component:default/reading-room.kiosk: spec.lifecycle "beta" has no ITSPM stage (experimental, production or deprecated); imported as operate (set the itspm/stage annotation)`,
	`testdata/backstage/systems/misc.yaml:19: component:development/dev-tools: spec.system system:development/sandbox is not in these files; in portfolio "unassigned"`,
	`testdata/backstage/systems/misc.yaml:31: component:default/print-queue: spec.owner user:default/frida.tan is not in these files; imported as a person "frida-tan" with only its name`,
	"testdata/backstage/systems/misc.yaml:32: component:default/print-queue: depends on api:default/payments-api, which is not in these files; the dependency is left out",
	`testdata/backstage/templates/template.yaml:1: Template "new-library-service" (scaffolder.backstage.io/v1beta3) is not imported: ITSPM has no kind for it`,
}

func readBackstage(t *testing.T) []File {
	t.Helper()
	files, err := ReadPaths([]string{backstageRoot})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func exportText(t *testing.T, st testStore) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Export(&b, stored(t, st)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestBackstageCatalogEndToEnd(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	res, errs, err := ImportWith(ctx, st, readBackstage(t), ImportOptions{Actor: "test"})
	if err != nil || len(errs) > 0 {
		t.Fatalf("import: %v\n%v", err, errs)
	}
	if diff := cmp.Diff(backstageWarnings, texts(res.Warnings)); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if want := "Imported 18 documents (6 people, 2 portfolios, 3 boards, 7 services): 18 created, 0 updated, 0 unchanged."; !strings.HasPrefix(res.Summary(), want) {
		t.Errorf("Summary() = %q, want it to start %q", res.Summary(), want)
	}

	snap, err := st.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Each class of the issue, as it landed.
	type svcWant struct {
		owner, portfolio string
		stage            domain.Stage
		deps             []string
	}
	wantSvcs := map[string]svcWant{
		"loan-desk":             {"circulation", "library-services", domain.StageOperate, []string{"loans-db", "catalogue-search"}}, // implicit group owner, System → Domain, Resource and API deps
		"catalogue-search":      {"archives", "library-services", domain.StageDesign, nil},                                          // group:default/archives
		"lending":               {"circulation", "library-services", domain.StageOperate, nil},                                      // a System, from its spec.domain
		"loans-db":              {"platform", "library-services", domain.StageOperate, nil},                                         // a Resource
		"reading-room-kiosk":    {"guest", "unassigned", domain.StageOperate, nil},                                                  // name with a dot, user:guest, unknown lifecycle
		"development-dev-tools": {"development-guest", "unassigned", domain.StageOperate, nil},                                      // namespace prefix, owner in its namespace
		"print-queue":           {"frida-tan", "library-services", domain.StageRetirement, []string{"loan-desk"}},                   // annotation wins, dangling owner
	}
	for name, w := range wantSvcs {
		s, ok := snap.Services[name]
		if !ok {
			t.Errorf("service %s not imported", name)
			continue
		}
		got := svcWant{s.Owner, s.Portfolio, s.Stage, s.DependsOn}
		if diff := cmp.Diff(w, got, cmp.AllowUnexported(svcWant{})); diff != "" {
			t.Errorf("service %s (-want +got):\n%s", name, diff)
		}
	}
	wantTeams := map[string][]string{
		"circulation": {"mira-okafor", "tobias-lind"},         // members from memberOf only
		"archives":    {"tobias-lind"},                        // a group with no spec.members
		"platform":    {"quentin-oduya", "development-guest"}, // spec.members, then memberOf
	}
	for name, members := range wantTeams {
		if diff := cmp.Diff(members, snap.Boards[name].Members); diff != "" {
			t.Errorf("team %s members (-want +got):\n%s", name, diff)
		}
	}
	if got := snap.Boards["circulation"].Channel; got != "C0CIRC" {
		t.Errorf("circulation channel = %q, want C0CIRC (slack.com/channel)", got)
	}
	if got := snap.Portfolios["library-services"].Manager; got != "mira-okafor" {
		t.Errorf("library-services manager = %q, want mira-okafor (the Domain's owner)", got)
	}
	if got := snap.People["guest"].Annotations[RefAnnotation]; got != "user:default/guest" {
		t.Errorf("guest's reference = %q", got)
	}
	if got := snap.People["development-guest"].Annotations[RefAnnotation]; got != "user:development/guest" {
		t.Errorf("development-guest's reference = %q", got)
	}
	loanDesk := snap.Services["loan-desk"]
	if !snap.IsOwner(loanDesk, "tobias-lind") || snap.IsOwner(loanDesk, "quentin-oduya") {
		t.Errorf("IsOwner: team members own loan-desk, others do not")
	}

	// Export → import → export is byte for byte the same, and matches the
	// reviewed copy in testdata.
	first := exportText(t, st)
	golden := filepath.Join("testdata", "backstage-export.yaml")
	if os.Getenv("UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(golden, first, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(first)); diff != "" {
		t.Errorf("export differs from %s (UPDATE_GOLDEN=1 rewrites it) (-file +export):\n%s", golden, diff)
	}
	fresh := newStore(t)
	mustImport(t, fresh, []File{{Path: "export.yaml", Data: first}})
	if second := exportText(t, fresh); !bytes.Equal(first, second) {
		t.Errorf("export → import → export changed the text:\n%s", cmp.Diff(string(first), string(second)))
	}
	// Importing the Backstage files again over either changes nothing.
	for _, s := range []testStore{st, fresh} {
		res, errs, err := ImportWith(ctx, s, readBackstage(t), ImportOptions{Actor: "test"})
		if err != nil || len(errs) > 0 {
			t.Fatalf("re-import: %v %v", err, errs)
		}
		if c, u, _ := res.Total(); c != 0 || u != 0 {
			t.Errorf("re-importing the Backstage files changed the store: %+v", res.Changes)
		}
	}
}

func TestBackstageStrict(t *testing.T) {
	st := newStore(t)
	res, errs, err := ImportWith(context.Background(), st, readBackstage(t), ImportOptions{Actor: "test", Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(backstageWarnings, texts(errs)); diff != "" {
		t.Errorf("strict: the warnings are the errors (-want +got):\n%s", diff)
	}
	if len(res.Warnings) != len(backstageWarnings) {
		t.Errorf("%d warnings, want %d", len(res.Warnings), len(backstageWarnings))
	}
	if n := stored(t, st).Len(); n != 0 {
		t.Errorf("strict import with warnings stored %d documents", n)
	}
}

func TestBackstageDefaultPortfolio(t *testing.T) {
	st := newStore(t)
	_, errs, err := ImportWith(context.Background(), st, readBackstage(t), ImportOptions{Actor: "test", DefaultPortfolio: "elsewhere"})
	if err != nil || len(errs) > 0 {
		t.Fatalf("import: %v %v", err, errs)
	}
	c := stored(t, st)
	snap := domain.NewSnapshot(c)
	if _, ok := snap.Portfolios["unassigned"]; ok {
		t.Errorf("unassigned created although --default-portfolio was given")
	}
	if got := snap.Services["reading-room-kiosk"].Portfolio; got != "elsewhere" {
		t.Errorf("reading-room-kiosk in %q, want elsewhere", got)
	}
}

func TestBackstageLocations(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	loc := func(targets ...string) string {
		return "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: root}\nspec:\n  targets: [" + strings.Join(targets, ", ") + "]\n"
	}
	user := func(name string) string {
		return "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {name: " + name + "}\nspec: {}\n"
	}
	write("a/one.yaml", user("one"))
	write("a/two.yaml", user("two")+"---\n"+loc("./one.yaml", "../root.yaml")) // a cycle, read once
	write("root.yaml", loc("./a/*.yaml", "a/one.yaml", "./missing.yaml", "./none/*.yaml", "https://example.com/x.yaml"))
	root := filepath.Join(dir, "root.yaml")
	files, err := ReadPaths([]string{root})
	if err != nil {
		t.Fatal(err)
	}
	set, errs := ParseWith(files, Options{})
	wantErrs := []string{root + ":5: location:default/root: target \"./missing.yaml\": " + filepath.Join(dir, "missing.yaml") + " does not exist"}
	if diff := cmp.Diff(wantErrs, texts(errs)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	wantWarn := []string{
		root + `:5: location:default/root: target "./none/*.yaml" matches no file`,
		root + ":5: location:default/root: target https://example.com/x.yaml is a URL and is not followed (give the files on the command line, or use --backstage-url)",
	}
	if diff := cmp.Diff(wantWarn, texts(set.Warnings)); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{domain.KindPerson: 2}, set.Documents); diff != "" {
		t.Errorf("documents (-want +got):\n%s", diff)
	}
}
