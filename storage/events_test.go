package storage_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/itspm/itspm/storage/storetest"
)

func TestClaimEventOnceAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	name := storetest.DatabaseName(t)
	a := storetest.NewNamed(t, name, nil)
	b := storetest.NewNamed(t, name, nil)

	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		st := a
		if i%2 == 1 {
			st = b
		}
		wg.Go(func() {
			first, err := st.ClaimEvent(ctx, "event:Ev1")
			if err != nil {
				t.Errorf("claim: %v", err)
			}
			if first {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if got := wins.Load(); got != 1 {
		t.Fatalf("%d concurrent claims won, want exactly 1", got)
	}
	first, err := a.ClaimEvent(ctx, "event:Ev2")
	if err != nil || !first {
		t.Fatalf("claim of another key = %v, %v; want true", first, err)
	}
	if _, err := a.ClaimEvent(ctx, ""); err == nil {
		t.Error("empty key accepted")
	}
}

func TestPruneEvents(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st := storetest.NewNamed(t, storetest.DatabaseName(t), clock)

	tests := []struct {
		key string
		at  time.Time
	}{
		{"event:old", now.Add(-48 * time.Hour)},
		{"event:older", now.Add(-72 * time.Hour)},
		{"event:new", now.Add(-time.Hour)},
	}
	for _, tc := range tests {
		now = tc.at
		if first, err := st.ClaimEvent(ctx, tc.key); err != nil || !first {
			t.Fatalf("claim %s = %v, %v", tc.key, first, err)
		}
	}
	now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	n, err := st.PruneEvents(ctx, now.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("pruned %d, want 2", n)
	}
	// Pruned keys can be claimed again; the recent one still cannot.
	for key, want := range map[string]bool{"event:old": true, "event:older": true, "event:new": false} {
		first, err := st.ClaimEvent(ctx, key)
		if err != nil || first != want {
			t.Errorf("claim %s after prune = %v, %v; want %v", key, first, err, want)
		}
	}
}
