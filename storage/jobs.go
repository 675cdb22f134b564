package storage

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/itspm/itspm/domain"
)

// Scheduled-job collections. Every "once" here is an insert into _id:
// job_runs claims an occurrence (job@instant), job_deliveries holds the
// outbox records (occurrence/recipient), job_leases claims each delivery
// attempt (delivery#attempt-n). job_outbox lists the runs with deliveries
// left: the embedded store answers only _id lookups fast (other filters
// scan every document), so the sender reads that small collection whole
// and the records by _id. Old records are removed by PruneJobRecords (the
// embedded store has no TTL indexes).
const (
	colJobRuns    = "job_runs"
	colDeliveries = "job_deliveries"
	colOutbox     = "job_outbox"
	colLeases     = "job_leases"
)

// ClaimJobRun inserts the occurrence record. It returns false, without an
// error, when another process (or an earlier run) already claimed it.
func (s *Store) ClaimJobRun(ctx context.Context, r domain.JobRun) (bool, error) {
	return s.claim(ctx, colJobRuns, r, "claim job run "+r.ID)
}

// RecordJobRuns inserts occurrence records that were not run (missed),
// ignoring those already present. It returns how many it inserted.
func (s *Store) RecordJobRuns(ctx context.Context, runs []domain.JobRun) (int, error) {
	docs := make([]any, len(runs))
	for i, r := range runs {
		docs[i] = r
	}
	n, err := s.insertNew(ctx, colJobRuns, docs)
	if err != nil {
		return n, fmt.Errorf("record job runs: %w", err)
	}
	return n, nil
}

// FinishJobRun writes a claimed run's outcome. Only the claimer calls it.
func (s *Store) FinishJobRun(ctx context.Context, r domain.JobRun) error {
	set := bson.D{
		{Key: "status", Value: r.Status},
		{Key: "finishedAt", Value: r.FinishedAt.UTC()},
		{Key: "messages", Value: r.Messages},
		{Key: "skipped", Value: r.Skipped},
		{Key: "error", Value: r.Error},
		{Key: "durationMs", Value: r.Duration},
	}
	if _, err := s.db.Collection(colJobRuns).UpdateOne(ctx, bson.D{{Key: "_id", Value: r.ID}}, bson.D{{Key: "$set", Value: set}}); err != nil {
		return fmt.Errorf("finish job run %s: %w", r.ID, unavailable(err))
	}
	return nil
}

// LatestJobRuns returns each job's most recent occurrence record (by
// scheduled instant). With manual false, runs started by `itspm jobs run`
// are ignored: they may name any instant and must not move the
// scheduler's position. One query per job.
func (s *Store) LatestJobRuns(ctx context.Context, jobs []string, manual bool) (map[string]domain.JobRun, error) {
	out := make(map[string]domain.JobRun, len(jobs))
	col := s.db.Collection(colJobRuns)
	for _, job := range jobs {
		// IDs are job@RFC3339 in UTC, so they sort by instant.
		filter := bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: job + "@"}, {Key: "$lt", Value: job + "A"}}}}
		if !manual {
			filter = append(filter, bson.E{Key: "manual", Value: bson.D{{Key: "$ne", Value: true}}})
		}
		var r domain.JobRun
		err := col.FindOne(ctx, filter, options.FindOne().SetSort(bson.D{{Key: "_id", Value: -1}})).Decode(&r)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read job runs of %s: %w", job, unavailable(err))
		}
		out[job] = r
	}
	return out, nil
}

// JobRun reads one occurrence record.
func (s *Store) JobRun(ctx context.Context, id string) (domain.JobRun, bool, error) {
	var r domain.JobRun
	err := s.db.Collection(colJobRuns).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&r)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("read job run %s: %w", id, unavailable(err))
	}
	return r, true, nil
}

// EnqueueDeliveries records a run's messages: first the batch listing
// their IDs (the sender's work list), then the outbox records, skipping
// those already present (the same occurrence and recipient enqueued by an
// earlier attempt). It returns how many records were new. Two round trips
// whatever the number of messages: the driver splits the insert only when
// it exceeds the server's message size.
func (s *Store) EnqueueDeliveries(ctx context.Context, batch domain.OutboxBatch, ds []domain.Delivery) (int, error) {
	if len(ds) == 0 {
		return 0, nil
	}
	if _, err := s.db.Collection(colOutbox).InsertOne(ctx, batch); err != nil && !IsDuplicate(err) {
		return 0, fmt.Errorf("enqueue deliveries of %s: %w", batch.ID, unavailable(err))
	}
	docs := make([]any, len(ds))
	for i, d := range ds {
		docs[i] = d
	}
	n, err := s.insertNew(ctx, colDeliveries, docs)
	if err != nil {
		return n, fmt.Errorf("enqueue deliveries of %s: %w", batch.ID, err)
	}
	return n, nil
}

// OutboxBatches returns the batches with work left, oldest first. The
// collection holds only those, so reading it whole is cheap.
func (s *Store) OutboxBatches(ctx context.Context) ([]domain.OutboxBatch, error) {
	cur, err := s.db.Collection(colOutbox).Find(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", unavailable(err))
	}
	var out []domain.OutboxBatch
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("read outbox: %w", unavailable(err))
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// CloseOutboxBatch removes a batch whose deliveries are all delivered.
func (s *Store) CloseOutboxBatch(ctx context.Context, id string) error {
	if _, err := s.db.Collection(colOutbox).DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
		return fmt.Errorf("close outbox batch %s: %w", id, unavailable(err))
	}
	return nil
}

// Delivery reads one outbox record by ID.
func (s *Store) Delivery(ctx context.Context, id string) (domain.Delivery, bool, error) {
	var d domain.Delivery
	err := s.db.Collection(colDeliveries).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return d, false, nil
	}
	if err != nil {
		return d, false, fmt.Errorf("read delivery %s: %w", id, unavailable(err))
	}
	d.Fill()
	return d, true, nil
}

// Deliveries returns outbox records whose ID starts with prefix (all when
// empty) and with status (any when empty), without payloads. It scans the
// outbox: for tests and diagnostics, not for the delivery path.
func (s *Store) Deliveries(ctx context.Context, prefix, status string) ([]domain.Delivery, error) {
	filter := bson.D{}
	if prefix != "" {
		filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$gte", Value: prefix}, {Key: "$lt", Value: prefix + "\uffff"}}})
	}
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetProjection(bson.D{{Key: "payload", Value: 0}})
	cur, err := s.db.Collection(colDeliveries).Find(ctx, filter, opts)
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", unavailable(err))
	}
	var all []domain.Delivery
	if err := cur.All(ctx, &all); err != nil {
		return nil, fmt.Errorf("read outbox: %w", unavailable(err))
	}
	out := all[:0]
	for _, d := range all {
		d.Fill()
		if status == "" || d.Status == status {
			out = append(out, d)
		}
	}
	return out, nil
}

// ClaimDelivery inserts a lease for one delivery attempt. It returns false,
// without an error, when another sender claimed that attempt first.
func (s *Store) ClaimDelivery(ctx context.Context, l domain.DeliveryLease) (bool, error) {
	return s.claim(ctx, colLeases, l, "claim delivery "+l.ID)
}

// UpdateDelivery writes an outbox record's state fields (not its payload).
// Only the holder of the current lease calls it.
func (s *Store) UpdateDelivery(ctx context.Context, d domain.Delivery) error {
	set := bson.D{
		{Key: "status", Value: d.Status},
		{Key: "notBefore", Value: d.NotBefore.UTC()},
		{Key: "attempts", Value: d.Attempts},
		{Key: "failures", Value: d.Failures},
		{Key: "leaseUntil", Value: d.LeaseUntil.UTC()},
		{Key: "owner", Value: d.Owner},
		{Key: "posted", Value: d.Posted},
		{Key: "channel", Value: d.Channel},
		{Key: "ts", Value: d.TS},
		{Key: "uploaded", Value: d.Uploaded},
		{Key: "deliveredAt", Value: d.DeliveredAt.UTC()},
		{Key: "error", Value: d.Error},
	}
	if _, err := s.db.Collection(colDeliveries).UpdateOne(ctx, bson.D{{Key: "_id", Value: d.ID}}, bson.D{{Key: "$set", Value: set}}); err != nil {
		return fmt.Errorf("update delivery %s: %w", d.ID, unavailable(err))
	}
	return nil
}

// PruneJobRecords deletes the records of jobs' occurrences scheduled
// before before: occurrence records, outbox records and batches, and
// leases, whatever their state (a reminder that old is no longer worth
// sending). All their IDs start with job@<instant in RFC 3339 UTC>, so one
// _id range per job and collection selects them. It returns how many
// documents it removed. It scans (the janitor runs it once a day).
func (s *Store) PruneJobRecords(ctx context.Context, jobs []string, before time.Time) (int64, error) {
	var total int64
	for _, col := range []string{colJobRuns, colDeliveries, colOutbox, colLeases} {
		for _, job := range jobs {
			filter := bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: job + "@"}, {Key: "$lt", Value: job + "@" + before.UTC().Format(time.RFC3339)}}}}
			res, err := s.db.Collection(col).DeleteMany(ctx, filter)
			if err != nil {
				return total, fmt.Errorf("prune %s: %w", col, unavailable(err))
			}
			total += res.DeletedCount
		}
	}
	return total, nil
}

// claim inserts doc; a duplicate key means someone else holds the claim.
func (s *Store) claim(ctx context.Context, col string, doc any, what string) (bool, error) {
	_, err := s.db.Collection(col).InsertOne(ctx, doc)
	switch {
	case err == nil:
		return true, nil
	case IsDuplicate(err):
		return false, nil
	}
	return false, fmt.Errorf("%s: %w", what, unavailable(err))
}

// insertNew inserts docs unordered and ignores duplicate keys, returning
// how many were new.
func (s *Store) insertNew(ctx context.Context, col string, docs []any) (int, error) {
	if len(docs) == 0 {
		return 0, nil
	}
	res, err := s.db.Collection(col).InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	if err == nil {
		return len(res.InsertedIDs), nil
	}
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) || bwe.WriteConcernError != nil {
		return 0, unavailable(err)
	}
	dups := 0
	for _, we := range bwe.WriteErrors {
		if we.Code != 11000 && we.Code != 11001 && we.Code != 12582 {
			return 0, unavailable(err)
		}
		dups++
	}
	return len(docs) - dups, nil
}
