package storage_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/storage"
	"github.com/itspm/itspm/storage/storetest"
)

func smallCatalog() *domain.Catalog {
	return &domain.Catalog{
		People:     []domain.Person{{Name: "lee", PersonSpec: domain.PersonSpec{DisplayName: "Lee Chen", SlackUser: "U0LEE"}}},
		Portfolios: []domain.Portfolio{{Name: "workplace", PortfolioSpec: domain.PortfolioSpec{Title: "Workplace", Manager: "lee"}}},
		Services: []domain.Service{
			{Name: "payroll", Title: "Payroll", Aliases: []string{"pay"}, ServiceSpec: domain.ServiceSpec{Owner: "lee", Portfolio: "workplace", Stage: domain.StageOperate, DependsOn: []string{"identity"}}},
			{Name: "identity", Title: "Identity", ServiceSpec: domain.ServiceSpec{Owner: "lee", Portfolio: "workplace", Stage: domain.StageOperate}},
		},
	}
}

func TestApplyIsIdempotentAndAudited(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	res, err := st.Apply(ctx, smallCatalog(), "tester", "test")
	if err != nil {
		t.Fatal(err)
	}
	if c, u, n := res.Total(); c != 4 || u != 0 || n != 0 {
		t.Fatalf("first apply: created %d updated %d unchanged %d, want 4/0/0", c, u, n)
	}
	res, err = st.Apply(ctx, smallCatalog(), "tester", "test")
	if err != nil {
		t.Fatal(err)
	}
	if c, u, n := res.Total(); c != 0 || u != 0 || n != 4 {
		t.Fatalf("second apply: created %d updated %d unchanged %d, want 0/0/4", c, u, n)
	}
	cat := smallCatalog()
	cat.Services[0].Stage = domain.StageImprove
	if _, err := st.Apply(ctx, cat, "tester", "test"); err != nil {
		t.Fatal(err)
	}
	hist, err := st.History(ctx, "payroll", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].Action != "import.update" || hist[1].Action != "import.create" {
		t.Fatalf("history = %+v", hist)
	}
	want := []domain.Change{{Field: "stage", Before: `"operate"`, After: `"improve"`}}
	if diff := cmp.Diff(want, hist[0].Changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
}

func TestSnapshotSeesOtherReplicasWrites(t *testing.T) {
	ctx := context.Background()
	name := storetest.DatabaseName(t)
	a := storetest.NewNamed(t, name, nil)
	b := storetest.NewNamed(t, name, nil)
	if _, err := a.Apply(ctx, smallCatalog(), "tester", "test"); err != nil {
		t.Fatal(err)
	}
	snapB, err := b.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(snapB.Services) != 2 {
		t.Fatalf("b sees %d services, want 2", len(snapB.Services))
	}
	// A single-service edit on a is seen by b on its next read.
	if _, err := a.UpdateService(ctx, "payroll", domain.AuditEntry{Actor: "lee", Action: "stage.change"}, func(s *domain.Service) error {
		s.Stage = domain.StageImprove
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	snapB, err = b.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := snapB.Services["payroll"].Stage; got != domain.StageImprove {
		t.Fatalf("b sees stage %q, want improve", got)
	}
	if s, ok := snapB.Lookup("PAY"); !ok || s.Name != "payroll" {
		t.Fatalf("alias lookup failed: %v %v", s, ok)
	}
	if d := snapB.Dependents("identity"); len(d) != 1 || d[0] != "payroll" {
		t.Fatalf("dependents(identity) = %v", d)
	}
}

func TestChangeLogClaimsAreUniqueUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	name := storetest.DatabaseName(t)
	stores := []*storage.Store{storetest.NewNamed(t, name, nil), storetest.NewNamed(t, name, nil), storetest.NewNamed(t, name, nil)}
	if _, err := stores[0].Apply(ctx, smallCatalog(), "tester", "test"); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 30)
	for i := 0; i < 30; i++ {
		st := stores[i%3]
		go func(i int) {
			_, err := st.UpdateService(ctx, "identity", domain.AuditEntry{Actor: "t", Action: "test"}, func(s *domain.Service) error {
				s.Description = fmt.Sprint("edit ", i)
				return nil
			})
			errs <- err
		}(i)
	}
	for i := 0; i < 30; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	n, err := stores[0].DB().Collection("changes").CountDocuments(ctx, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	if n != 31 { // one for the import, one per edit
		t.Fatalf("change log has %d entries, want 31", n)
	}
	// Every replica converges on the stored document.
	var stored domain.Service
	if err := stores[0].DB().Collection("services").FindOne(ctx, map[string]any{"_id": "identity"}).Decode(&stored); err != nil {
		t.Fatal(err)
	}
	for i, st := range stores {
		snap, err := st.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := snap.Services["identity"].Description; got != stored.Description {
			t.Errorf("replica %d sees %q, stored %q", i, got, stored.Description)
		}
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	ctx := context.Background()
	name := storetest.DatabaseName(t)
	st := storetest.NewNamed(t, name, nil)
	if _, err := st.DB().Collection("meta").UpdateOne(ctx, map[string]any{"_id": "schema"}, map[string]any{"$set": map[string]any{"version": storage.SchemaVersion + 1}}); err != nil {
		t.Fatal(err)
	}
	_, err := storage.Connect(ctx, storetest.URI(t), name, nil)
	if err == nil {
		t.Fatal("opening a database of a newer schema succeeded")
	}
	if want := "newer itspm"; !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not mention %q", err, want)
	}
}

func TestPruneChangesKeepsTheNewest(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	if _, err := st.Apply(ctx, smallCatalog(), "tester", "test"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := st.UpdateService(ctx, "identity", domain.AuditEntry{Actor: "t"}, func(s *domain.Service) error {
			s.Description = fmt.Sprint(i)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := st.PruneChanges(ctx, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Fatalf("pruned %d, want 3 (all but the newest of 4)", n)
	}
	// Writers keep numbering after the newest, and readers keep up.
	other := storetest.NewNamed(t, st.DB().Name(), nil)
	if _, err := st.UpdateService(ctx, "identity", domain.AuditEntry{Actor: "t"}, func(s *domain.Service) error {
		s.Description = "after prune"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	snap, err := other.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := snap.Services["identity"].Description; got != "after prune" {
		t.Fatalf("description %q after prune", got)
	}
}
