package domain

import "time"

// AuditEntry records one change: who did what, when, from where, and the
// fields that changed. Every write path appends one.
type AuditEntry struct {
	ID      string    `bson:"_id" json:"id"`
	At      time.Time `bson:"at" json:"at"`
	Actor   string    `bson:"actor" json:"actor"`   // person name, Slack user or "import"
	Action  string    `bson:"action" json:"action"` // e.g. import.create, import.update, tollgate.vote, stage.change, dr.record
	Kind    string    `bson:"kind" json:"kind"`
	Name    string    `bson:"name" json:"name"`                           // the document acted on
	Service string    `bson:"service,omitempty" json:"service,omitempty"` // the service concerned, for history
	Summary string    `bson:"summary,omitempty" json:"summary,omitempty"`
	Source  string    `bson:"source,omitempty" json:"source,omitempty"` // file, Slack message link, CLI
	Changes []Change  `bson:"changes,omitempty" json:"changes,omitempty"`
}

// Change is one field's value before and after.
type Change struct {
	Field  string `bson:"field" json:"field"`
	Before string `bson:"before,omitempty" json:"before,omitempty"`
	After  string `bson:"after,omitempty" json:"after,omitempty"`
}
