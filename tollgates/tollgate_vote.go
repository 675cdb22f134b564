package tollgates

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/metrics"
)

// Vote records a board member's vote on a request (what the Approve and
// Reject buttons, `approve` and `reject` do).
//
// Votes take slots in arrival order: a voter reads the request's votes and
// inserts its own at the next slot; the slot (_id) and the (request, voter)
// pair are unique, so a lost race means "slot taken, try the next one" or
// "you already voted". Slots are never freed below the decision, so the
// votes read before an insert are exactly the ones before it, and
// domain.Decide over the stored slots gives the same answer in every
// process. Whoever sees a decided prefix inserts the decision under the
// request's ID; exactly one insert wins, and only the winner applies the
// effects. Refusals are replies with Error set; nothing changes then.
//
// Round trips (a vote that does not decide): snapshot, decision, request,
// votes, insert, votes again, audit; a click after the decision: snapshot,
// decision. A deciding vote adds the decision insert and
// its effects.
func (t *Workflow) Vote(ctx context.Context, c commands.Caller, requestID string, approve bool, comment string) (commands.Reply, error) {
	r, err := t.vote(ctx, c, normalizeRequestID(requestID), approve, strings.TrimSpace(comment))
	if err != nil {
		if isRefusal(err) {
			// Conflicts (a second vote, a decided request) are counted
			// where they are found, as duplicate or late.
			if domain.ErrorCode(err) != domain.Conflict {
				metrics.TollgateVotes.WithLabelValues("refused").Inc()
			}
			return refusal(err), nil
		}
		return commands.Reply{}, err
	}
	return r, nil
}

func (t *Workflow) vote(ctx context.Context, c commands.Caller, id string, approve bool, comment string) (commands.Reply, error) {
	if err := domain.CheckText(comment); err != nil {
		return commands.Reply{}, domain.Errorf(domain.Invalid, "The comment %v.", err)
	}
	if len(comment) > 2000 {
		return commands.Reply{}, domain.Errorf(domain.Invalid, "Please keep the comment under 2,000 characters.")
	}
	snap, err := t.sharedSnapshot(ctx)
	if err != nil {
		return commands.Reply{}, err
	}
	c = t.e.Identify(snap, c)
	// The decision first: after it, most clicks stop here in one read.
	if d, err := t.st.TollgateDecision(ctx, id); err == nil {
		req := &domain.TollgateRequest{ID: id}
		if t.e.Now().Sub(d.At) >= t.grace {
			// Decided a while ago: if the request is still unsettled, its
			// process crashed applying the effects; finish them.
			if r, err := t.st.TollgateRequest(ctx, id); err == nil && r.Status == domain.RequestOpen {
				t.retry(ctx, snap, r, d)
			}
		}
		metrics.TollgateVotes.WithLabelValues("late").Inc()
		return commands.Reply{}, t.decidedError(ctx, snap, req, d)
	} else if domain.ErrorCode(err) != domain.NotFound {
		return commands.Reply{}, err
	}
	req, err := t.st.TollgateRequest(ctx, id)
	if err != nil {
		return commands.Reply{}, err
	}
	if req.Status != domain.RequestOpen {
		metrics.TollgateVotes.WithLabelValues("late").Inc()
		return commands.Reply{}, t.decidedError(ctx, snap, req, nil)
	}
	board, ok := snap.Boards[req.Board]
	if !ok {
		return commands.Reply{}, domain.Errorf(domain.Invalid, "Board %q of %s is no longer in the catalog; ask an admin.", req.Board, req.ID)
	}
	if c.Person == "" {
		return commands.Reply{}, domain.Errorf(domain.Forbidden, "I can't match your Slack account to a person in the catalog, so I can't count your vote on %s.", req.ID)
	}
	if c.Person == req.Requester {
		return commands.Reply{}, domain.Errorf(domain.Forbidden, "You requested %s, so you can't vote on it; %s decides.", req.ID, boardLabel(board))
	}
	if !board.IsMember(c.Person) {
		return commands.Reply{}, domain.Errorf(domain.Forbidden, "Only members of %s vote on %s (%s).", boardLabel(board), req.ID, memberList(snap, board.Members))
	}
	if !approve && comment == "" {
		return commands.Reply{}, domain.Errorf(domain.Invalid, "A rejection needs a reason: `reject %s <reason>`.", req.ID)
	}

	votes, err := t.votes(ctx, req.ID)
	if err != nil {
		return commands.Reply{}, err
	}
	mine := domain.Vote{Request: req.ID, Voter: c.Person, Approve: approve, Comment: comment, At: t.e.Now().UTC(), Source: c.Source}
	// Each failed insert means another vote took the slot (so the loop ends
	// by the time the board has voted) or this member already voted.
	for attempt := 0; ; attempt++ {
		if prev, ok := findVote(votes, c.Person); ok {
			metrics.TollgateVotes.WithLabelValues("duplicate").Inc()
			return commands.Reply{}, domain.Errorf(domain.Conflict, "You already %s %s %s.", voteVerb(prev.Approve), req.ID, t.when(prev.At))
		}
		if out, n := domain.Decide(votes, req.Quorum); out != domain.Pending {
			return commands.Reply{}, t.tooLate(ctx, snap, req, votes[:n], out)
		}
		if attempt > len(board.Members)+1 {
			return commands.Reply{}, fmt.Errorf("vote on %s: no free slot after %d attempts", req.ID, attempt)
		}
		mine.Slot = nextSlot(votes)
		ok, err := t.st.InsertTollgateVote(ctx, mine)
		if err != nil {
			return commands.Reply{}, err
		}
		if ok {
			break
		}
		if votes, err = t.votes(ctx, req.ID); err != nil {
			return commands.Reply{}, err
		}
	}
	mine.ID = voteID(req.ID, mine.Slot)

	// Decide over the stored slots, as every other process will.
	if votes, err = t.votes(ctx, req.ID); err != nil {
		return commands.Reply{}, err
	}
	out, n := domain.Decide(votes, req.Quorum)
	pos := slotIndex(votes, mine.Slot)
	if pos < 0 {
		return commands.Reply{}, fmt.Errorf("vote on %s: stored vote %s is missing from the votes read back", req.ID, mine.ID)
	}
	if out != domain.Pending && pos >= n {
		// Cannot happen while slots are claimed after reading the ones
		// below; kept so that a late vote never counts.
		t.dropVote(ctx, mine)
		return commands.Reply{}, t.tooLate(ctx, snap, req, votes[:n], out)
	}
	var (
		won    bool
		winner *domain.TollgateDecision
	)
	if out != domain.Pending {
		won, winner, err = t.decide(ctx, req, votes[:n], out)
		if err != nil {
			return commands.Reply{}, err
		}
		if winner.Outcome == domain.Withdrawn {
			// Withdrawn while this vote was on its way: it does not count.
			t.dropVote(ctx, mine)
			metrics.TollgateVotes.WithLabelValues("late").Inc()
			return commands.Reply{}, t.decidedError(ctx, snap, req, winner)
		}
	}
	metrics.TollgateVotes.WithLabelValues(map[bool]string{true: "approve", false: "reject"}[approve]).Inc()
	if err := t.st.AppendAuditOnce(ctx, voteAudit(req, mine)); err != nil {
		// The decision, when there is one, writes it again.
		t.log(ctx).Warn("audit tollgate vote", "request", req.ID, "err", err)
	}
	if won {
		t.apply(ctx, snap, req, winner, true)
	}
	return t.voteReply(snap, req, board, votes, mine, winner), nil
}

// voteAudit is a vote's entry in the audit trail. Its ID is fixed by the
// vote, so that applying a decision can write the entries of the votes it
// counted again: a vote stored by a process that stopped before its entry
// was written is still in the trail.
func voteAudit(req *domain.TollgateRequest, v domain.Vote) domain.AuditEntry {
	summary := fmt.Sprintf("%s tollgate %s (%s → %s)", voteVerb(v.Approve), req.ID, req.From, req.To)
	if v.Comment != "" {
		summary += ": " + v.Comment
	}
	return domain.AuditEntry{
		ID: fixedAuditID(v.At, "vote/"+v.ID), At: v.At, Actor: v.Voter, // "v": after the same instant's storage.NewID entries, before the decision's "~"
		Action: "tollgate.vote", Kind: domain.KindTollgate, Name: req.ID, Service: req.Service,
		Summary: summary, Source: v.Source,
	}
}

// votes reads one request's votes in slot order.
func (t *Workflow) votes(ctx context.Context, id string) ([]domain.Vote, error) {
	m, err := t.st.TollgateVotes(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	return m[id], nil
}

func (t *Workflow) dropVote(ctx context.Context, v domain.Vote) {
	if err := t.st.DeleteTollgateVote(ctx, v.ID); err != nil {
		t.log(ctx).Error("delete late tollgate vote", "vote", v.ID, "err", err)
	}
}

// tooLate answers a vote on a request whose votes already decided it,
// making sure the decision is recorded (its voter may have stopped before
// recording it).
func (t *Workflow) tooLate(ctx context.Context, snap *domain.Snapshot, req *domain.TollgateRequest, prefix []domain.Vote, out domain.Outcome) error {
	// Usually the decision is there: a read spares the store a write.
	won, winner := false, (*domain.TollgateDecision)(nil)
	d, err := t.st.TollgateDecision(ctx, req.ID)
	switch {
	case err == nil:
		winner = d
	case domain.ErrorCode(err) == domain.NotFound:
		if won, winner, err = t.decide(ctx, req, prefix, out); err != nil {
			return err
		}
	default:
		return err
	}
	if won {
		t.apply(ctx, snap, req, winner, true)
	} else {
		t.retry(ctx, snap, req, winner)
	}
	metrics.TollgateVotes.WithLabelValues("late").Inc()
	return t.decidedError(ctx, snap, req, winner)
}

// decide inserts the decision; exactly one caller per request wins.
func (t *Workflow) decide(ctx context.Context, req *domain.TollgateRequest, prefix []domain.Vote, out domain.Outcome) (bool, *domain.TollgateDecision, error) {
	last := prefix[len(prefix)-1]
	d := domain.TollgateDecision{ID: req.ID, Service: req.Service, Outcome: out, By: last.Voter, At: t.e.Now().UTC(),
		Votes: prefix, Comment: last.Comment, Source: last.Source}
	won, winner, err := t.st.DecideTollgate(ctx, d)
	if err != nil {
		return false, nil, err
	}
	if won {
		metrics.TollgateDecisions.WithLabelValues(string(out)).Inc()
	}
	return won, winner, nil
}

// decidedError explains that a request is no longer open to votes.
func (t *Workflow) decidedError(ctx context.Context, snap *domain.Snapshot, req *domain.TollgateRequest, d *domain.TollgateDecision) error {
	if d == nil {
		var err error
		if d, err = t.st.TollgateDecision(ctx, req.ID); err != nil {
			if domain.ErrorCode(err) == domain.NotFound {
				return domain.Errorf(domain.Conflict, "%s is %s; there is nothing to vote on.", req.ID, req.Status)
			}
			return err
		}
	}
	return domain.Errorf(domain.Conflict, "%s is already decided: %s.", req.ID, t.outcomeText(snap, d))
}

// outcomeText says who decided what, and when: "approved by Dana (14:02)
// and Lee (14:03)".
func (t *Workflow) outcomeText(snap *domain.Snapshot, d *domain.TollgateDecision) string {
	switch d.Outcome {
	case domain.Withdrawn:
		return fmt.Sprintf("withdrawn by %s %s", commands.Person(snap, d.By), t.when(d.At))
	case domain.Rejected:
		s := fmt.Sprintf("rejected by %s %s", commands.Person(snap, d.By), t.when(d.At))
		if d.Comment != "" {
			s += fmt.Sprintf(" (%q)", d.Comment)
		}
		return s
	}
	var who []string
	for _, v := range d.Votes {
		if v.Approve {
			who = append(who, fmt.Sprintf("%s %s", commands.Person(snap, v.Voter), t.when(v.At)))
		}
	}
	return "approved by " + listWithAnd(who)
}

func findVote(votes []domain.Vote, voter string) (domain.Vote, bool) {
	for _, v := range votes {
		if v.Voter == voter {
			return v, true
		}
	}
	return domain.Vote{}, false
}

func nextSlot(votes []domain.Vote) int {
	if len(votes) == 0 {
		return 0
	}
	return votes[len(votes)-1].Slot + 1
}

func slotIndex(votes []domain.Vote, slot int) int {
	for i, v := range votes {
		if v.Slot == slot {
			return i
		}
	}
	return -1
}

func voteID(request string, slot int) string { return fmt.Sprintf("%s#%d", request, slot) }

func voteVerb(approve bool) string {
	if approve {
		return "approved"
	}
	return "rejected"
}

// when is a time for messages: "at 14:02" today, "on 2026-11-26 at 14:02"
// otherwise, in the configured zone.
func (t *Workflow) when(at time.Time) string {
	local, now := at.In(t.e.Location()), t.e.Now().In(t.e.Location())
	if local.Format(time.DateOnly) == now.Format(time.DateOnly) {
		return "at " + local.Format("15:04")
	}
	return "on " + local.Format("2006-01-02") + " at " + local.Format("15:04")
}

func listWithAnd(items []string) string {
	switch len(items) {
	case 0:
		return "nobody"
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

var errStageMoved = errors.New("the service is no longer in the tollgate's from stage")
