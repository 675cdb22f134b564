package tollgates_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/storage"
	"github.com/itspm/itspm/tollgates"
)

// clickFirst is a Notifier whose board post is clicked before Post
// returns: the approval message is visible in Slack (so a member can
// click it) while the process that posted it has not yet recorded where
// it is. On a busy machine that is the order things happen in; it once
// left the approval message with its buttons after the decision.
type clickFirst struct {
	*recorder
	board string
	click func() // runs once, inside the board post
}

func (c *clickFirst) Post(ctx context.Context, to string, r commands.Reply) (string, string, error) {
	ch, ts, err := c.recorder.Post(ctx, to, r)
	if err == nil && to == c.board && c.click != nil {
		click := c.click
		c.click = nil
		click()
	}
	return ch, ts, err
}

func TestTollgateVoteBeforeTheApprovalMessageIsRecorded(t *testing.T) {
	f := newFixture(t)
	n := &clickFirst{recorder: f.notes, board: "C0BOARD"}
	f.e, f.flow = f.engine(f.st, n)
	var voteReply string
	n.click = func() {
		// wifi-like gate: email operate → improve needs one approval.
		reqs, err := f.st.UnsettledTollgateRequests(context.Background())
		if err != nil || len(reqs) != 1 {
			t.Fatalf("open requests = %v, %v", reqs, err)
		}
		voteReply = plain(f.vote(as("dana"), reqs[0].ID, true, ""))
	}
	f.open(as("lee"), "email", "improve")
	if !strings.Contains(voteReply, "approved") {
		t.Fatalf("vote reply: %s", voteReply)
	}
	posts := f.notes.postsTo("C0BOARD")
	if len(posts) != 1 {
		t.Fatalf("%d approval messages, want 1", len(posts))
	}
	ups := f.notes.updatesOf("C0BOARD", posts[0].TS)
	if len(ups) != 1 {
		t.Fatalf("the approval message was updated %d times on the decision, want once", len(ups))
	}
	if len(ups[0].Reply.Actions) != 0 {
		t.Errorf("the updated approval message still has buttons: %+v", ups[0].Reply.Actions)
	}
	if got := f.service("email").Stage; got != "improve" {
		t.Errorf("email stage = %s, want improve", got)
	}
	// Settled at once, not after Reconcile's grace period, and the
	// requester was told once.
	if reqs, err := f.st.UnsettledTollgateRequests(context.Background()); err != nil || len(reqs) != 0 {
		t.Errorf("unsettled requests after the decision = %+v, %v; want none", reqs, err)
	}
	if dms := f.notes.postsTo(slackOf("lee")); len(dms) != 1 {
		t.Errorf("the requester got %d DMs, want 1", len(dms))
	}
	// Reconcile later finds nothing left to do.
	f.clock.Add(5 * time.Minute)
	if _, err := f.flow.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ups := f.notes.updatesOf("C0BOARD", posts[0].TS); len(ups) != 1 {
		t.Errorf("after Reconcile the message was updated %d times, want once", len(ups))
	}
}

// voteAfterRecord is a store on which a member votes right after the
// poster recorded the approval message and before the poster looks for a
// decision: the decider sees the message and updates it; the poster must
// then leave it alone.
type voteAfterRecord struct {
	*storage.Store
	vote func()
}

func (s *voteAfterRecord) SetTollgateMessage(ctx context.Context, id, channel, ts string) error {
	if err := s.Store.SetTollgateMessage(ctx, id, channel, ts); err != nil {
		return err
	}
	if v := s.vote; v != nil {
		s.vote = nil
		v()
	}
	return nil
}

func TestTollgateVoteRightAfterTheApprovalMessageIsRecorded(t *testing.T) {
	f := newFixture(t)
	st := &voteAfterRecord{Store: f.st}
	f.e = commands.New(f.st, commands.Options{Admins: []string{"U0ADMIN", "priya"}, Now: f.clock.Now, Logger: quiet()})
	f.flow = tollgates.New(f.e, st, f.notes, tollgates.Options{Grace: time.Minute})
	f.e.SetWorkflow(f.flow)
	st.vote = func() {
		reqs, err := f.st.UnsettledTollgateRequests(context.Background())
		if err != nil || len(reqs) != 1 {
			t.Fatalf("open requests = %v, %v", reqs, err)
		}
		f.vote(as("dana"), reqs[0].ID, true, "")
	}
	f.open(as("lee"), "email", "improve")
	posts := f.notes.postsTo("C0BOARD")
	if len(posts) != 1 {
		t.Fatalf("%d approval messages, want 1", len(posts))
	}
	if ups := f.notes.updatesOf("C0BOARD", posts[0].TS); len(ups) != 1 {
		t.Errorf("the approval message was updated %d times on the decision, want once", len(ups))
	}
	if reqs, err := f.st.UnsettledTollgateRequests(context.Background()); err != nil || len(reqs) != 0 {
		t.Errorf("unsettled requests after the decision = %+v, %v; want none", reqs, err)
	}
}
