package tollgates

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
)

// PendingApproval is an open request and who still has to vote on it.
type PendingApproval struct {
	Request domain.TollgateRequest
	Board   domain.Board
	Votes   []domain.Vote // so far, in arrival order
	Waiting []string      // board members (person names) who have not voted, requester excluded
	Age     time.Duration // since the request was opened
}

// Waiting lists the open requests opened more than olderThan ago, each with
// the board members who have not voted yet (the tollgate-reminders job
// nudges them). Three round trips whatever the number of requests.
func (t *Workflow) Waiting(ctx context.Context, olderThan time.Duration) ([]PendingApproval, error) {
	_, pending, err := t.pending(ctx)
	if err != nil {
		return nil, err
	}
	var out []PendingApproval
	for _, p := range pending {
		if p.Age >= olderThan {
			out = append(out, p)
		}
	}
	return out, nil
}

// pending reads every open request with its votes.
func (t *Workflow) pending(ctx context.Context) (*domain.Snapshot, []PendingApproval, error) {
	snap, err := t.st.Snapshot(ctx)
	if err != nil {
		return nil, nil, err
	}
	reqs, err := t.st.OpenTollgateRequests(ctx)
	if err != nil {
		return nil, nil, err
	}
	ids := make([]string, len(reqs))
	for i, r := range reqs {
		ids[i] = r.ID
	}
	votes, err := t.st.TollgateVotes(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	now := t.e.Now()
	out := make([]PendingApproval, 0, len(reqs))
	for _, r := range reqs {
		p := PendingApproval{Request: r, Votes: votes[r.ID], Age: now.Sub(r.OpenedAt)}
		if b, ok := snap.Boards[r.Board]; ok {
			p.Board = *b
		} else {
			p.Board = domain.Board{Name: r.Board}
		}
		p.Waiting = r.Waiting(&p.Board, p.Votes)
		out = append(out, p)
	}
	return snap, out, nil
}

// Reminder is the nudge for one approver about a pending request, with the
// Approve and Reject buttons.
func (t *Workflow) Reminder(snap *domain.Snapshot, p PendingApproval) commands.Reply {
	r := p.Request
	label := r.Service
	if s, ok := snap.Services[r.Service]; ok {
		label = s.Label()
	}
	return commands.Reply{
		Title: fmt.Sprintf("Waiting for your vote: %s → %s (%s)", label, r.To, r.ID),
		Text: fmt.Sprintf("%s asked %s %s ago to move %s from %s to %s; %d of %d approvals so far.",
			commands.Person(snap, r.Requester), boardLabel(&p.Board), requestAge(p.Age), label, r.From, r.To, domain.Approvals(p.Votes), r.Quorum),
		Context: approvalContext(r),
		Actions: []commands.Action{
			{Label: "Approve", ID: ActionTollgateApprove, Value: r.ID, Style: "primary", Command: "approve " + r.ID},
			{Label: "Reject", ID: ActionTollgateReject, Value: r.ID, Style: "danger", Command: "reject " + r.ID + " <reason>"},
		},
	}
}

func approvalContext(r domain.TollgateRequest) string {
	if link := MessageLink(r.Channel, r.MessageTS); link != "" {
		return "Approval message: " + link
	}
	return ""
}

// list answers `tollgates` and `tollgates mine`.
func (t *Workflow) list(ctx context.Context, c commands.Caller, args []string) (commands.Reply, error) {
	mine := false
	switch {
	case len(args) == 0:
	case len(args) == 1 && strings.EqualFold(args[0], "mine"):
		mine = true
	default:
		return commands.Reply{}, domain.Errorf(domain.Invalid, "Usage: `tollgates` (every open request) or `tollgates mine` (waiting for your vote).")
	}
	if mine && c.Person == "" {
		return commands.Reply{}, domain.Errorf(domain.Forbidden, "I can't match you to a person in the catalog, so nothing waits for your vote.")
	}
	snap, pending, err := t.pending(ctx)
	if err != nil {
		return commands.Reply{}, err
	}
	var lines []string
	var actions []commands.Action
	for _, p := range pending {
		r := p.Request
		if mine && !slices.Contains(p.Waiting, c.Person) {
			continue
		}
		label := r.Service
		if s, ok := snap.Services[r.Service]; ok {
			label = s.Label()
		}
		lines = append(lines, fmt.Sprintf("%s · %s · %s → %s · by %s · %s ago · %d/%d approvals · %s",
			r.ID, label, r.From, r.To, commands.Person(snap, r.Requester), requestAge(p.Age), domain.Approvals(p.Votes), r.Quorum, boardTitle(&p.Board)))
		if mine && len(actions) < 10 {
			actions = append(actions,
				commands.Action{Label: "Approve " + r.ID, ID: ActionTollgateApprove, Value: r.ID, Style: "primary", Command: "approve " + r.ID},
				commands.Action{Label: "Reject " + r.ID, ID: ActionTollgateReject, Value: r.ID, Style: "danger", Command: "reject " + r.ID + " <reason>"})
		}
	}
	title := "Open tollgate requests"
	if mine {
		title = "Tollgate requests waiting for your vote"
	}
	if len(lines) == 0 {
		text := "No tollgate requests are open."
		if mine {
			text = "Nothing waits for your vote."
		}
		return commands.Reply{Title: title, Text: text}, nil
	}
	return commands.Reply{
		Title:    title,
		Text:     fmt.Sprintf("%d, oldest first:", len(lines)),
		Sections: []commands.Section{{Lines: lines}},
		Context:  "Vote with `approve <id> [comment]` or `reject <id> <reason>`; `history <service>` shows the trail.",
		Actions:  actions,
	}, nil
}

func boardTitle(b *domain.Board) string {
	if b.Title != "" {
		return b.Title
	}
	return b.Name
}

// ageText is a coarse duration: "5 minutes", "3 hours", "2 days".
func requestAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "less than a minute"
	case d < time.Hour:
		return commands.Plural(int(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return commands.Plural(int(d/time.Hour), "hour")
	}
	return commands.Plural(int(d/(24*time.Hour)), "day")
}
