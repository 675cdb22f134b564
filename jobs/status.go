package jobs

import (
	"context"
	"time"

	"github.com/itspm/itspm/domain"
)

// JobStatus is one row of `itspm jobs list`.
type JobStatus struct {
	Name        string
	Schedule    string
	Location    *time.Location
	Description string
	Last        *domain.JobRun // latest occurrence record (scheduled or manual); nil: never
	Next        time.Time
	Pending     int // outbox messages not delivered yet
	Failed      int // outbox messages that failed for good (until the janitor removes them)
}

// maxStatusLookups bounds the outbox records Status reads.
const maxStatusLookups = 2000

// Status reports every job's schedule, last run, next run and outbox state
// at now. It reads each outbox record with work left by _id (bounded).
func (s *Scheduler) Status(ctx context.Context, now time.Time) ([]JobStatus, error) {
	latest, err := s.o.Store.LatestJobRuns(ctx, s.Names(), true)
	if err != nil {
		return nil, err
	}
	out := make([]JobStatus, 0, len(s.entries))
	index := map[string]int{}
	for _, e := range s.entries {
		st := JobStatus{Name: e.job.Name, Schedule: e.sched.Spec, Location: s.o.Location, Description: e.job.Description, Next: e.sched.Next(now)}
		if r, ok := latest[e.job.Name]; ok {
			st.Last = &r
		}
		index[e.job.Name] = len(out)
		out = append(out, st)
	}
	batches, err := s.o.Store.OutboxBatches(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	lookups := 0
	for _, b := range batches {
		i, ok := index[b.Job]
		if !ok {
			continue
		}
		for _, id := range b.IDs {
			if seen[id] || lookups >= maxStatusLookups {
				continue
			}
			seen[id] = true
			lookups++
			d, ok, err := s.o.Store.Delivery(ctx, id)
			if err != nil {
				return nil, err
			}
			switch {
			case !ok:
			case d.Status == domain.DeliveryPending:
				out[i].Pending++
			case d.Status == domain.DeliveryFailed:
				out[i].Failed++
			}
		}
	}
	return out, nil
}
