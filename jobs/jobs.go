// Package jobs runs itspm's scheduled jobs (SPEC section 7): a scheduler
// that runs each occurrence once across any number of replicas, a delivery
// outbox that posts each message once, and the four jobs themselves.
//
// Everything that must happen once is an insert into a unique key (DESIGN.md):
// the occurrence (job@instant), each message (occurrence/recipient) and each
// attempt to deliver it (message#attempt-n). The jobs are pure functions
// from a catalog snapshot and a date to messages, so they are tested on
// their boundaries without a clock or a database.
//
// Messages use the commands reply model (jobs → commands → domain), so the
// bot renders reminders exactly like command answers.
package jobs

import (
	"context"
	"sort"
	"time"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
)

// Store is what jobs need from storage (*storage.Store implements it).
type Store interface {
	Source

	ClaimJobRun(ctx context.Context, r domain.JobRun) (bool, error)
	RecordJobRuns(ctx context.Context, runs []domain.JobRun) (int, error)
	FinishJobRun(ctx context.Context, r domain.JobRun) error
	LatestJobRuns(ctx context.Context, jobs []string, manual bool) (map[string]domain.JobRun, error)
	JobRun(ctx context.Context, id string) (domain.JobRun, bool, error)

	EnqueueDeliveries(ctx context.Context, batch domain.OutboxBatch, ds []domain.Delivery) (int, error)
	OutboxBatches(ctx context.Context) ([]domain.OutboxBatch, error)
	CloseOutboxBatch(ctx context.Context, id string) error
	Delivery(ctx context.Context, id string) (domain.Delivery, bool, error)
	ClaimDelivery(ctx context.Context, l domain.DeliveryLease) (bool, error)
	UpdateDelivery(ctx context.Context, d domain.Delivery) error
	PruneJobRecords(ctx context.Context, jobs []string, before time.Time) (int64, error)
}

// Source is what the jobs read to decide what to send.
type Source interface {
	Snapshot(ctx context.Context) (*domain.Snapshot, error)
	OpenTollgateRequests(ctx context.Context) ([]domain.TollgateRequest, error)
	TollgateVotes(ctx context.Context, ids []string) (map[string][]domain.Vote, error)
}

// Notifier delivers messages: the bot's Slack sender implements it.
type Notifier interface {
	// Post sends r to a channel ID, or to a user's DM when to is a user ID,
	// and returns where it landed.
	Post(ctx context.Context, to string, r commands.Reply) (channel, ts string, err error)
	// Upload shares a file in a channel (the one Post returned), with an
	// optional comment.
	Upload(ctx context.Context, channel, filename, title string, data []byte, comment string) error
}

// Job is one scheduled job.
type Job struct {
	Name        string
	Schedule    string // default cron spec (SPEC section 7)
	Description string
	// Collect reads what the job needs and returns its messages for the
	// occurrence. It must not send anything itself.
	Collect func(ctx context.Context, src Source, occ Occurrence) ([]Message, error)
}

// Occurrence is one scheduled run of a job.
type Occurrence struct {
	Job      string
	At       time.Time      // the scheduled instant
	Location *time.Location // ITSPM_TIMEZONE
	Today    domain.Date    // At's date in Location: what "due today" means
}

// ID is the occurrence's unique key: job@instant in UTC.
func (o Occurrence) ID() string { return OccurrenceID(o.Job, o.At) }

// OccurrenceID is the unique key of job's occurrence at t.
func OccurrenceID(job string, t time.Time) string {
	return job + "@" + t.UTC().Format(time.RFC3339)
}

// Message is one message a job wants delivered.
type Message struct {
	To     string // channel ID, or Slack user ID for a DM
	Reply  commands.Reply
	Charts []Chart // uploaded after the reply, into the channel it landed in
}

// Job names (SPEC section 7).
const (
	PerformanceReviews = "performance-reviews"
	RoadmapReminders   = "roadmap-reminders"
	ContinuityTests    = "continuity-tests"
	TollgateReminders  = "tollgate-reminders"
	Janitor            = "janitor"
)

// Builtin returns the four jobs of SPEC section 7 with their default
// schedules.
func Builtin() []Job {
	return []Job{
		{Name: PerformanceReviews, Schedule: "0 9 * * MON", Collect: collectPerformance,
			Description: "performance review summaries (SLA, cost, chart) for services whose review is due, and a reminder to each owner"},
		{Name: RoadmapReminders, Schedule: "0 9 * * *", Collect: collectRoadmap,
			Description: "roadmap items due within 14 days or overdue: one digest per owner"},
		{Name: ContinuityTests, Schedule: "0 9 * * *", Collect: collectContinuity,
			Description: "DR tests due within 30 days or overdue: owners, and portfolio managers for overdue ones"},
		{Name: TollgateReminders, Schedule: "0 10 * * MON-FRI", Collect: collectTollgates,
			Description: "tollgate requests waiting over 2 days: nudges the approvers who have not voted"},
		governanceJob(),
		contractRenewalsJob(ContractWindow),
	}
}

// Names lists the built-in job names in order.
func Names() []string {
	var out []string
	for _, j := range Builtin() {
		out = append(out, j.Name)
	}
	return out
}

func snapshotToday(occ Occurrence) domain.Date {
	if occ.Today != "" {
		return occ.Today
	}
	return domain.Today(occ.At, occ.Location)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
