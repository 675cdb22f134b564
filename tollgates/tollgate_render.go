package tollgates

import (
	"fmt"
	"strings"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
)

// Action IDs of the approval message's buttons; the bot maps them to Vote
// (Reject through a modal asking for the reason). The button value is the
// request ID.
const (
	ActionTollgateApprove = commands.ActionTollgateApprove
	ActionTollgateReject  = commands.ActionTollgateReject
)

// approvalMessage is the message in the board's channel: while the request
// is open (d == nil) it carries the Approve and Reject buttons; once decided
// the same card shows the outcome and the votes instead.
func (t *Workflow) approvalMessage(snap *domain.Snapshot, svc *domain.Service, req *domain.TollgateRequest, votes []domain.Vote, d *domain.TollgateDecision) commands.Reply {
	label := req.Service
	if svc != nil {
		label = svc.Label()
	}
	board := req.Board
	if b, ok := snap.Boards[req.Board]; ok {
		board = boardLabel(b)
	}
	fields := []commands.Field{
		{Label: "Stage", Value: fmt.Sprintf("%s → %s", req.From, req.To)},
		{Label: "Requested by", Value: commands.Person(snap, req.Requester)},
	}
	if svc != nil {
		fields = append(fields, commands.Field{Label: "Owner", Value: commands.Person(snap, svc.Owner)}, commands.Field{Label: "Tier", Value: commands.TierText(svc.Tier)})
		if svc.Cost != nil {
			fields = append(fields, commands.Field{Label: "Annual TCO", Value: commands.Money(svc.Cost.Currency, svc.AnnualTCO())})
		}
		fields = append(fields, commands.Field{Label: "DR", Value: t.drStatus(svc)})
	}
	var criteria []string
	for _, c := range req.Criteria {
		criteria = append(criteria, "☐ "+c)
	}
	secs := []commands.Section{{Fields: fields}}
	if len(criteria) > 0 {
		secs = append(secs, commands.Section{Heading: "Criteria", Lines: criteria})
	}
	opened := req.OpenedAt.In(t.e.Location()).Format("2006-01-02 15:04 MST")
	if d == nil {
		return commands.Reply{
			Title: fmt.Sprintf("Tollgate %s: %s → %s", req.ID, label, req.To),
			Text: fmt.Sprintf("%s asks %s to move %s from %s to %s. %s approve; one rejection rejects.",
				commands.Person(snap, req.Requester), board, label, req.From, req.To, commands.Plural(req.Quorum, "approval")),
			Sections:  secs,
			Context:   fmt.Sprintf("Gate %s · opened %s · board members other than the requester vote once", req.Gate, opened),
			InChannel: true,
			Actions: []commands.Action{
				{Label: "Approve", ID: ActionTollgateApprove, Value: req.ID, Style: "primary", Command: "approve " + req.ID},
				{Label: "Reject", ID: ActionTollgateReject, Value: req.ID, Style: "danger", Command: "reject " + req.ID + " <reason>"},
			},
		}
	}
	if lines := t.voteLines(snap, votes); len(lines) > 0 {
		secs = append(secs, commands.Section{Heading: "Votes", Lines: lines})
	}
	var title, text string
	switch d.Outcome {
	case domain.Approved:
		title = fmt.Sprintf("✅ Approved: %s → %s (%s)", label, req.To, req.ID)
		text = fmt.Sprintf("%s approved: %s moves from %s to %s.", strings.ToUpper(board[:1])+board[1:], label, req.From, req.To)
	case domain.Rejected:
		title = fmt.Sprintf("❌ Rejected: %s → %s (%s)", label, req.To, req.ID)
		text = fmt.Sprintf("Rejected by %s %s: %s. %s stays in %s.", commands.Person(snap, d.By), t.when(d.At), d.Comment, label, req.From)
	default:
		title = fmt.Sprintf("↩️ Withdrawn: %s → %s (%s)", label, req.To, req.ID)
		text = fmt.Sprintf("Withdrawn by %s %s. %s stays in %s.", commands.Person(snap, d.By), t.when(d.At), label, req.From)
	}
	return commands.Reply{
		Title: title, Text: text, Sections: secs, InChannel: true,
		Context: fmt.Sprintf("Gate %s · opened %s · decided %s", req.Gate, opened, d.At.In(t.e.Location()).Format("2006-01-02 15:04 MST")),
	}
}

// voteLines lists who voted what and when.
func (t *Workflow) voteLines(snap *domain.Snapshot, votes []domain.Vote) []string {
	var lines []string
	for _, v := range votes {
		mark := "✅"
		if !v.Approve {
			mark = "❌"
		}
		l := fmt.Sprintf("%s %s %s %s", mark, commands.Person(snap, v.Voter), voteVerb(v.Approve), t.when(v.At))
		if v.Comment != "" {
			l += ": " + v.Comment
		}
		lines = append(lines, l)
	}
	return lines
}

// drStatus summarizes continuity for the approval card.
func (t *Workflow) drStatus(svc *domain.Service) string {
	k := svc.Continuity
	if k == nil {
		return "no continuity plan"
	}
	var parts []string
	if k.LastTest != nil {
		parts = append(parts, fmt.Sprintf("last test %s on %s", k.LastTest.Result, k.LastTest.Date))
	} else {
		parts = append(parts, "never tested")
	}
	if due, ok := svc.NextDRTest(t.e.Today()); ok {
		parts = append(parts, "next "+commands.DueText(due))
	}
	return strings.Join(parts, "; ")
}

// voteReply answers the voter (ephemerally).
func (t *Workflow) voteReply(snap *domain.Snapshot, req *domain.TollgateRequest, board *domain.Board, votes []domain.Vote, mine domain.Vote, d *domain.TollgateDecision) commands.Reply {
	if d != nil {
		return commands.Reply{Text: fmt.Sprintf("You %s %s. That decided it: %s.", voteVerb(mine.Approve), req.ID, t.outcomeText(snap, d))}
	}
	waiting := req.Waiting(board, votes)
	return commands.Reply{Text: fmt.Sprintf("You %s %s (%s → %s). %d of %d approvals so far; waiting for %s.",
		voteVerb(mine.Approve), req.ID, req.From, req.To, domain.Approvals(votes), req.Quorum, memberList(snap, waiting))}
}

// requesterDM tells the requester how their request ended.
func (t *Workflow) requesterDM(snap *domain.Snapshot, svc *domain.Service, req *domain.TollgateRequest, d *domain.TollgateDecision) commands.Reply {
	label := req.Service
	if svc != nil {
		label = svc.Label()
	}
	r := commands.Reply{Title: fmt.Sprintf("Your tollgate request %s was %s", req.ID, d.Outcome)}
	switch d.Outcome {
	case domain.Approved:
		r.Text = fmt.Sprintf("%s is now in %s (was %s): %s.", label, req.To, req.From, t.outcomeText(snap, d))
	case domain.Rejected:
		r.Text = fmt.Sprintf("%s stays in %s: %s. Address the reason and ask again with `tollgate %s %s`.", label, req.From, t.outcomeText(snap, d), req.Service, req.To)
	default:
		r.Text = fmt.Sprintf("%s stays in %s: %s.", label, req.From, t.outcomeText(snap, d))
	}
	if lines := t.voteLines(snap, d.Votes); len(lines) > 0 && d.Outcome != domain.Withdrawn {
		r.Sections = []commands.Section{{Heading: "Votes", Lines: lines}}
	}
	if link := MessageLink(req.Channel, req.MessageTS); link != "" {
		r.Context = "Approval message: " + link
	}
	return r
}

// channelLine is the service channel's one-line news of the decision.
func (t *Workflow) channelLine(snap *domain.Snapshot, svc *domain.Service, req *domain.TollgateRequest, d *domain.TollgateDecision) string {
	switch d.Outcome {
	case domain.Approved:
		return fmt.Sprintf("%s moved from %s to %s: tollgate %s %s.", svc.Label(), req.From, req.To, req.ID, t.outcomeText(snap, d))
	case domain.Rejected:
		return fmt.Sprintf("Tollgate %s (%s → %s) was %s; %s stays in %s.", req.ID, req.From, req.To, t.outcomeText(snap, d), svc.Label(), req.From)
	}
	return fmt.Sprintf("Tollgate request %s (%s → %s) was %s.", req.ID, req.From, req.To, t.outcomeText(snap, d))
}
