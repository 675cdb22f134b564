package jobs

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
)

// TollgateWait is how long a request waits before approvers are nudged.
const TollgateWait = 48 * time.Hour

func collectTollgates(ctx context.Context, src Source, occ Occurrence) ([]Message, error) {
	reqs, err := src.OpenTollgateRequests(ctx)
	if err != nil {
		return nil, fmt.Errorf("read open tollgate requests: %w", err)
	}
	var ids []string
	for _, r := range reqs {
		if waited(r, occ.At) {
			ids = append(ids, r.ID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	votes, err := src.TollgateVotes(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read tollgate votes: %w", err)
	}
	snap, err := src.Snapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the catalog: %w", err)
	}
	return TollgateMessages(snap, reqs, votes, occ.At, snapshotToday(occ)), nil
}

// waited reports whether an open request has waited over TollgateWait at now.
func waited(r domain.TollgateRequest, now time.Time) bool {
	return r.Status == domain.RequestOpen && now.Sub(r.OpenedAt) > TollgateWait
}

// TollgateMessages selects open requests that have waited over
// TollgateWait at now and returns one digest per approver: each board
// member who has not voted on them and is not the requester.
func TollgateMessages(snap *domain.Snapshot, reqs []domain.TollgateRequest, votes map[string][]domain.Vote, now time.Time, today domain.Date) []Message {
	byApprover := map[string][]domain.TollgateRequest{}
	boardOf := map[string]*domain.Board{}
	for _, r := range reqs {
		if !waited(r, now) {
			continue
		}
		b, ok := snap.Boards[r.Board]
		if !ok {
			continue
		}
		boardOf[r.ID] = b
		for _, m := range r.Waiting(b, votes[r.ID]) {
			byApprover[m] = append(byApprover[m], r)
		}
	}
	var out []Message
	for _, p := range sortedKeys(byApprover) {
		rs := byApprover[p]
		sort.SliceStable(rs, func(i, j int) bool { return rs[i].OpenedAt.Before(rs[j].OpenedAt) })
		out = append(out, Message{To: slackUser(snap, p), Reply: tollgateDigest(snap, rs, boardOf, votes, today)})
	}
	return out
}

func tollgateDigest(snap *domain.Snapshot, rs []domain.TollgateRequest, boardOf map[string]*domain.Board, votes map[string][]domain.Vote, today domain.Date) commands.Reply {
	r := commands.Reply{}
	if len(rs) == 1 {
		r.Title = fmt.Sprintf("Your vote is needed: %s → %s", serviceLabelOf(snap, rs[0].Service), rs[0].To)
	} else {
		r.Title = "Your vote is needed on " + plural(len(rs), "tollgate request", "tollgate requests")
	}
	r.Text = fmt.Sprintf("These tollgate requests have waited more than %d days for their board. "+
		"Check the criteria and vote: `approve <request-id>`, or `reject <request-id> <reason>`, or use the buttons on the request in the board's channel.",
		int(TollgateWait.Hours()/24))
	var secs []commands.Section
	var actions []commands.Action
	boards := map[string]bool{}
	for _, q := range rs {
		b := boardOf[q.ID]
		boards[boardTitle(b)] = true
		quorum := q.Quorum
		if quorum < 1 {
			quorum = 1
		}
		fields := []commands.Field{
			{Label: "Board", Value: boardTitle(b)},
			{Label: "Requested by", Value: commands.Person(snap, q.Requester)},
			{Label: "Waiting since", Value: commands.DateRel(domain.Today(q.OpenedAt, nil), today)},
			{Label: "Approvals", Value: fmt.Sprintf("%d of %d needed", domain.Approvals(votes[q.ID]), quorum)},
		}
		var lines []string
		for _, c := range q.Criteria {
			lines = append(lines, c)
		}
		secs = append(secs, commands.Section{
			Heading: fmt.Sprintf("%s: %s → %s (%s)", serviceLabelOf(snap, q.Service), q.From, q.To, q.ID),
			Fields:  fields, Lines: lines,
		})
		actions = append(actions,
			commands.Action{Label: "Approve " + q.ID, ID: commands.ActionTollgateApprove, Value: q.ID, Command: "approve " + q.ID, Style: "primary"},
			commands.Action{Label: "Reject " + q.ID, ID: commands.ActionTollgateReject, Value: q.ID, Command: "reject " + q.ID + " <reason>", Style: "danger"})
	}
	r.Sections = capSections(secs, "requests")
	r.Actions = capItemActions(actions)
	names := sortedKeys(boards)
	board := names[0]
	if len(names) > 1 {
		board = fmt.Sprintf("%d boards", len(names))
	}
	r.Context = footer(TollgateReminders, today, fmt.Sprintf("You get this because you sit on %s and have not voted; it repeats each run until the requests are decided.", board))
	return r
}

func serviceLabelOf(snap *domain.Snapshot, name string) string {
	if s, ok := snap.Services[name]; ok {
		return s.Label()
	}
	return name
}

func boardTitle(b *domain.Board) string {
	if b == nil {
		return "the board"
	}
	if b.Title != "" {
		return b.Title
	}
	return b.Name
}
