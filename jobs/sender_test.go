package jobs

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/storage/storetest"
)

// enqueue puts msgs in the outbox as job's occurrence at at would.
func enqueue(t *testing.T, st Store, c *clock, job string, at time.Time, msgs ...Message) string {
	t.Helper()
	s, err := New(Options{Store: st, Jobs: []Job{}, Now: c.Now, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	occ := s.occurrence(job, at)
	n, _, err := s.enqueue(context.Background(), occ, occ.ID(), msgs)
	if err != nil || n != len(msgs) {
		t.Fatalf("enqueue = %d, %v", n, err)
	}
	return occ.ID()
}

func msg(to, title string) Message { return Message{To: to, Reply: commands.Reply{Title: title}} }

// TestRateLimitStorm: every recipient answers 429 to its first three
// calls; all messages arrive once, no call comes before the Retry-After
// has passed, and posts to one recipient stay a second apart.
func TestRateLimitStorm(t *testing.T) {
	st := storetest.New(t)
	c := newClock(utc("2026-11-27T09:00:00Z"))
	rec := newRecorder(c)
	const retryAfter = 7 * time.Second
	rec.fail = func(method, to string, n int) error {
		if n <= 3 {
			return &RateLimitError{RetryAfter: retryAfter}
		}
		return nil
	}
	want := map[string]int{}
	for occ := 0; occ < 3; occ++ {
		var msgs []Message
		for r := 0; r < 6; r++ {
			to := fmt.Sprintf("U0R%d", r)
			title := fmt.Sprintf("occurrence %d for %s", occ, to)
			msgs = append(msgs, msg(to, title))
			want[to+" "+title] = 1
		}
		enqueue(t, st, c, "storm", utc("2026-11-27T09:00:00Z").Add(time.Duration(occ)*time.Hour), msgs...)
	}
	s := NewSender(SenderOptions{Store: st, Notifier: rec, Now: c.Now, After: never, Logger: quietLogger(), Interval: time.Second})
	drain(t, c, s)
	if diff := cmp.Diff(want, rec.posted()); diff != "" {
		t.Errorf("posts (-want +got):\n%s", diff)
	}
	// Pacing per recipient: after a 429 wait Retry-After, after a post wait
	// the interval.
	last := map[string]call{}
	limited := 0
	for _, cl := range rec.all() {
		if cl.Err != nil {
			limited++
		}
		if p, ok := last[cl.To]; ok {
			gap := cl.At.Sub(p.At)
			min := time.Second
			if p.Err != nil {
				min = retryAfter
			}
			if gap < min {
				t.Errorf("%s: call at %v only %v after the previous (err %v), want ≥ %v", cl.To, cl.At.Format(time.TimeOnly), gap, p.Err, min)
			}
		}
		last[cl.To] = cl
	}
	if limited != 18 {
		t.Errorf("%d rate-limited calls, want 18", limited)
	}
	ds, err := st.Deliveries(context.Background(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Status != domain.DeliveryDelivered || d.Failures != 0 {
			t.Errorf("%s: status %s, failures %d (rate limits are not failures)", d.ID, d.Status, d.Failures)
		}
	}
}

// TestSenderKilledAfterClaim: a sender dies right after claiming a
// delivery; another replica delivers it once the lease expires, once.
func TestSenderKilledAfterClaim(t *testing.T) {
	ctx := context.Background()
	db := storetest.DatabaseName(t)
	c := newClock(utc("2026-11-27T09:00:00Z"))
	stA, stB := storetest.NewNamed(t, db, c.Now), storetest.NewNamed(t, db, c.Now)
	occ := enqueue(t, stA, c, "continuity-tests", c.Now(), msg("U0LEE", "DR test due"))
	rec := newRecorder(c)
	a := NewSender(SenderOptions{Store: stA, Notifier: rec, Instance: "a", Now: c.Now, After: never, Logger: quietLogger()})
	a.afterClaim = func(domain.Delivery) bool { return false } // dies here
	b := NewSender(SenderOptions{Store: stB, Notifier: rec, Instance: "b", Now: c.Now, After: never, Logger: quietLogger()})

	if _, err := a.Pass(ctx, ""); err != nil {
		t.Fatal(err)
	}
	res, err := b.Pass(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.all()) != 0 || res.Pending != 1 || !res.Next.Equal(c.Now().Add(2*time.Minute)) {
		t.Fatalf("while a's lease holds: calls %v, pass %+v", rec.all(), res)
	}
	c.Add(2*time.Minute + time.Second)
	if res, err = b.Pass(ctx, ""); err != nil || res.Pending != 0 {
		t.Fatalf("after the lease: %+v, %v", res, err)
	}
	if diff := cmp.Diff(map[string]int{"U0LEE DR test due": 1}, rec.posted()); diff != "" {
		t.Errorf("posts (-want +got):\n%s", diff)
	}
	d, _, _ := stA.Delivery(ctx, occ+"/U0LEE")
	if d.Status != domain.DeliveryDelivered || d.Attempts != 2 || d.Owner != "b" {
		t.Errorf("record %+v, want delivered by b on attempt 2", d)
	}
	if bs, _ := stA.OutboxBatches(ctx); len(bs) != 0 {
		t.Errorf("batch not closed: %+v", bs)
	}
}

// TestDeliveryFailures: transient errors back off and retry, permanent ones
// fail at once, repeated failures fail for good; the batch stays visible.
func TestDeliveryFailures(t *testing.T) {
	tests := []struct {
		name      string
		fail      func(n int) error
		status    string
		attempts  int
		wantPosts int
		gaps      []time.Duration // between successive calls
	}{
		{"transient then success", func(n int) error {
			if n <= 2 {
				return errors.New("connection reset")
			}
			return nil
		}, domain.DeliveryDelivered, 3, 1, []time.Duration{30 * time.Second, 60 * time.Second}},
		{"permanent", func(int) error { return &PermanentError{Err: errors.New("channel_not_found")} }, domain.DeliveryFailed, 1, 0, nil},
		{"always failing", func(int) error { return errors.New("500 Internal Server Error") }, domain.DeliveryFailed, 5, 0,
			[]time.Duration{30 * time.Second, 60 * time.Second, 120 * time.Second, 240 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			st := storetest.New(t)
			c := newClock(utc("2026-11-27T09:00:00Z"))
			occ := enqueue(t, st, c, "roadmap-reminders", c.Now(), msg("U0LEE", "Roadmap items due"))
			rec := newRecorder(c)
			rec.fail = func(_, _ string, n int) error { return tt.fail(n) }
			s := NewSender(SenderOptions{Store: st, Notifier: rec, Now: c.Now, After: never, Logger: quietLogger()})
			for i := 0; i < 600; i++ {
				res, err := s.Pass(ctx, "")
				if err != nil {
					t.Fatal(err)
				}
				if res.Pending == 0 {
					break
				}
				c.Add(time.Second)
			}
			d, _, _ := st.Delivery(ctx, occ+"/U0LEE")
			if d.Status != tt.status || d.Attempts != tt.attempts {
				t.Errorf("record status %s after %d attempts, want %s after %d", d.Status, d.Attempts, tt.status, tt.attempts)
			}
			if n := len(rec.posted()); n != tt.wantPosts {
				t.Errorf("%d posts, want %d", n, tt.wantPosts)
			}
			calls := rec.all()
			var gaps []time.Duration
			for i := 1; i < len(calls); i++ {
				gaps = append(gaps, calls[i].At.Sub(calls[i-1].At).Truncate(30*time.Second))
			}
			if diff := cmp.Diff(tt.gaps, gaps); diff != "" {
				t.Errorf("backoff (-want +got):\n%s", diff)
			}
			// A failed delivery keeps its batch (visible in `jobs list`) until
			// the janitor removes it.
			bs, _ := st.OutboxBatches(ctx)
			if (tt.status == domain.DeliveryFailed) != (len(bs) == 1) {
				t.Errorf("batches %+v with status %s", bs, tt.status)
			}
		})
	}
}

// TestChartUploadResumes: when the chart upload fails, the retry uploads
// it without posting the summary again.
func TestChartUploadResumes(t *testing.T) {
	st := storetest.New(t)
	c := newClock(utc("2026-11-30T14:00:00Z"))
	chart := Chart{Filename: "payroll-review.png", Title: "Payroll", KPI: &KPISeries{Name: "availability", Target: 99.9, Months: []string{"2026-09"}, Values: []float64{99.95}}}
	enqueue(t, st, c, "performance-reviews", c.Now(), Message{To: "C0PAYROLL", Reply: commands.Reply{Title: "Performance review due: Payroll"}, Charts: []Chart{chart}})
	rec := newRecorder(c)
	rec.fail = func(method, _ string, n int) error {
		if method == "upload" && n == 1 {
			return errors.New("upload timed out")
		}
		return nil
	}
	var rendered int
	s := NewSender(SenderOptions{Store: st, Notifier: rec, Now: c.Now, After: never, Logger: quietLogger(),
		Render: func(c Chart) ([]byte, error) { rendered++; return RenderChart(c) }})
	drain(t, c, s)
	var got []string
	for _, cl := range rec.all() {
		got = append(got, fmt.Sprintf("%s %s %s ok=%v", cl.Method, cl.To, cl.Title, cl.Err == nil))
	}
	want := []string{
		"post C0PAYROLL Performance review due: Payroll ok=true",
		"upload C0PAYROLL payroll-review.png ok=false",
		"upload C0PAYROLL payroll-review.png ok=true",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if rendered != 2 {
		t.Errorf("rendered %d times", rendered)
	}
}

// TestDrainDeliversOneOccurrence: Drain (used by `itspm jobs run`) delivers
// its occurrence's messages and leaves others to the running bot.
func TestDrainDeliversOneOccurrence(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	c := newClock(utc("2026-11-27T09:00:00Z"))
	mine := enqueue(t, st, c, "continuity-tests", c.Now(), msg("U0LEE", "mine"), msg("U0SAM", "mine"))
	enqueue(t, st, c, "roadmap-reminders", c.Now(), msg("U0LEE", "other"))
	rec := newRecorder(c)
	s := NewSender(SenderOptions{Store: st, Notifier: rec, Now: c.Now, After: func(d time.Duration) <-chan time.Time {
		c.Add(d)
		ch := make(chan time.Time, 1)
		ch <- c.Now()
		return ch
	}, Logger: quietLogger()})
	failed, err := s.Drain(ctx, mine)
	if err != nil || failed != 0 {
		t.Fatalf("Drain = %d, %v", failed, err)
	}
	if diff := cmp.Diff(map[string]int{"U0LEE mine": 1, "U0SAM mine": 1}, rec.posted()); diff != "" {
		t.Errorf("posts (-want +got):\n%s", diff)
	}
}
