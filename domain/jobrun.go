package domain

import (
	"strings"
	"time"
)

// Scheduled-job records. Storage keeps them; package jobs decides what they
// mean. Each thing that must happen once is a document inserted under a
// unique _id: a job occurrence (job@instant), a delivery (occurrence/
// recipient) and each attempt to deliver it (delivery#attempt-n).

// Job run statuses.
const (
	JobRunning = "running" // claimed; the claimer is selecting and enqueueing
	JobOK      = "ok"
	JobError   = "error"
	JobPanic   = "panic"
	JobMissed  = "missed" // the occurrence fell outside the catch-up window: not run
)

// JobRun is one occurrence of a scheduled job: the claim (whoever inserts it
// runs the occurrence) and, once finished, its outcome.
type JobRun struct {
	ID         string    `bson:"_id" json:"id"` // job@2026-11-27T09:00:00Z, plus #n for a takeover
	Job        string    `bson:"job" json:"job"`
	At         time.Time `bson:"at" json:"at"` // the scheduled instant, UTC
	Attempt    int       `bson:"attempt,omitempty" json:"attempt,omitempty"`
	Status     string    `bson:"status" json:"status"`
	Instance   string    `bson:"instance,omitempty" json:"instance,omitempty"` // the process that claimed it
	Manual     bool      `bson:"manual,omitempty" json:"manual,omitempty"`     // `itspm jobs run`
	StartedAt  time.Time `bson:"startedAt,omitempty" json:"startedAt,omitempty"`
	FinishedAt time.Time `bson:"finishedAt,omitempty" json:"finishedAt,omitempty"`
	Messages   int       `bson:"messages,omitempty" json:"messages,omitempty"`     // deliveries enqueued
	Skipped    int       `bson:"skipped,omitempty" json:"skipped,omitempty"`       // recipients without a Slack ID
	Error      string    `bson:"error,omitempty" json:"error,omitempty"`           // for error and panic
	CaughtUp   bool      `bson:"caughtUp,omitempty" json:"caughtUp,omitempty"`     // ran late, after downtime
	Duration   float64   `bson:"durationMs,omitempty" json:"durationMs,omitempty"` // select + enqueue
}

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// Delivery is one message in the outbox. Its ID is inserted once, when the
// job enqueues it, holding only the ID and the payload (the ID names the
// job, occurrence and recipient; the embedded store's insert time grows
// with every field, and a run may enqueue thousands of records). The
// state fields are written only by the holder of the current lease.
type Delivery struct {
	ID         string    `bson:"_id" json:"id"` // continuity-tests@2026-11-27T09:00:00Z/U0LEE
	Job        string    `bson:"job,omitempty" json:"job,omitempty"`
	Occurrence string    `bson:"occurrence,omitempty" json:"occurrence,omitempty"` // the ID's prefix: job@instant
	To         string    `bson:"to,omitempty" json:"to,omitempty"`                 // channel ID, or user ID for a DM
	Payload    []byte    `bson:"payload" json:"payload"`                           // opaque to storage: the message as jobs encoded it
	Status     string    `bson:"status,omitempty" json:"status,omitempty"`         // empty in storage means pending
	CreatedAt  time.Time `bson:"createdAt,omitempty" json:"createdAt,omitempty"`
	NotBefore  time.Time `bson:"notBefore,omitempty" json:"notBefore,omitempty"` // retry backoff, Retry-After

	// State, written by lease holders. Fields are omitted while zero: the
	// embedded store's insert time grows with every field, and a run may
	// enqueue thousands of records.
	Attempts   int       `bson:"attempts,omitempty" json:"attempts,omitempty"` // leases claimed so far
	Failures   int       `bson:"failures,omitempty" json:"failures,omitempty"` // failed attempts (not counting rate limits)
	LeaseUntil time.Time `bson:"leaseUntil,omitempty" json:"leaseUntil,omitempty"`
	Owner      string    `bson:"owner,omitempty" json:"owner,omitempty"` // instance holding the lease

	// Progress markers, so a takeover redoes only the unfinished step.
	Posted   bool   `bson:"posted,omitempty" json:"posted,omitempty"`
	Channel  string `bson:"channel,omitempty" json:"channel,omitempty"` // where the post landed
	TS       string `bson:"ts,omitempty" json:"ts,omitempty"`
	Uploaded int    `bson:"uploaded,omitempty" json:"uploaded,omitempty"` // attachments uploaded

	DeliveredAt time.Time `bson:"deliveredAt,omitempty" json:"deliveredAt,omitempty"`
	Error       string    `bson:"error,omitempty" json:"error,omitempty"` // last failure
}

// DeliveryID is the outbox key of occurrence's message to a recipient.
func DeliveryID(occurrence, to string) string { return occurrence + "/" + to }

// Fill derives the fields a record's ID implies (job, occurrence,
// recipient) and reads a missing status as pending.
func (d *Delivery) Fill() {
	if i := strings.LastIndexByte(d.ID, '/'); i > 0 {
		if d.Occurrence == "" {
			d.Occurrence = d.ID[:i]
		}
		if d.To == "" {
			d.To = d.ID[i+1:]
		}
	}
	if j := strings.IndexByte(d.ID, '@'); j > 0 && d.Job == "" {
		d.Job = d.ID[:j]
	}
	if d.Status == "" {
		d.Status = DeliveryPending
	}
}

// DeliveryLease is one attempt to deliver: inserted under
// delivery#attempt-n, so two senders never work on the same attempt.
type DeliveryLease struct {
	ID       string    `bson:"_id" json:"id"`
	Delivery string    `bson:"delivery" json:"delivery"`
	Attempt  int       `bson:"attempt" json:"attempt"`
	Owner    string    `bson:"owner" json:"owner"`
	At       time.Time `bson:"at" json:"at"`
	Until    time.Time `bson:"until" json:"until"`
}

// OutboxBatch lists the deliveries one run enqueued. The batches are the
// sender's work list: a small collection it can read whole, where the
// outbox itself is read only by _id (the one fast lookup on the embedded
// store). A batch is removed once all its deliveries are delivered.
type OutboxBatch struct {
	ID        string    `bson:"_id" json:"id"` // the JobRun ID
	Job       string    `bson:"job" json:"job"`
	IDs       []string  `bson:"ids" json:"ids"`
	CreatedAt time.Time `bson:"createdAt" json:"createdAt"`
}

// DeliveryStats counts a job's deliveries by status.
type DeliveryStats struct {
	Pending   int `json:"pending"`
	Delivered int `json:"delivered"`
	Failed    int `json:"failed"`
}
