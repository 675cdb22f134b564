package storage_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/storage"
	"github.com/itspm/itspm/storage/storetest"
)

// Replicas updating the same service at once each change it on top of
// the others' changes: none is lost. (A DR test recorded in one process
// while a tollgate moves the service's stage in another must keep both.)
func TestConcurrentUpdatesOfOneServiceAreNotLost(t *testing.T) {
	ctx := context.Background()
	name := storetest.DatabaseName(t)
	stores := []*storage.Store{storetest.NewNamed(t, name, nil), storetest.NewNamed(t, name, nil)}
	if _, err := stores[0].Apply(ctx, smallCatalog(), "tester", "test"); err != nil {
		t.Fatal(err)
	}
	const n = 12
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, err := stores[i%2].UpdateService(ctx, "identity", domain.AuditEntry{Actor: "t", Action: "test"}, func(s *domain.Service) error {
				s.Tags = append(s.Tags, fmt.Sprintf("t%02d", i))
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	var stored domain.Service
	if err := stores[0].DB().Collection("services").FindOne(ctx, map[string]any{"_id": "identity"}).Decode(&stored); err != nil {
		t.Fatal(err)
	}
	var missing []string
	for i := range n {
		if tag := fmt.Sprintf("t%02d", i); !slices.Contains(stored.Tags, tag) {
			missing = append(missing, tag)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d of %d concurrent updates lost (tags %v missing; stored %v)", len(missing), n, missing, stored.Tags)
	}
}

// A lock left by a replica that died while holding it is taken over once
// its lease has passed; a live one is waited for.
func TestWriteLockOfADeadReplicaIsTakenOver(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	if _, err := st.Apply(ctx, smallCatalog(), "tester", "test"); err != nil {
		t.Fatal(err)
	}
	locks := st.DB().Collection("locks")
	for _, tc := range []struct {
		name    string
		expires time.Duration // from now
	}{{"expired", -time.Second}, {"expiring", 300 * time.Millisecond}} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := locks.InsertOne(ctx, map[string]any{"_id": "service/identity", "owner": "dead", "until": time.Now().Add(tc.expires).UTC()}); err != nil {
				t.Fatal(err)
			}
			uctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			start := time.Now()
			if _, err := st.UpdateService(uctx, "identity", domain.AuditEntry{Actor: "t", Action: "test"}, func(s *domain.Service) error {
				s.Description = "after " + tc.name
				return nil
			}); err != nil {
				t.Fatalf("update with a dead replica's lock: %v", err)
			}
			if took := time.Since(start); took < tc.expires {
				t.Errorf("updated after %v, before the lock's lease ended (%v)", took, tc.expires)
			}
			if n, _ := locks.CountDocuments(ctx, map[string]any{}); n != 0 {
				t.Errorf("%d locks left after the update, want 0", n)
			}
		})
	}
}

// Replicas recording different things about one tollgate request at once
// (its message, its line, a reminder, its closing) keep all of them.
func TestConcurrentTollgateRequestUpdatesAreNotLost(t *testing.T) {
	ctx := context.Background()
	name := storetest.DatabaseName(t)
	a, b := storetest.NewNamed(t, name, nil), storetest.NewNamed(t, name, nil)
	if _, err := a.Apply(ctx, smallCatalog(), "tester", "test"); err != nil {
		t.Fatal(err)
	}
	req := &domain.TollgateRequest{Service: "identity", Gate: "g", From: domain.StageDesign, To: domain.StageTransition, Board: "b", Quorum: 1, Requester: "lee", OpenedAt: time.Now().UTC()}
	if err := a.OpenTollgateRequest(ctx, req); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	for round := range 5 {
		var wg sync.WaitGroup
		wg.Go(func() {
			if err := a.SetTollgateMessage(ctx, req.ID, "C0BOARD", fmt.Sprint("1764244800.00000", round)); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			if err := b.SetTollgateLinePending(ctx, req.ID, true); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			if err := b.SetTollgateReminded(ctx, req.ID, at); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			if err := a.CloseTollgateRequest(ctx, req, domain.RequestApproved, at); err != nil {
				t.Error(err)
			}
		})
		wg.Wait()
		got, err := a.TollgateRequest(ctx, req.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.MessageTS != fmt.Sprint("1764244800.00000", round) || !got.LinePending || !got.Reminded.Equal(at) || got.Status != domain.RequestApproved {
			t.Fatalf("round %d: %+v; want every concurrent update kept", round, got)
		}
		// Undo for the next round, one field at a time.
		if err := a.SetTollgateLinePending(ctx, req.ID, false); err != nil {
			t.Fatal(err)
		}
		if err := a.CloseTollgateRequest(ctx, req, domain.RequestOpen, time.Time{}); err != nil {
			t.Fatal(err)
		}
		if err := a.SetTollgateReminded(ctx, req.ID, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
}
