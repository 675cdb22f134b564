package main

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/itspm/itspm/bot"
	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/internal/fakeslack"
	"github.com/itspm/itspm/jobs"
	"github.com/itspm/itspm/storage/storetest"
)

// testClock is a clock that sleeping advances.
type testClock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	c.sleeps = append(c.sleeps, d)
	return nil
}

func (c *testClock) after(d time.Duration) <-chan time.Time {
	_ = c.sleep(context.Background(), d)
	ch := make(chan time.Time, 1)
	ch <- c.now()
	return ch
}

// TestOutboxRateLimitStormThroughSlack drives the outbox through the bot's
// Slack sender against the fake Slack answering 429 to a dozen posts: the
// bot retries once after Retry-After, then hands the rate limit to the
// outbox, which waits and tries again; every message lands exactly once.
func TestOutboxRateLimitStormThroughSlack(t *testing.T) {
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	fs := fakeslack.New()
	defer fs.Close()
	const retryAfter = 3 * time.Second
	fs.FailNext("chat.postMessage", 12, fakeslack.RateLimited{RetryAfter: retryAfter})
	clk := &testClock{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	bs := bot.NewSender(bot.NewClient("xoxb-test", "", fs.APIURL()), bot.SenderOptions{Logger: quiet, Attempts: 2, Now: clk.now, Sleep: clk.sleep})

	st := storetest.New(t)
	channels := []string{"C0S1", "C0S2", "C0S3", "C0S4", "C0S5", "C0S6"}
	storm := jobs.Job{Name: "storm", Schedule: "0 9 * * *", Collect: func(_ context.Context, _ jobs.Source, occ jobs.Occurrence) ([]jobs.Message, error) {
		var out []jobs.Message
		for _, ch := range channels {
			out = append(out, jobs.Message{To: ch, Reply: commands.Reply{Title: "Reminder for " + ch, Text: occ.ID()}})
		}
		return out, nil
	}}
	s, err := jobs.New(jobs.Options{Store: st, Jobs: []jobs.Job{storm}, Now: clk.now, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.RunNow(ctx, "storm", clk.now())
	if err != nil || res.Enqueued != len(channels) {
		t.Fatalf("run: %+v, %v", res, err)
	}
	sender := jobs.NewSender(jobs.SenderOptions{Store: st, Notifier: slackNotifier{bs}, Now: clk.now, After: clk.after, Logger: quiet})
	if failed, err := sender.Drain(ctx, res.Occurrence); err != nil || failed != 0 {
		t.Fatalf("drain: %d failed, %v", failed, err)
	}
	for _, ch := range channels {
		if msgs := fs.Messages(ch); len(msgs) != 1 {
			t.Errorf("%s has %d messages, want 1", ch, len(msgs))
		}
	}
	calls := fs.Calls("chat.postMessage")
	faulted := 0
	for _, c := range calls {
		if c.Faulted {
			faulted++
		}
	}
	if faulted != 12 || len(calls) != 12+len(channels) {
		t.Errorf("%d postMessage calls (%d rate limited), want %d (12)", len(calls), faulted, 12+len(channels))
	}
	retried := 0
	for _, ch := range channels {
		d, _, err := st.Delivery(ctx, domain.DeliveryID(res.Occurrence, ch))
		if err != nil || d.Status != domain.DeliveryDelivered || d.Failures != 0 {
			t.Errorf("%s: %+v, %v", ch, d, err)
		}
		if d.Attempts > 1 {
			retried++
		}
	}
	if retried == 0 {
		t.Error("no message needed an outbox retry: the storm did not reach the outbox")
	}
	long := 0
	for _, d := range clk.sleeps {
		if d >= retryAfter {
			long++
		}
	}
	if long == 0 {
		t.Errorf("never waited Retry-After: sleeps %v", clk.sleeps)
	}
	t.Logf("%d outbox retries, simulated time %v", retried, clk.now().Sub(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)))
}
