package domain

import "time"

// Tollgate request statuses.
const (
	RequestOpen      = "open"
	RequestApproved  = "approved"
	RequestRejected  = "rejected"
	RequestWithdrawn = "withdrawn"
)

// TollgateRequest asks a board to move a service through a tollgate.
type TollgateRequest struct {
	ID        string    `bson:"_id" json:"id"` // e.g. TG-payroll-3
	Service   string    `bson:"service" json:"service"`
	Gate      string    `bson:"gate" json:"gate"`
	From      Stage     `bson:"from" json:"from"`
	To        Stage     `bson:"to" json:"to"`
	Board     string    `bson:"board" json:"board"`
	Quorum    int       `bson:"quorum" json:"quorum"`
	Criteria  []string  `bson:"criteria,omitempty" json:"criteria,omitempty"`
	Requester string    `bson:"requester" json:"requester"` // person name (or Slack user when unknown)
	OpenedAt  time.Time `bson:"openedAt" json:"openedAt"`
	Status    string    `bson:"status" json:"status"`

	// The approval message in the board's channel.
	Channel   string `bson:"channel,omitempty" json:"channel,omitempty"`
	MessageTS string `bson:"messageTs,omitempty" json:"messageTs,omitempty"`

	DecidedAt time.Time `bson:"decidedAt,omitempty" json:"decidedAt,omitempty"`
	Reminded  time.Time `bson:"reminded,omitempty" json:"reminded,omitempty"`
}

// Vote is one board member's vote on a request.
type Vote struct {
	ID      string    `bson:"_id" json:"id"` // request + slot
	Request string    `bson:"request" json:"request"`
	Slot    int       `bson:"slot" json:"slot"` // order of arrival, claimed by unique insert
	Voter   string    `bson:"voter" json:"voter"`
	Approve bool      `bson:"approve" json:"approve"`
	Comment string    `bson:"comment,omitempty" json:"comment,omitempty"`
	At      time.Time `bson:"at" json:"at"`
	Source  string    `bson:"source,omitempty" json:"source,omitempty"` // Slack message the vote came from
}

// Outcome of a tollgate request.
type Outcome string

// Outcomes.
const (
	Pending  Outcome = ""
	Approved Outcome = "approved"
	Rejected Outcome = "rejected"
)

// Decide applies the approval rule to votes in arrival order: quorum
// approvals approve, one rejection rejects, whichever comes first. It
// returns the outcome and how many votes (a prefix) decided it; votes after
// that prefix arrived too late to count.
func Decide(votes []Vote, quorum int) (Outcome, int) {
	approvals := 0
	for i, v := range votes {
		if !v.Approve {
			return Rejected, i + 1
		}
		approvals++
		if approvals >= quorum {
			return Approved, i + 1
		}
	}
	return Pending, len(votes)
}
