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
	d := func(id, job, to string) domain.Delivery {
		return domain.Delivery{ID: id, Job: job, Occurrence: "occ", To: to, Payload: []byte(`{"reply":{}}`),
			Status: domain.DeliveryPending, CreatedAt: now, NotBefore: now}
	}
	batch := []domain.Delivery{
		d("continuity-tests@2026-11-27T09:00:00Z/U0LEE", "continuity-tests", "U0LEE"),
		d("continuity-tests@2026-11-27T09:00:00Z/U0SAM", "continuity-tests", "U0SAM"),
		d("roadmap-reminders@2026-11-27T09:00:00Z/U0LEE", "roadmap-reminders", "U0LEE"),
	}
	n, err := st.EnqueueDeliveries(ctx, batch)
	if err != nil || n != 3 {
		t.Fatalf("EnqueueDeliveries = %d, %v", n, err)
	}
	// Enqueueing the same occurrence again adds only what is new.
	again := append(batch[:2:2], d("continuity-tests@2026-11-27T09:00:00Z/U0DANA", "continuity-tests", "U0DANA"))
	if n, err := st.EnqueueDeliveries(ctx, again); err != nil || n != 1 {
		t.Fatalf("re-enqueue = %d, %v; want 1 new", n, err)
	}

	pending, err := st.PendingDeliveries(ctx, now, "continuity-tests@2026-11-27T09:00:00Z/", 0)
	if err != nil || len(pending) != 3 {
		t.Fatalf("pending for the occurrence = %d, %v", len(pending), err)
	}
	if string(pending[0].Payload) != `{"reply":{}}` {
		t.Errorf("payload %q", pending[0].Payload)
	}

	// Leases: one winner per attempt.
	l := domain.DeliveryLease{ID: pending[0].ID + "#attempt-1", Delivery: pending[0].ID, Attempt: 1, Owner: "a", At: now, Until: now.Add(time.Minute)}
	if won, err := st.ClaimDelivery(ctx, l); err != nil || !won {
		t.Fatalf("first claim = %v, %v", won, err)
	}
	l.Owner = "b"
	if won, err := st.ClaimDelivery(ctx, l); err != nil || won {
		t.Fatalf("second claim = %v, %v; want lost", won, err)
	}

	// Delivered and backed-off records are no longer pending at now.
	done := pending[0]
	done.Status, done.Attempts, done.DeliveredAt, done.Posted, done.Channel, done.TS = domain.DeliveryDelivered, 1, now, true, "D0LEE", "1.000001"
	if err := st.UpdateDelivery(ctx, done); err != nil {
		t.Fatal(err)
	}
	later := pending[1]
	later.NotBefore, later.Failures, later.Error = now.Add(time.Minute), 1, "boom"
	if err := st.UpdateDelivery(ctx, later); err != nil {
		t.Fatal(err)
	}
	failed := pending[2]
	failed.Status = domain.DeliveryFailed
	if err := st.UpdateDelivery(ctx, failed); err != nil {
		t.Fatal(err)
	}
	left, err := st.PendingDeliveries(ctx, now, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0].ID != "roadmap-reminders@2026-11-27T09:00:00Z/U0LEE" {
		t.Errorf("pending now = %v", left)
	}
	all, err := st.Deliveries(ctx, "continuity-tests@", "")
	if err != nil || len(all) != 3 || all[0].Payload != nil {
		t.Errorf("Deliveries = %d records (payload %q), %v", len(all), all[0].Payload, err)
	}

	stats, err := st.DeliveryStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]domain.DeliveryStats{
		"continuity-tests":  {Pending: 1, Delivered: 1, Failed: 1},
		"roadmap-reminders": {Pending: 1},
	}
	if diff := cmp.Diff(want, stats); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
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
		if _, err := st.EnqueueDeliveries(ctx, []domain.Delivery{{ID: id + "/U0LEE", Job: "roadmap-reminders", Occurrence: id, To: "U0LEE",
			Status: domain.DeliveryDelivered, CreatedAt: at, NotBefore: at}}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.ClaimDelivery(ctx, domain.DeliveryLease{ID: id + "/U0LEE#attempt-1", Delivery: id + "/U0LEE", Attempt: 1, At: at, Until: at}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := st.PruneJobRecords(ctx, time.Date(2026, 10, 28, 0, 0, 0, 0, time.UTC))
	if err != nil || n != 3 {
		t.Fatalf("PruneJobRecords = %d, %v; want 3 removed", n, err)
	}
	if _, ok, _ := st.JobRun(ctx, "roadmap-reminders@"+recent.Format(time.RFC3339)); !ok {
		t.Error("recent run pruned")
	}
	if ds, _ := st.Deliveries(ctx, "", ""); len(ds) != 1 {
		t.Errorf("%d deliveries left, want 1", len(ds))
	}
}
