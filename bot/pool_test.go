package bot_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/itspm/itspm/bot"
	"github.com/itspm/itspm/commands"
)

// slowEngine holds "slow" commands until released (or their context ends),
// like a store that stopped answering.
type slowEngine struct {
	*commands.Engine
	started chan struct{}
	release chan struct{}
}

func (s *slowEngine) Handle(ctx context.Context, c commands.Caller, text string) (commands.Reply, error) {
	if text != "slow" {
		return s.Engine.Handle(ctx, c, text)
	}
	s.started <- struct{}{}
	select {
	case <-s.release:
		return commands.Reply{Text: "done slowly"}, nil
	case <-ctx.Done():
		return commands.Reply{}, ctx.Err()
	}
}

func slowEnv(t *testing.T) (*env, *slowEngine) {
	slow := &slowEngine{started: make(chan struct{}, 8), release: make(chan struct{})}
	e := newEnv(t, func(c *envConfig) {
		c.workers = 1
		c.engine = func(en *commands.Engine) bot.Engine { slow.Engine = en; return slow }
	})
	return e, slow
}

func TestAckIsFastWhileWorkIsSlowAndPoolIsBounded(t *testing.T) {
	e, slow := slowEnv(t)
	if got := e.slashCommand("U0LEE", "slow", "slow"); got.status != http.StatusOK || got.body != "" {
		t.Fatalf("first ack = %d %q", got.status, got.body)
	}
	<-slow.started

	// The one worker is taken: every kind of request says so at once.
	busy := e.slashCommand("U0LEE", "owner payroll", "busy")
	if busy.status != http.StatusOK || busy.body != `{"response_type":"ephemeral","text":"itspm is busy right now; please try again in a moment."}` {
		t.Errorf("busy ack = %d %s", busy.status, busy.body)
	}
	if busy.elapsed > time.Second {
		t.Errorf("busy ack took %v", busy.elapsed)
	}
	ev := e.event("EvBUSY", map[string]any{"type": "app_mention", "user": "U0SAM", "text": "<@U0000BOT1> help", "ts": "1764202100.000100", "channel": "C0PAYROLL"})
	if ev.status != http.StatusServiceUnavailable {
		t.Errorf("event while busy: %d, want 503 so that Slack retries", ev.status)
	}
	sub := e.interaction(map[string]any{"type": "view_submission", "user": map[string]any{"id": "U0SAM"}, "trigger_id": nextTrigger(),
		"view": map[string]any{"id": "V1", "callback_id": "tollgate_reject", "private_metadata": "TG-1",
			"state": map[string]any{"values": map[string]any{"reason": map[string]any{"reason": map[string]any{"value": "no"}}}}}})
	if !strings.Contains(sub.body, `"response_action":"errors"`) || !strings.Contains(sub.body, "busy") {
		t.Errorf("submission while busy: %s, want the modal kept open with a busy note", sub.body)
	}
	// A button click while busy gets a notice on its response_url.
	e.interaction(blockActions("U0SAM", "run_command", "help", e.fake.ResponseURL("click")))
	if r := e.responses("click", 1)[0]; !strings.Contains(r.Text, "busy") {
		t.Errorf("click notice = %q", r.Text)
	}

	// The retried event is taken once the worker is free.
	close(slow.release)
	if r := e.responses("slow", 1)[0]; !strings.Contains(r.Text, "done slowly") {
		t.Errorf("slow answer = %q", r.Text)
	}
	// The slot frees just after the answer is delivered; Slack would
	// retry later, the test retries at once until it is taken.
	taken := false
	for range 1000 {
		if e.event("EvBUSY", map[string]any{"type": "app_mention", "user": "U0SAM", "text": "<@U0000BOT1> help", "ts": "1764202100.000100", "channel": "C0PAYROLL"}, "X-Slack-Retry-Num", "1").status == http.StatusOK {
			taken = true
			break
		}
	}
	if !taken {
		t.Fatal("retried event never taken")
	}
	e.shutdown()
	if n := len(e.fake.Messages("C0PAYROLL")); n != 1 {
		t.Errorf("%d answers to the retried mention, want 1", n)
	}
}

func TestShutdownDrainsAcknowledgedWork(t *testing.T) {
	e, slow := slowEnv(t)
	e.slashCommand("U0LEE", "slow", "drain")
	<-slow.started

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		done <- e.bot.Shutdown(ctx)
	}()
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned (%v) while acknowledged work was running", err)
	default:
	}
	close(slow.release)
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	// Shutdown returned only after the answer was delivered.
	if r := e.fake.Responses("drain"); len(r) != 1 || !strings.Contains(r[0].Text, "done slowly") {
		t.Errorf("responses at shutdown = %+v", r)
	}
	// New work is refused politely.
	got := e.slashCommand("U0LEE", "help", "late")
	if !strings.Contains(got.body, "restarting") {
		t.Errorf("command after shutdown: %d %s", got.status, got.body)
	}
}

func TestShutdownGivesUpAtDeadline(t *testing.T) {
	e, slow := slowEnv(t)
	e.slashCommand("U0LEE", "slow", "stuck")
	<-slow.started
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := e.bot.Shutdown(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want a deadline error", err)
	}
	// The cancelled work still told the user something.
	if r := e.responses("stuck", 1)[0]; !strings.Contains(r.Text, "took too long") {
		t.Errorf("cancelled work answered %q", r.Text)
	}
}

// startLog notes when each command's work reached the engine.
type startLog struct {
	*commands.Engine
	at chan time.Time
}

func (s *startLog) Handle(ctx context.Context, c commands.Caller, text string) (commands.Reply, error) {
	s.at <- time.Now()
	return s.Engine.Handle(ctx, c, text)
}

func TestWorkWaitsOutTheHeadStart(t *testing.T) {
	const head = 300 * time.Millisecond
	log := &startLog{at: make(chan time.Time, 1)}
	e := newEnv(t, func(c *envConfig) {
		c.head = head
		c.engine = func(en *commands.Engine) bot.Engine { log.Engine = en; return log }
	})
	sent := time.Now()
	if got := e.slashCommand("U0LEE", "owner payroll", "head"); got.status != http.StatusOK || got.body != "" {
		t.Fatalf("ack = %d %q", got.status, got.body)
	}
	if started := (<-log.at).Sub(sent); started < head {
		t.Errorf("work started %v after the command was sent, before its head start of %v", started, head)
	}
	if text := blocksText(e.responses("head", 1)[0].Blocks); !strings.Contains(text, "Who owns Payroll") {
		t.Errorf("answer after the head start:\n%s", text)
	}
}
