package catalog

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/storage"
	"github.com/itspm/itspm/storage/storetest"
)

// testStore adapts *storage.Store to Store, as the CLI does.
type testStore struct{ *storage.Store }

func (s testStore) Apply(ctx context.Context, cat *domain.Catalog, actor, source string) (Changes, error) {
	r, err := s.Store.Apply(ctx, cat, actor, source)
	return Changes(r), err
}

func newStore(t *testing.T) testStore { return testStore{storetest.New(t)} }

// stored is the store's whole catalog.
func stored(t *testing.T, st testStore) *domain.Catalog {
	t.Helper()
	snap, err := st.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return snap.Catalog()
}

// mustImport imports files, failing the test on any problem.
func mustImport(t *testing.T, st Store, fs []File) Result {
	t.Helper()
	res, errs, err := Import(context.Background(), st, fs, "tester", false)
	if err != nil || len(errs) > 0 {
		t.Fatalf("import: %v %v", err, errs)
	}
	return res
}

// emptyEqual treats nil and empty lists alike, as the store does.
var emptyEqual = cmpopts.EquateEmpty()

func counts(created, updated, unchanged map[string]int) Changes {
	return Changes{Created: created, Updated: updated, Unchanged: unchanged}
}

func TestImportIsIdempotent(t *testing.T) {
	st := newStore(t)
	base := files("base.yaml", baseYAML)

	res := mustImport(t, st, base)
	want := counts(map[string]int{"Person": 2, "Portfolio": 1, "Board": 1, "Tollgate": 1, "Service": 1}, nil, nil)
	if diff := cmp.Diff(want, res.Changes, emptyEqual); diff != "" {
		t.Errorf("first import (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"Person": 2, "Portfolio": 1, "Board": 1, "Tollgate": 1, "Service": 1}, res.Documents); diff != "" {
		t.Errorf("documents (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(sortedCatalog(baseCatalog(t)), stored(t, st), emptyEqual); diff != "" {
		t.Errorf("stored catalog (-want +got):\n%s", diff)
	}

	res = mustImport(t, st, base)
	if c, u, n := res.Total(); c != 0 || u != 0 || n != 6 {
		t.Errorf("re-import: %d created, %d updated, %d unchanged; want 0, 0, 6", c, u, n)
	}
	if got, want := res.Summary(), "Imported 6 documents (2 people, 1 portfolio, 1 board, 1 tollgate, 1 service): 0 created, 0 updated, 6 unchanged."; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}

	// A changed document is an update; the others stay unchanged.
	changed := strings.Replace(baseYAML, "displayName: Lee Chen", "displayName: Lee Chen-Martin", 1)
	res = mustImport(t, st, files("base.yaml", changed))
	if diff := cmp.Diff(counts(nil, map[string]int{"Person": 1}, map[string]int{"Person": 1, "Portfolio": 1, "Board": 1, "Tollgate": 1, "Service": 1}), res.Changes, emptyEqual); diff != "" {
		t.Errorf("import of a change (-want +got):\n%s", diff)
	}
}

func TestImportWithErrorsChangesNothing(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	mustImport(t, st, files("base.yaml", baseYAML))
	before := stored(t, st)

	// One good file (a change and a new service) and one bad: nothing of
	// either may be written, and every problem is reported.
	good := strings.Replace(baseYAML, "displayName: Lee Chen", "displayName: Someone Else", 1) + "---\n" + svc(ok...)
	bad := strings.Replace(svc("portfolio: workplace", "owner: nobody", "stage: operating-ish"), "payroll", "payslips", 1)
	for _, dryRun := range []bool{false, true} {
		res, errs, err := Import(ctx, st, files("good.yaml", good, "zz-bad.yaml", bad), "tester", dryRun)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			`zz-bad.yaml:7: spec.owner: unknown person "nobody"`,
			`zz-bad.yaml:8: spec.stage: "operating-ish" is not a stage (strategy, design, transition, operate, improve, retirement)`,
		}
		var got []string
		for _, e := range errs {
			got = append(got, e.Error())
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("dry run %v: errors (-want +got):\n%s", dryRun, diff)
		}
		if c, u, _ := res.Total(); c != 0 || u != 0 {
			t.Errorf("dry run %v: result counts changes despite errors: %+v", dryRun, res.Changes)
		}
		if diff := cmp.Diff(before, stored(t, st), emptyEqual); diff != "" {
			t.Errorf("dry run %v: store changed after a failed import (-before +after):\n%s", dryRun, diff)
		}
	}
}

func TestImportDryRun(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	res, errs, err := Import(ctx, st, files("base.yaml", baseYAML), "tester", true)
	if err != nil || len(errs) > 0 {
		t.Fatal(err, errs)
	}
	if c, u, n := res.Total(); c != 6 || u != 0 || n != 0 || !res.DryRun {
		t.Errorf("dry run on an empty store: %+v, want 6 created", res)
	}
	if !strings.HasPrefix(res.Summary(), "Dry run: nothing written. Would import 6 documents") {
		t.Errorf("Summary() = %q", res.Summary())
	}
	if n := stored(t, st).Len(); n != 0 {
		t.Fatalf("dry run wrote %d documents", n)
	}

	mustImport(t, st, files("base.yaml", baseYAML))
	before := stored(t, st)
	changed := strings.Replace(baseYAML, "stage: operate", "stage: improve", 1) + "---\n" + svc(ok...)
	res, errs, err = Import(ctx, st, files("base.yaml", changed), "tester", true)
	if err != nil || len(errs) > 0 {
		t.Fatal(err, errs)
	}
	want := counts(map[string]int{"Service": 1}, map[string]int{"Service": 1}, map[string]int{"Person": 2, "Portfolio": 1, "Board": 1, "Tollgate": 1})
	if diff := cmp.Diff(want, res.Changes, emptyEqual); diff != "" {
		t.Errorf("dry run counts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, stored(t, st), emptyEqual); diff != "" {
		t.Errorf("dry run changed the store (-before +after):\n%s", diff)
	}
	// The real import then does what the dry run said.
	if res2 := mustImport(t, st, files("base.yaml", changed)); !cmp.Equal(res.Changes, res2.Changes, emptyEqual) {
		t.Errorf("import did %+v, dry run said %+v", res2.Changes, res.Changes)
	}
}

// An import checks against what is stored: references to stored documents
// resolve, and a file may update one document alone.
func TestImportOverStoredCatalog(t *testing.T) {
	st := newStore(t)
	mustImport(t, st, files("base.yaml", baseYAML))
	res := mustImport(t, st, files("payroll.yaml", svc(with("dependsOn: [identity]")...)))
	if diff := cmp.Diff(counts(map[string]int{"Service": 1}, nil, nil), res.Changes, emptyEqual); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := len(stored(t, st).Services); got != 2 {
		t.Errorf("%d services stored, want 2", got)
	}
}

func TestImportBackstage(t *testing.T) {
	st := newStore(t)
	fs := files("portfolio.yaml", portfolioYAML, "catalog-info.yaml", backstageYAML)
	res := mustImport(t, st, fs)
	if c, _, _ := res.Total(); c != 9 {
		t.Errorf("created %d documents, want 9", c)
	}
	if !strings.Contains(res.Summary(), "Skipped 2 Backstage documents of kinds ITSPM does not import (API 1, Template 1).") {
		t.Errorf("Summary() = %q", res.Summary())
	}
	set, _ := ParseWith(fs, Options{Existing: &domain.Catalog{}})
	if diff := cmp.Diff(sortedCatalog(&set.Catalog), stored(t, st), emptyEqual); diff != "" {
		t.Errorf("stored (-want +got):\n%s", diff)
	}
	if res := mustImport(t, st, fs); !cmp.Equal(res.Created, map[string]int{}, emptyEqual) || !cmp.Equal(res.Updated, map[string]int{}, emptyEqual) {
		t.Errorf("re-import changed something: %+v", res.Changes)
	}
}

// What the store holds exports to the same text as what was imported, and
// that text imports back with no change.
func TestExportFromStore(t *testing.T) {
	st := newStore(t)
	var want bytes.Buffer
	if err := Export(&want, richCatalog()); err != nil {
		t.Fatal(err)
	}
	mustImport(t, st, []File{{Path: "rich.yaml", Data: want.Bytes()}})

	var got bytes.Buffer
	if err := Export(&got, stored(t, st)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.String(), got.String()); diff != "" {
		t.Errorf("export of the stored catalog (-imported +exported):\n%s", diff)
	}
	res := mustImport(t, st, []File{{Path: "export.yaml", Data: got.Bytes()}})
	if c, u, _ := res.Total(); c != 0 || u != 0 {
		t.Errorf("importing the export changed the store: %+v", res.Changes)
	}
}
