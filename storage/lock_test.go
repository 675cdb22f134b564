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
