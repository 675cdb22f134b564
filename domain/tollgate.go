package domain

import (
	"sort"
	"time"
)

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

	// LinePending says the service channel's line about the request
	// could not be posted when it was opened; Reconcile posts it.
	LinePending bool `bson:"linePending,omitempty" json:"linePending,omitempty"`

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

// Withdrawn is the outcome of a request its requester (or an admin) took back.
const Withdrawn Outcome = "withdrawn"

// TollgateDecision is the single decision on a request. It is stored under
// the request's ID by a unique insert, so however many votes race, exactly
// one decision exists and only the process that inserted it applies the
// effects.
type TollgateDecision struct {
	ID      string    `bson:"_id" json:"id"` // the request ID
	Service string    `bson:"service" json:"service"`
	Outcome Outcome   `bson:"outcome" json:"outcome"`
	By      string    `bson:"by" json:"by"` // the member whose vote decided, or who withdrew
	At      time.Time `bson:"at" json:"at"`
	Votes   []Vote    `bson:"votes,omitempty" json:"votes,omitempty"` // the deciding prefix, in arrival order
	Comment string    `bson:"comment,omitempty" json:"comment,omitempty"`
	Source  string    `bson:"source,omitempty" json:"source,omitempty"` // where the deciding vote or withdrawal came from
}

// Status is the request status the outcome leads to.
func (o Outcome) Status() string {
	switch o {
	case Approved:
		return RequestApproved
	case Rejected:
		return RequestRejected
	case Withdrawn:
		return RequestWithdrawn
	}
	return RequestOpen
}

// GatesFrom lists the tollgates leaving stage from, ordered by target stage.
func (s *Snapshot) GatesFrom(from Stage) []*Tollgate {
	var out []*Tollgate
	for _, g := range s.Tollgates {
		if g.From == from {
			out = append(out, g)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if a, b := out[i].To.Index(), out[j].To.Index(); a != b {
			return a < b
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Gate finds the tollgate from one stage to another.
func (s *Snapshot) Gate(from, to Stage) (*Tollgate, bool) {
	for _, g := range s.GatesFrom(from) {
		if g.To == to {
			return g, true
		}
	}
	return nil, false
}

// Waiting lists the board members who may still vote on a request: members
// who have not voted and are not the requester.
func (r *TollgateRequest) Waiting(b *Board, votes []Vote) []string {
	voted := map[string]bool{r.Requester: true}
	for _, v := range votes {
		voted[v.Voter] = true
	}
	var out []string
	for _, m := range b.Members {
		if !voted[m] {
			out = append(out, m)
			voted[m] = true
		}
	}
	return out
}

// Approvals counts the approvals among votes.
func Approvals(votes []Vote) int {
	n := 0
	for _, v := range votes {
		if v.Approve {
			n++
		}
	}
	return n
}
