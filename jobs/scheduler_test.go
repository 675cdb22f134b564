package jobs

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/storage/storetest"
)

// invocations counts how often each occurrence of synthetic jobs ran.
type invocations struct {
	mu  sync.Mutex
	n   map[string]int       // occurrence ID → runs
	ids map[string][]string  // job → occurrence IDs
	at  map[string]time.Time // occurrence ID → instant
}

func newInvocations() *invocations {
	return &invocations{n: map[string]int{}, ids: map[string][]string{}, at: map[string]time.Time{}}
}

// job returns a synthetic job that records its runs and sends one message.
func (inv *invocations) job(name, spec string) Job {
	return Job{Name: name, Schedule: spec, Collect: func(_ context.Context, _ Source, occ Occurrence) ([]Message, error) {
		inv.mu.Lock()
		defer inv.mu.Unlock()
		id := occ.ID()
		if inv.n[id] == 0 {
			inv.ids[name] = append(inv.ids[name], id)
			inv.at[id] = occ.At
		}
		inv.n[id]++
		return []Message{{To: "U0" + strings.ToUpper(strings.ReplaceAll(name, "-", "")), Reply: commands.Reply{Title: id}}}, nil
	}}
}

// expectedDaily is an independent brute-force statement of the DST rule:
// on each local date whose weekday matches, the first instant whose wall
// clock reads hh:mm, or, when that time does not exist, the first instant
// after it.
func expectedDaily(loc *time.Location, from, to time.Time, hh, mm int, weekdays map[time.Weekday]bool) []time.Time {
	var out []time.Time
	y, m, d := from.In(loc).Date()
	for day := time.Date(y, m, d, 12, 0, 0, 0, time.UTC); ; day = day.AddDate(0, 0, 1) {
		if weekdays != nil && !weekdays[day.Weekday()] {
			continue
		}
		// Scan the local day minute by minute on real instants.
		start := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc).Add(-3 * time.Hour)
		want := day.Format(time.DateOnly) + fmt.Sprintf(" %02d:%02d", hh, mm)
		var hit time.Time
		for t := start; t.Before(start.Add(30 * time.Hour)); t = t.Add(time.Minute) {
			if got := t.In(loc).Format("2006-01-02 15:04"); got >= want {
				hit = t
				break
			}
		}
		if hit.After(to) {
			return out
		}
		if hit.After(from) {
			out = append(out, hit)
		}
	}
}

type simJob struct {
	name, spec string
	hh, mm     int
	weekdays   map[time.Weekday]bool
}

var weekdaysMF = map[time.Weekday]bool{time.Monday: true, time.Tuesday: true, time.Wednesday: true, time.Thursday: true, time.Friday: true}

// TestThreeReplicasNinetyDays runs three scheduler+sender instances on one
// database over 90 simulated days that include clock changes, ticking
// them concurrently at jittered times: every occurrence runs exactly once
// (at the instant the DST rule says) and every message is posted once.
// Under the race detector it simulates the 30 days around the change.
func TestThreeReplicasNinetyDays(t *testing.T) {
	if testing.Short() {
		t.Skip("simulation")
	}
	// The default daily and weekday times, and a time the clock changes
	// skip or repeat (01:30 repeats in New York's fall back, does not exist
	// in London's spring forward). Other specs are covered by the Schedule
	// tests; each job here costs store round trips every simulated day.
	sim := []simJob{
		{"daily-nine", "0 9 * * *", 9, 0, nil},
		{"dst-hour", "30 1 * * *", 1, 30, nil},
		{"weekdays-ten", "0 10 * * MON-FRI", 10, 0, weekdaysMF},
	}
	cases := []struct {
		zone          string
		start, around string // 90 days from start; under -race, 30 days from around
	}{
		{"America/New_York", "2026-09-15T12:00:00Z", "2026-10-15T12:00:00Z"}, // falls back 2026-11-01
		{"Europe/London", "2027-02-01T12:00:00Z", "2027-03-15T12:00:00Z"},    // springs forward 2027-03-28
	}
	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.zone, "/", "_"), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			loc := mustLoc(t, tc.zone)
			start, days := utc(tc.start), 90
			if raceEnabled {
				start, days = utc(tc.around), 30
			}
			end := start.Add(time.Duration(days) * 24 * time.Hour)
			c := newClock(start)
			inv := newInvocations()
			var jobs []Job
			var scheds []*Schedule
			for _, j := range sim {
				jobs = append(jobs, inv.job(j.name, j.spec))
				s, err := ParseSchedule(j.spec, loc)
				if err != nil {
					t.Fatal(err)
				}
				scheds = append(scheds, s)
			}
			db := storetest.DatabaseName(t)
			rec := newRecorder(c)
			var schedulers []*Scheduler
			var senders []*Sender
			var stores []Store
			for i := 0; i < 3; i++ {
				st := newCounting(storetest.NewNamed(t, db, c.Now))
				stores = append(stores, st)
				defer func() { t.Logf("replica %d store calls: %v", i, st.calls) }()
				inst := fmt.Sprintf("replica-%d", i)
				// The janitor runs monthly here: daily it would add a step a day.
				s, err := New(Options{Store: st, Location: loc, Jobs: jobs, Instance: inst, Now: c.Now, After: never, Logger: quietLogger(),
					JanitorSchedule: "0 4 1 * *"})
				if err != nil {
					t.Fatal(err)
				}
				schedulers = append(schedulers, s)
				senders = append(senders, NewSender(SenderOptions{Store: st, Notifier: rec, Instance: inst, Now: c.Now, After: never, Logger: quietLogger()}))
			}
			rng := rand.New(rand.NewPCG(1, 2))
			// The instances start together; nothing ran before.
			for now := start; now.Before(end); {
				c.Set(now)
				var wg sync.WaitGroup
				for _, i := range rng.Perm(3) {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if err := schedulers[i].Tick(ctx, now); err != nil {
							t.Error(err)
						}
					}()
				}
				wg.Wait()
				drain(t, c, senders...)
				// Next wake-up: the earliest next occurrence, plus up to 90 s of
				// scheduling latency.
				next := end
				for _, s := range scheds {
					if n := s.Next(c.Now()); n.Before(next) {
						next = n
					}
				}
				now = maxTime(next.Add(time.Duration(rng.IntN(90))*time.Second), c.Now().Add(time.Second))
			}

			total := 0
			for _, j := range sim {
				want := expectedDaily(loc, start, end, j.hh, j.mm, j.weekdays)
				var got []time.Time
				for _, id := range inv.ids[j.name] {
					got = append(got, inv.at[id])
					if n := inv.n[id]; n != 1 {
						t.Errorf("%s ran %d times", id, n)
					}
				}
				sort.Slice(got, func(a, b int) bool { return got[a].Before(got[b]) })
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s occurrences (-want +got):\n%s", j.name, diff)
				}
				total += len(got)
			}
			posted := rec.posted()
			for key, n := range posted {
				if n != 1 {
					t.Errorf("%s posted %d times", key, n)
				}
			}
			if len(posted) != total {
				t.Errorf("%d distinct messages posted, want %d (one per occurrence)", len(posted), total)
			}
			t.Logf("%s: %d occurrences, %d posts", tc.zone, total, len(posted))
		})
	}
}

// TestDowntimeCatchUp: after three days down, the latest missed occurrence
// runs once if it is inside the catch-up window; older ones are recorded
// as missed.
func TestDowntimeCatchUp(t *testing.T) {
	tests := []struct {
		name      string
		restart   string
		wantRun   []string // occurrence IDs run after the restart
		wantMiss  []string
		caughtUp  string
		laterTick string // a tick after the restart
	}{
		{
			name:     "restart after the day's run time",
			restart:  "2026-11-27T10:00:00Z",
			wantRun:  []string{"daily@2026-11-27T09:00:00Z"},
			wantMiss: []string{"daily@2026-11-25T09:00:00Z", "daily@2026-11-26T09:00:00Z"},
			caughtUp: "daily@2026-11-27T09:00:00Z",
		},
		{
			name:      "restart before the day's run time",
			restart:   "2026-11-27T08:00:00Z",
			wantRun:   []string{"daily@2026-11-26T09:00:00Z", "daily@2026-11-27T09:00:00Z"},
			wantMiss:  []string{"daily@2026-11-25T09:00:00Z"},
			caughtUp:  "daily@2026-11-26T09:00:00Z",
			laterTick: "2026-11-27T09:00:05Z",
		},
		{
			name:     "restart past the catch-up window of every missed run",
			restart:  "2026-11-28T09:30:00Z",
			wantRun:  []string{"daily@2026-11-28T09:00:00Z"},
			wantMiss: []string{"daily@2026-11-25T09:00:00Z", "daily@2026-11-26T09:00:00Z", "daily@2026-11-27T09:00:00Z"},
			caughtUp: "daily@2026-11-28T09:00:00Z",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db := storetest.DatabaseName(t)
			c := newClock(utc("2026-11-24T08:00:00Z"))
			inv := newInvocations()
			jobs := []Job{inv.job("daily", "0 9 * * *")}
			st := storetest.NewNamed(t, db, c.Now)
			first, err := New(Options{Store: st, Jobs: jobs, Instance: "before", Now: c.Now, Logger: quietLogger()})
			if err != nil {
				t.Fatal(err)
			}
			for _, at := range []string{"2026-11-24T08:00:00Z", "2026-11-24T09:00:01Z"} {
				if err := first.Tick(ctx, utc(at)); err != nil {
					t.Fatal(err)
				}
			}
			// Down from 2026-11-24T09:00 for three days; a new process starts.
			c.Set(utc(tt.restart))
			st2 := storetest.NewNamed(t, db, c.Now)
			second, err := New(Options{Store: st2, Jobs: jobs, Instance: "after", Now: c.Now, Logger: quietLogger()})
			if err != nil {
				t.Fatal(err)
			}
			if err := second.Tick(ctx, c.Now()); err != nil {
				t.Fatal(err)
			}
			if tt.laterTick != "" {
				c.Set(utc(tt.laterTick))
				if err := second.Tick(ctx, c.Now()); err != nil {
					t.Fatal(err)
				}
			}
			if diff := cmp.Diff(append([]string{"daily@2026-11-24T09:00:00Z"}, tt.wantRun...), inv.ids["daily"]); diff != "" {
				t.Errorf("runs (-want +got):\n%s", diff)
			}
			for id, n := range inv.n {
				if n != 1 {
					t.Errorf("%s ran %d times", id, n)
				}
			}
			for _, id := range tt.wantMiss {
				r, ok, err := st.JobRun(ctx, id)
				if err != nil || !ok || r.Status != domain.JobMissed {
					t.Errorf("%s: %+v %v %v, want a missed record", id, r, ok, err)
				}
			}
			if tt.caughtUp != "" {
				r, _, _ := st.JobRun(ctx, tt.caughtUp)
				if !r.CaughtUp || r.Status != domain.JobOK || r.Instance != "after" {
					t.Errorf("catch-up record %+v", r)
				}
			}
		})
	}
}

// TestJobFailuresAreRecordedAndContained: a panicking or failing job is
// recorded with its error and does not stop other jobs or later runs.
func TestJobFailuresAreRecordedAndContained(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	c := newClock(utc("2026-11-27T08:59:00Z"))
	calls := map[string]int{}
	var mu sync.Mutex
	flaky := func(name string, fail func() ([]Message, error)) Job {
		return Job{Name: name, Schedule: "0 9 * * *", Collect: func(context.Context, Source, Occurrence) ([]Message, error) {
			mu.Lock()
			calls[name]++
			n := calls[name]
			mu.Unlock()
			if n == 1 {
				return fail()
			}
			return []Message{{To: "U0X", Reply: commands.Reply{Title: name}}}, nil
		}}
	}
	jobs := []Job{
		flaky("panics", func() ([]Message, error) { panic("boom") }),
		flaky("errors", func() ([]Message, error) { return nil, errors.New("catalog on fire") }),
		flaky("fine", func() ([]Message, error) { return nil, nil }),
	}
	s, err := New(Options{Store: st, Jobs: jobs, Now: c.Now, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []string{"2026-11-27T08:59:00Z", "2026-11-27T09:00:00Z", "2026-11-28T09:00:00Z"} {
		c.Set(utc(at))
		if err := s.Tick(ctx, c.Now()); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]struct{ status, err string }{
		"panics@2026-11-27T09:00:00Z": {domain.JobPanic, "panic: boom"},
		"errors@2026-11-27T09:00:00Z": {domain.JobError, "catalog on fire"},
		"fine@2026-11-27T09:00:00Z":   {domain.JobOK, ""},
		"panics@2026-11-28T09:00:00Z": {domain.JobOK, ""},
		"errors@2026-11-28T09:00:00Z": {domain.JobOK, ""},
	}
	for id, w := range want {
		r, ok, err := st.JobRun(ctx, id)
		if err != nil || !ok || r.Status != w.status || r.Error != w.err {
			t.Errorf("%s = %+v (found %v, %v), want status %s error %q", id, r, ok, err, w.status, w.err)
		}
	}
}

// TestStopWaitsForRunningJobs: Stop lets a running occurrence finish, up
// to the deadline; past it, the job's context is cancelled.
func TestStopWaitsForRunningJobs(t *testing.T) {
	for _, tt := range []struct {
		name     string
		finish   bool // the job finishes on its own before the deadline
		wantErr  bool
		wantStat string
	}{
		{"finishes in time", true, false, domain.JobOK},
		{"deadline passes", false, true, domain.JobError},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			st := storetest.New(t)
			c := newClock(utc("2026-11-27T09:00:30Z"))
			started := make(chan struct{})
			release := make(chan struct{})
			job := Job{Name: "slow", Schedule: "0 9 * * *", Collect: func(ctx context.Context, _ Source, _ Occurrence) ([]Message, error) {
				close(started)
				select {
				case <-release:
					return nil, nil
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}}
			// The previous occurrence ran, so today's is due at start-up.
			if _, err := st.ClaimJobRun(ctx, domain.JobRun{ID: "slow@2026-11-26T09:00:00Z", Job: "slow", At: utc("2026-11-26T09:00:00Z"), Status: domain.JobOK}); err != nil {
				t.Fatal(err)
			}
			s, err := New(Options{Store: st, Jobs: []Job{job}, Now: c.Now, After: never, Logger: quietLogger()})
			if err != nil {
				t.Fatal(err)
			}
			s.Start(ctx)
			<-started
			sctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			defer cancel()
			if tt.finish {
				close(release)
			}
			err = s.Stop(sctx)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Stop = %v, want error %v", err, tt.wantErr)
			}
			// The outcome is recorded either way (after a cancelled run, once
			// the job returns).
			deadline := time.Now().Add(5 * time.Second)
			for {
				r, _, _ := st.JobRun(ctx, "slow@2026-11-27T09:00:00Z")
				if r.Status == tt.wantStat {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("record %+v, want status %s", r, tt.wantStat)
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}

func TestInvalidScheduleNamesVariable(t *testing.T) {
	st := storetest.New(t)
	_, err := New(Options{Store: st, Schedules: map[string]string{ContinuityTests: "TZ=", "no-such-job": "0 9 * * *", RoadmapReminders: "0 25 * * *"}})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"ITSPM_SCHEDULE_CONTINUITY_TESTS: ", "ITSPM_SCHEDULE_ROADMAP_REMINDERS: ", "ITSPM_SCHEDULE_NO_SUCH_JOB: no job"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

// TestTakeoverOfAbandonedRun: an occurrence whose claimer died mid-run is
// re-run once at the next start-up; messages it had already enqueued are
// not enqueued twice.
func TestTakeoverOfAbandonedRun(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	c := newClock(utc("2026-11-27T09:30:00Z"))
	inv := newInvocations()
	job := inv.job("daily", "0 9 * * *")
	occ := "daily@2026-11-27T09:00:00Z"
	// The dead process claimed the occurrence at 09:00 and enqueued one message.
	if _, err := st.ClaimJobRun(ctx, domain.JobRun{ID: occ, Job: "daily", At: utc("2026-11-27T09:00:00Z"), Status: domain.JobRunning, StartedAt: utc("2026-11-27T09:00:00Z")}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.EnqueueDeliveries(ctx, domain.OutboxBatch{ID: occ, Job: "daily", IDs: []string{occ + "/U0DAILY"}}, []domain.Delivery{{ID: occ + "/U0DAILY", Job: "daily", Occurrence: occ, To: "U0DAILY",
		Payload: []byte(`{"reply":{"Title":"x"}}`), Status: domain.DeliveryPending, CreatedAt: utc("2026-11-27T09:00:00Z")}}); err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Store: st, Jobs: []Job{job}, Now: c.Now, RunTimeout: 10 * time.Minute, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Tick(ctx, c.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(ctx); err != nil { // waits for the takeover run
		t.Fatal(err)
	}
	r, ok, _ := st.JobRun(ctx, occ+"#2")
	if !ok || r.Status != domain.JobOK || r.Messages != 0 {
		t.Errorf("takeover record %+v (found %v), want ok with no new messages", r, ok)
	}
	if inv.n[occ] != 1 {
		t.Errorf("job ran %d times in the takeover, want 1", inv.n[occ])
	}
}

// TestRunningSchedulerTakesOverAbandonedRun: a replica that is already
// running notices, within a minute of the run timeout, that another
// replica claimed an occurrence and died, and re-runs it once; it does not
// wait for a restart.
func TestRunningSchedulerTakesOverAbandonedRun(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	c := newClock(utc("2026-11-27T08:59:00Z"))
	inv := newInvocations()
	job := inv.job("daily", "0 9 * * *")
	occ := "daily@2026-11-27T09:00:00Z"
	s, err := New(Options{Store: st, Jobs: []Job{job}, Now: c.Now, RunTimeout: 10 * time.Minute, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Stop(ctx) }()
	if err := s.Tick(ctx, c.Now()); err != nil {
		t.Fatal(err)
	}
	// The other replica wins 09:00 and dies while running it.
	if won, err := st.ClaimJobRun(ctx, domain.JobRun{ID: occ, Job: "daily", At: utc("2026-11-27T09:00:00Z"), Status: domain.JobRunning, StartedAt: utc("2026-11-27T09:00:00Z"), Instance: "dead"}); err != nil || !won {
		t.Fatal(won, err)
	}
	for _, at := range []string{"2026-11-27T09:00:01Z", "2026-11-27T09:05:00Z", "2026-11-27T09:10:30Z"} {
		if err := s.Tick(ctx, utc(at)); err != nil {
			t.Fatal(err)
		}
		if inv.n[occ] != 0 {
			t.Fatalf("at %s the job ran %d times; the claimer may still be at it", at, inv.n[occ])
		}
	}
	for _, at := range []string{"2026-11-27T09:11:30Z", "2026-11-27T09:13:00Z", "2026-11-27T09:30:00Z"} {
		if err := s.Tick(ctx, utc(at)); err != nil {
			t.Fatal(err)
		}
	}
	if inv.n[occ] != 1 {
		t.Errorf("the abandoned occurrence ran %d times after the run timeout, want 1", inv.n[occ])
	}
	if r, ok, _ := st.JobRun(ctx, occ+"#2"); !ok || r.Status != domain.JobOK || r.Instance == "dead" {
		t.Errorf("takeover record %+v (found %v), want ok by this replica", r, ok)
	}
}
