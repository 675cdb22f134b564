package storage_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/storage/storetest"
)

func TestJobRunClaimsAreOnce(t *testing.T) {
	ctx := context.Background()
	name := storetest.DatabaseName(t)
	a, b := storetest.NewNamed(t, name, nil), storetest.NewNamed(t, name, nil)
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	run := domain.JobRun{ID: "continuity-tests@2026-11-27T09:00:00Z", Job: "continuity-tests", At: at, Status: domain.JobRunning}

	// Ten concurrent claimers on two replicas: exactly one wins.
	var mu sync.Mutex
	wins := 0
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		st := a
		if i%2 == 1 {
			st = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			won, err := st.ClaimJobRun(ctx, run)
			if err != nil {
				t.Error(err)
			}
			if won {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d claims won, want 1", wins)
	}

	run.Status, run.FinishedAt, run.Messages = domain.JobOK, at.Add(time.Second), 3
	if err := b.FinishJobRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	got, ok, err := a.JobRun(ctx, run.ID)
	if err != nil || !ok || got.Status != domain.JobOK || got.Messages != 3 {
		t.Errorf("JobRun = %+v, %v, %v", got, ok, err)
	}

	// Missed records: duplicates (the claimed one) are ignored.
	missed := []domain.JobRun{
		{ID: run.ID, Job: run.Job, At: at, Status: domain.JobMissed},
		{ID: "continuity-tests@2026-11-26T09:00:00Z", Job: run.Job, At: at.Add(-24 * time.Hour), Status: domain.JobMissed},
	}
	n, err := a.RecordJobRuns(ctx, missed)
	if err != nil || n != 1 {
		t.Errorf("RecordJobRuns = %d, %v; want 1 new", n, err)
	}
}

func TestLatestJobRuns(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	for _, r := range []domain.JobRun{
		{ID: "roadmap-reminders@2026-11-25T09:00:00Z", Job: "roadmap-reminders", At: at("2026-11-25T09:00:00Z"), Status: domain.JobOK},
		{ID: "roadmap-reminders@2026-11-26T09:00:00Z", Job: "roadmap-reminders", At: at("2026-11-26T09:00:00Z"), Status: domain.JobMissed},
		{ID: "roadmap-reminders@2027-01-01T00:00:00Z", Job: "roadmap-reminders", At: at("2027-01-01T00:00:00Z"), Status: domain.JobOK, Manual: true},
		{ID: "roadmap@2026-12-31T09:00:00Z", Job: "roadmap", At: at("2026-12-31T09:00:00Z"), Status: domain.JobOK},
		{ID: "continuity-tests@2026-11-27T09:00:00Z", Job: "continuity-tests", At: at("2026-11-27T09:00:00Z"), Status: domain.JobRunning},
		{ID: "continuity-tests@2026-11-27T09:00:00Z#2", Job: "continuity-tests", At: at("2026-11-27T09:00:00Z"), Attempt: 2, Status: domain.JobOK},
	} {
		if _, err := st.ClaimJobRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	jobs := []string{"roadmap-reminders", "continuity-tests", "tollgate-reminders"}
	got, err := st.LatestJobRuns(ctx, jobs, false)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for k, v := range got {
		ids[k] = v.ID
	}
	want := map[string]string{
		"roadmap-reminders": "roadmap-reminders@2026-11-26T09:00:00Z", // manual run ignored, "roadmap" job not mixed in
		"continuity-tests":  "continuity-tests@2026-11-27T09:00:00Z#2",
	}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("latest scheduled (-want +got):\n%s", diff)
	}
	got, err = st.LatestJobRuns(ctx, jobs, true)
	if err != nil {
		t.Fatal(err)
	}
	if id := got["roadmap-reminders"].ID; id != "roadmap-reminders@2027-01-01T00:00:00Z" {
		t.Errorf("latest including manual = %s", id)
	}
}

func TestOutbox(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	occ := "continuity-tests@2026-11-27T09:00:00Z"
	d := func(to string) domain.Delivery {
		return domain.Delivery{ID: occ + "/" + to, Job: "continuity-tests", Occurrence: occ, To: to, Payload: []byte(`{"reply":{}}`),
			Status: domain.DeliveryPending, CreatedAt: now, NotBefore: now}
	}
	batch := func(id string, ds ...domain.Delivery) domain.OutboxBatch {
		b := domain.OutboxBatch{ID: id, Job: "continuity-tests", CreatedAt: now}
		for _, d := range ds {
			b.IDs = append(b.IDs, d.ID)
		}
		return b
	}
	first := []domain.Delivery{d("U0LEE"), d("U0SAM")}
	if n, err := st.EnqueueDeliveries(ctx, batch(occ, first...), first); err != nil || n != 2 {
		t.Fatalf("EnqueueDeliveries = %d, %v", n, err)
	}
	// A takeover enqueues the same occurrence again: only the new one is added.
	again := []domain.Delivery{d("U0LEE"), d("U0SAM"), d("U0DANA")}
	if n, err := st.EnqueueDeliveries(ctx, batch(occ+"#2", again...), again); err != nil || n != 1 {
		t.Fatalf("re-enqueue = %d, %v; want 1 new", n, err)
	}
	bs, err := st.OutboxBatches(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 2 || bs[0].ID != occ || len(bs[1].IDs) != 3 {
		t.Fatalf("batches %+v", bs)
	}

	got, ok, err := st.Delivery(ctx, occ+"/U0LEE")
	if err != nil || !ok || string(got.Payload) != `{"reply":{}}` || got.Status != domain.DeliveryPending {
		t.Fatalf("Delivery = %+v, %v, %v", got, ok, err)
	}
	if _, ok, err := st.Delivery(ctx, occ+"/U0NOBODY"); ok || err != nil {
		t.Errorf("missing delivery found: %v %v", ok, err)
	}

	// Leases: one winner per attempt.
	l := domain.DeliveryLease{ID: got.ID + "#attempt-1", Delivery: got.ID, Attempt: 1, Owner: "a", At: now, Until: now.Add(time.Minute)}
	if won, err := st.ClaimDelivery(ctx, l); err != nil || !won {
		t.Fatalf("first claim = %v, %v", won, err)
	}
	l.Owner = "b"
	if won, err := st.ClaimDelivery(ctx, l); err != nil || won {
		t.Fatalf("second claim = %v, %v; want lost", won, err)
	}

	got.Status, got.Attempts, got.DeliveredAt, got.Posted, got.Channel, got.TS = domain.DeliveryDelivered, 1, now, true, "D0LEE", "1.000001"
	if err := st.UpdateDelivery(ctx, got); err != nil {
		t.Fatal(err)
	}
	after, _, _ := st.Delivery(ctx, got.ID)
	after.Payload = nil
	got.Payload = nil
	if diff := cmp.Diff(got, after); diff != "" {
		t.Errorf("after update (-want +got):\n%s", diff)
	}
	all, err := st.Deliveries(ctx, "continuity-tests@", domain.DeliveryPending)
	if err != nil || len(all) != 2 || all[0].Payload != nil {
		t.Errorf("Deliveries = %+v, %v", all, err)
	}

	if err := st.CloseOutboxBatch(ctx, occ); err != nil {
		t.Fatal(err)
	}
	if bs, _ := st.OutboxBatches(ctx); len(bs) != 1 || bs[0].ID != occ+"#2" {
		t.Errorf("batches after close: %+v", bs)
	}
}

func TestPruneJobRecords(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	old := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	recent := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	for _, at := range []time.Time{old, recent} {
		id := "roadmap-reminders@" + at.Format(time.RFC3339)
		if _, err := st.ClaimJobRun(ctx, domain.JobRun{ID: id, Job: "roadmap-reminders", At: at, Status: domain.JobOK}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.EnqueueDeliveries(ctx, domain.OutboxBatch{ID: id, IDs: []string{id + "/U0LEE"}, CreatedAt: at},
			[]domain.Delivery{{ID: id + "/U0LEE", Job: "roadmap-reminders", Occurrence: id, To: "U0LEE",
				Status: domain.DeliveryDelivered, CreatedAt: at, NotBefore: at}}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.ClaimDelivery(ctx, domain.DeliveryLease{ID: id + "/U0LEE#attempt-1", Delivery: id + "/U0LEE", Attempt: 1, At: at, Until: at}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := st.PruneJobRecords(ctx, []string{"roadmap-reminders", "other"}, time.Date(2026, 10, 28, 0, 0, 0, 0, time.UTC))
	if err != nil || n != 4 {
		t.Fatalf("PruneJobRecords = %d, %v; want 4 removed", n, err)
	}
	if _, ok, _ := st.JobRun(ctx, "roadmap-reminders@"+recent.Format(time.RFC3339)); !ok {
		t.Error("recent run pruned")
	}
	if ds, _ := st.Deliveries(ctx, "", ""); len(ds) != 1 {
		t.Errorf("%d deliveries left, want 1", len(ds))
	}
}
