package commands

import "context"

// Notifier delivers messages that are not answers to the person typing:
// approval requests, decisions, reminders. The bot implements it with
// Slack; `itspm chat` and dry runs print instead.
type Notifier interface {
	// Post sends r to a channel ID (C…/G…), or to a user's DM when to is a
	// user ID (U…/W…), and returns where it landed.
	Post(ctx context.Context, to string, r Reply) (channel, ts string, err error)
	// Update replaces a message posted earlier.
	Update(ctx context.Context, channel, ts string, r Reply) error
}

// Voter is what tollgate buttons call.
type Voter interface {
	Vote(ctx context.Context, c Caller, requestID string, approve bool, comment string) (Reply, error)
}

// Vote records a tollgate vote (what the Approve and Reject buttons do).
func (e *Engine) Vote(ctx context.Context, c Caller, requestID string, approve bool, comment string) (Reply, error) {
	if e.voter == nil {
		return Refusal("Tollgate approvals are not enabled in this build."), nil
	}
	snap, err := e.store.Snapshot(ctx)
	if err != nil {
		return Reply{}, err
	}
	return e.voter.Vote(ctx, e.Identify(snap, c), requestID, approve, comment)
}
