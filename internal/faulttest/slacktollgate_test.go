package faulttest

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/itspm/itspm/bot"
	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/internal/fakeslack"
	"github.com/itspm/itspm/storage"
	"github.com/itspm/itspm/storage/storetest"
)

// tgStart is the tollgate tests' clock: 2026-11-27 12:00 UTC.
var tgStart = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

const tgGrace = time.Minute

// requestTollgate opens "tollgate wifi improve" as Marco (wifi's owner;
// the gate is design-authority's, quorum 1) and returns its ID.
func requestTollgate(t *testing.T, e *commands.Engine) (string, commands.Reply) {
	t.Helper()
	r, err := e.Handle(context.Background(), commands.Caller{SlackUser: "U0MARCO", Source: "test"}, "tollgate wifi improve")
	if err != nil || r.Error {
		t.Fatalf("tollgate wifi improve: %v %s", err, commands.PlainText(r))
	}
	return strings.TrimSuffix(r.Title[strings.LastIndex(r.Title, "(")+1:], ")"), r
}

// tollgateOutcome counts what a decided wifi request left behind.
type tollgateOutcome struct {
	Decisions    int // tollgate.decision audit entries
	StageChanges int
	Stage        domain.Stage
	BoardPosts   int // messages in the board's channel
	BoardEdits   int // chat.update versions of the approval message
	DMs          int // messages to the requester
	ChannelLines int // messages in wifi's channel
}

func outcome(t *testing.T, st *storage.Store, fs *fakeslack.Server) tollgateOutcome {
	t.Helper()
	ctx := context.Background()
	var o tollgateOutcome
	h, err := st.History(ctx, "wifi", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range h {
		switch e.Action {
		case "tollgate.decision":
			o.Decisions++
		case "stage.change":
			o.StageChanges++
		}
	}
	snap, err := st.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	o.Stage = snap.Services["wifi"].Stage
	board := fs.Messages("C0BOARD")
	o.BoardPosts = len(board)
	for _, m := range board {
		o.BoardEdits += len(m.History) - 1
	}
	o.DMs = len(fs.Messages(fakeslack.DMChannel("U0MARCO")))
	o.ChannelLines = len(fs.Messages("C0WIFI"))
	return o
}

// TestSlackFaultsTollgateNotifications decides a tollgate while Slack
// fails the decision's notifications: the approval message's update meets
// two 5xx (an idempotent call: the sender retries it), the requester's DM
// a 502 after a 429 on opening the DM (a post is not retried blindly: the
// step stays undone), the service channel's line a timeout without
// reaching Slack. Reconcile, after the grace period, does what is missing
// and nothing else: one decision, one stage change, one update, one DM,
// one line.
func TestSlackFaultsTollgateNotifications(t *testing.T) {
	ctx := context.Background()
	clk, st, fs, hold, r := slackFaultReplica(t)

	// The approval message is rate limited once: the sender waits and
	// posts it.
	fs.FailNext("chat.postMessage", 1, fakeslack.RateLimited{RetryAfter: time.Second})
	id, _ := requestTollgate(t, r.engine)
	if n := len(fs.Messages("C0BOARD")); n != 1 {
		t.Fatalf("%d approval messages, want 1", n)
	}

	fs.FailNext("chat.update", 2, fakeslack.ServerError{Status: 500})
	fs.FailNext("conversations.open", 1, fakeslack.RateLimited{RetryAfter: time.Second})
	fs.FailNext("chat.postMessage", 1, fakeslack.ServerError{Status: 502})
	hold.setHold(func(r *http.Request) bool {
		return strings.HasSuffix(r.URL.Path, "/chat.postMessage") && formValue(r, "channel") == "C0WIFI"
	})
	clk.Add(10 * time.Second)
	v, err := r.engine.Vote(ctx, commands.Caller{SlackUser: "U0LEE", Source: "test"}, id, true, "")
	if err != nil || v.Error {
		t.Fatalf("vote: %v %s", err, commands.PlainText(v))
	}
	hold.setHold(nil)
	during := outcome(t, st, fs)
	want := tollgateOutcome{Decisions: 1, StageChanges: 1, Stage: domain.StageImprove, BoardPosts: 1, BoardEdits: 1, DMs: 0, ChannelLines: 1}
	if during != want {
		t.Errorf("right after the vote: %+v, want %+v", during, want)
	}

	// Within the grace period nothing is retried; after it, once.
	if n, err := r.flow.Reconcile(ctx); err != nil || n != 0 {
		t.Errorf("reconcile within the grace period = %d, %v; want 0", n, err)
	}
	clk.Add(tgGrace + time.Second)
	if n, err := r.flow.Reconcile(ctx); err != nil || n != 1 {
		t.Errorf("reconcile after the grace period = %d, %v; want 1 settled", n, err)
	}
	for range 3 {
		clk.Add(2 * tgGrace)
		if n, err := r.flow.Reconcile(ctx); err != nil || n != 0 {
			t.Errorf("later reconcile = %d, %v; want 0", n, err)
		}
	}
	after := outcome(t, st, fs)
	want.DMs, want.ChannelLines = 1, 2
	if after != want {
		t.Errorf("after reconcile: %+v, want %+v", after, want)
	}
	faulted := hold.held()
	for _, c := range fs.Calls("") {
		if c.Fault != nil {
			faulted++
		}
	}
	t.Logf("FAULT slack 429/5xx/timeout on tollgate notifications: %d calls faulted; right after the vote %+v; after Reconcile %+v: nothing lost, nothing twice",
		faulted, during, after)
}

// TestSlackFaultsTollgateRequest fails the posts of a new request: the
// approval message (503) and the service channel's line (timeout without
// reaching Slack). The requester is told that the board's message is
// missing and how members vote without it; after the grace period
// Reconcile posts both, once; a vote by command then decides the request
// once and the reposted message is updated.
func TestSlackFaultsTollgateRequest(t *testing.T) {
	ctx := context.Background()
	clk, st, fs, hold, r := slackFaultReplica(t)
	fs.FailNext("chat.postMessage", 1, fakeslack.ServerError{Status: 503})
	hold.setHold(func(r *http.Request) bool {
		return strings.HasSuffix(r.URL.Path, "/chat.postMessage") && formValue(r, "channel") == "C0WIFI"
	})
	id, reply := requestTollgate(t, r.engine)
	hold.setHold(nil)
	if text := commands.PlainText(reply); !strings.Contains(text, "couldn't post the approval message") || !strings.Contains(text, "approve "+id) {
		t.Errorf("the requester is not told the board's message is missing:\n%s", text)
	}
	// Nothing is tried again within the grace period (the first post may
	// still be on its way); after it, Reconcile posts both, once.
	clk.Add(10 * time.Second)
	if _, err := r.flow.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if got := outcome(t, st, fs); got.BoardPosts != 0 || got.ChannelLines != 0 {
		t.Errorf("within the grace period: %+v, want nothing posted again yet", got)
	}
	clk.Add(tgGrace + time.Second)
	for range 2 {
		if _, err := r.flow.Reconcile(ctx); err != nil {
			t.Fatal(err)
		}
	}
	reposted := outcome(t, st, fs)
	if want := (tollgateOutcome{Stage: domain.StageOperate, BoardPosts: 1, ChannelLines: 1}); reposted != want {
		t.Errorf("after the grace period: %+v, want %+v", reposted, want)
	}
	v, err := r.engine.Handle(ctx, commands.Caller{SlackUser: "U0SAM", Source: "test"}, "approve "+id)
	if err != nil || v.Error {
		t.Fatalf("approve by command: %v %s", err, commands.PlainText(v))
	}
	clk.Add(tgGrace + time.Second)
	if _, err := r.flow.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	got := outcome(t, st, fs)
	want := tollgateOutcome{Decisions: 1, StageChanges: 1, Stage: domain.StageImprove, BoardPosts: 1, BoardEdits: 1, DMs: 1, ChannelLines: 2}
	if got != want {
		t.Errorf("outcome %+v, want %+v", got, want)
	}
	t.Logf("FAULT slack 503/timeout on a new tollgate request: requester told; after the %v grace period Reconcile posted %+v; decided by command once: %+v", tgGrace, reposted, got)
}

// slackFaultReplica is one replica on the sample catalog with a test
// clock (the sender's sleeps advance it) and a Slack client whose calls
// the returned transport can hold until they time out.
func slackFaultReplica(t *testing.T) (*clock, *storage.Store, *fakeslack.Server, *holdTransport, *replica) {
	t.Helper()
	clk := newClock(tgStart)
	st := storetest.NewNamed(t, storetest.DatabaseName(t), clk.Now)
	loadSample(t, st)
	fs := newSlack(t)
	hold := &holdTransport{base: http.DefaultTransport}
	r := newReplica(t, st, fs, replicaOptions{
		now: clk.Now, grace: tgGrace,
		sender:      bot.SenderOptions{Sleep: clk.sleep, Now: clk.Now},
		slackClient: &http.Client{Timeout: slackTimeout, Transport: hold},
	})
	return clk, st, fs, hold, r
}
