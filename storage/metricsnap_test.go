package storage_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/storage/storetest"
)

// Two replicas storing the same week's snapshot at once store one, the
// first one's figures are kept, and a store opened later (a restart) reads it.
func TestMetricSnapshotsOncePerWeek(t *testing.T) {
	ctx := context.Background()
	name := storetest.DatabaseName(t)
	a, b := storetest.NewNamed(t, name, nil), storetest.NewNamed(t, name, nil)
	at := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	snap := func(n int) []domain.MetricSnapshot {
		return []domain.MetricSnapshot{
			{ID: domain.MetricSnapshotID("workplace", "2026-12-07"), Portfolio: "workplace", Week: "2026-W50", At: at,
				Lines: []domain.MetricValue{{Key: domain.MetricStrategy, N: n, M: 10}}},
			{ID: domain.MetricSnapshotID("digital", "2026-12-07"), Portfolio: "digital", Week: "2026-W50", At: at},
		}
	}
	var wg sync.WaitGroup
	news := make([]int, 2)
	errs := make([]error, 2)
	for i, st := range []interface {
		InsertMetricSnapshots(context.Context, []domain.MetricSnapshot) (int, error)
	}{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			news[i], errs[i] = st.InsertMetricSnapshots(ctx, snap(i+1))
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("insert: %v, %v", errs[0], errs[1])
	}
	if news[0]+news[1] != 2 {
		t.Fatalf("new snapshots %d + %d, want 2 in all (one per portfolio and week)", news[0], news[1])
	}
	restarted := storetest.NewNamed(t, name, nil)
	got, err := restarted.MetricSnapshots(ctx, []string{"workplace@2026-W50", "digital@2026-W50", "workplace@2026-W49"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("read %d snapshots, want 2 (last week's is absent): %+v", len(got), got)
	}
	w := got["workplace@2026-W50"]
	if len(w.Lines) != 1 || w.Lines[0].N != 1 && w.Lines[0].N != 2 || !w.At.Equal(at) {
		t.Errorf("workplace snapshot %+v", w)
	}
	// Storing again changes nothing.
	if n, err := restarted.InsertMetricSnapshots(ctx, snap(9)); err != nil || n != 0 {
		t.Errorf("again: %d new, %v; want 0", n, err)
	}
	if again, _ := restarted.MetricSnapshots(ctx, []string{"workplace@2026-W50"}); again["workplace@2026-W50"].Lines[0].N == 9 {
		t.Errorf("a later insert replaced the week's snapshot")
	}
}

func TestTollgateActivity(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	open := newRequest("payroll", now.Add(-3*day))
	recent := newRequest("email", now.Add(-20*day))
	old := newRequest("crm", now.Add(-200*day))
	for _, r := range []*domain.TollgateRequest{open, recent, old} {
		if err := st.OpenTollgateRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	decide := func(r *domain.TollgateRequest, at time.Time, o domain.Outcome) {
		if won, _, err := st.DecideTollgate(ctx, domain.TollgateDecision{ID: r.ID, Service: r.Service, Outcome: o, At: at}); err != nil || !won {
			t.Fatalf("decide %s: %v %v", r.ID, won, err)
		}
		if err := st.CloseTollgateRequest(ctx, r, o.Status(), at); err != nil {
			t.Fatal(err)
		}
	}
	decide(recent, now.Add(-16*day), domain.Approved)
	decide(old, now.Add(-150*day), domain.Rejected)
	got, err := st.TollgateActivity(ctx, now.Add(-90*day))
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]domain.TollgateRequest{}
	for _, r := range got {
		byID[r.ID] = r
	}
	if len(got) != 2 {
		t.Fatalf("activity %+v, want the open request and the one decided 16 days ago", got)
	}
	if r := byID[open.ID]; r.Status != domain.RequestOpen || !r.DecidedAt.IsZero() {
		t.Errorf("open request %+v", r)
	}
	if r := byID[recent.ID]; r.Status != domain.RequestApproved || !r.DecidedAt.Equal(now.Add(-16*day)) {
		t.Errorf("decided request %+v", r)
	}
}
