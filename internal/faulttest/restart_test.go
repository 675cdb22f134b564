package faulttest

import (
	"context"
	"testing"
	"time"

	"github.com/itspm/itspm/bot"
	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/internal/fakeslack"
	"github.com/itspm/itspm/jobs"
	"github.com/itspm/itspm/storage/storetest"
)

// TestRestartWithPendingDeliveries: a process runs a job, which enqueues
// its messages, and stops before they are all out: (1) its sender never
// ran (stopped right after the run), (2) Slack failed every post it tried
// (5xx: backing off), (3) Slack rate-limited it with a long Retry-After.
// A new process on the same database (the restart) delivers each message
// exactly once, and the first process's attempts never produce a second
// copy.
func TestRestartWithPendingDeliveries(t *testing.T) {
	const job = jobs.RoadmapReminders
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	occ := jobs.OccurrenceID(job, at)
	tests := []struct {
		name string
		// faults, when set, make Slack fail while the first process's
		// sender tries once (nil: it never runs).
		faults func(fs *fakeslack.Server)
	}{
		{name: "stopped before delivering"},
		{name: "slack failing with 5xx", faults: func(fs *fakeslack.Server) {
			fs.FailNext("chat.postMessage", 100, fakeslack.ServerError{Status: 503})
		}},
		{name: "slack rate limiting", faults: func(fs *fakeslack.Server) {
			fs.FailNext("chat.postMessage", 100, fakeslack.RateLimited{RetryAfter: 2 * time.Minute})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			clk := newClock(at)
			db := storetest.DatabaseName(t)
			fs := newSlack(t)
			newSender := func(st jobs.Store, instance string) *jobs.Sender {
				n := &jobsNotifier{s: bot.NewSender(slackClient(fs.APIURL(), nil), bot.SenderOptions{Logger: quiet(), Pace: -1, Attempts: 1, Sleep: clk.sleep, Now: clk.Now})}
				return jobs.NewSender(jobs.SenderOptions{Store: st, Notifier: n, Instance: instance, Now: clk.Now, After: clk.after, Logger: quiet(), Render: fakeChart})
			}

			// The first process.
			st1 := storetest.NewNamed(t, db, clk.Now)
			loadSample(t, st1)
			s1, err := jobs.New(jobs.Options{Store: st1, Jobs: only(job), Now: clk.Now, Instance: "first", Logger: quiet()})
			if err != nil {
				t.Fatal(err)
			}
			if err := s1.Resume(ctx, at.Add(-time.Minute)); err != nil {
				t.Fatal(err)
			}
			if err := s1.Tick(ctx, at); err != nil {
				t.Fatal(err)
			}
			attempted := 0
			if tc.faults != nil {
				tc.faults(fs)
				sender1 := newSender(st1, "first")
				r, err := sender1.Pass(ctx, "")
				if err != nil {
					t.Fatal(err)
				}
				if r.Pending == 0 {
					t.Fatalf("the first process delivered everything: %+v", r)
				}
				attempted = len(fs.Calls("chat.postMessage"))
			}
			// It stops here (SIGTERM after the run, or killed).
			if err := s1.Stop(ctx); err != nil {
				t.Fatal(err)
			}
			pending, err := st1.Deliveries(ctx, occ+"/", "")
			if err != nil || len(pending) < 3 {
				t.Fatalf("%d deliveries pending (%v); the test needs a few", len(pending), err)
			}
			for _, d := range pending {
				if d.Status != "" && d.Status != domain.DeliveryPending {
					t.Fatalf("%s is %s before the restart", d.ID, d.Status)
				}
			}
			if err := st1.Close(ctx); err != nil {
				t.Fatal(err)
			}
			fs.ClearFaults()

			// The restart: a new process on the same database.
			clk.Add(time.Minute)
			st2 := storetest.NewNamed(t, db, clk.Now)
			s2, err := jobs.New(jobs.Options{Store: st2, Jobs: only(job), Now: clk.Now, Instance: "second", Logger: quiet()})
			if err != nil {
				t.Fatal(err)
			}
			if err := s2.Tick(ctx, clk.Now()); err != nil { // resumes; nothing due, nothing taken over
				t.Fatal(err)
			}
			if err := s2.Stop(ctx); err != nil {
				t.Fatal(err)
			}
			dctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			failed, err := newSender(st2, "second").Drain(dctx, "")
			if err != nil || failed != 0 {
				t.Fatalf("drain after the restart: %d failed, %v", failed, err)
			}
			ds, err := st2.Deliveries(ctx, occ+"/", "")
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range ds {
				if d.Status != domain.DeliveryDelivered || d.Owner != "second" {
					t.Errorf("%s: %s by %q, want delivered by the restarted process", d.ID, d.Status, d.Owner)
				}
				if got := len(fs.Messages(d.Channel)); got != 1 {
					t.Errorf("%s: %d messages in %s, want 1", d.ID, got, d.Channel)
				}
			}
			if len(ds) != len(pending) {
				t.Errorf("%d deliveries after the restart, %d before", len(ds), len(pending))
			}
			runs, _, _ := st2.JobRun(ctx, occ+"#2")
			if runs.ID != "" {
				t.Errorf("the restart re-ran the finished occurrence: %+v", runs)
			}
			t.Logf("FAULT restart with pending deliveries (%s): %d pending at the restart (%d posts tried by the first process, none landed), each delivered once by the restarted process",
				tc.name, len(pending), attempted)
		})
	}
}
