package storage

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/itspm/itspm/domain"
)

// colMetricSnaps holds the weekly metric snapshots of the governance
// digest, one per portfolio and ISO week (_id = portfolio@2026-W49): an
// insert into that key is how two replicas store one.
const colMetricSnaps = "metric_snapshots"

func init() {
	registerIndexes(colTollgateDecisions, mongo.IndexModel{Keys: bson.D{{Key: "at", Value: 1}}})
}

// InsertMetricSnapshots stores the snapshots not stored yet, in one round
// trip, and returns how many were new; existing ones are kept as they were
// (the first replica's figures win).
func (s *Store) InsertMetricSnapshots(ctx context.Context, snaps []domain.MetricSnapshot) (int, error) {
	docs := make([]any, len(snaps))
	for i := range snaps {
		docs[i] = snaps[i]
	}
	n, err := s.insertNew(ctx, colMetricSnaps, docs)
	if err != nil {
		return 0, fmt.Errorf("store metric snapshots: %w", err)
	}
	return n, nil
}

// MetricSnapshots reads snapshots by ID, in one round trip; missing ones
// are absent from the map.
func (s *Store) MetricSnapshots(ctx context.Context, ids []string) (map[string]domain.MetricSnapshot, error) {
	out := map[string]domain.MetricSnapshot{}
	if len(ids) == 0 {
		return out, nil
	}
	cur, err := s.db.Collection(colMetricSnaps).Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}})
	if err != nil {
		return nil, fmt.Errorf("read metric snapshots: %w", unavailable(err))
	}
	var snaps []domain.MetricSnapshot
	if err := cur.All(ctx, &snaps); err != nil {
		return nil, fmt.Errorf("read metric snapshots: %w", unavailable(err))
	}
	for _, sn := range snaps {
		out[sn.ID] = sn
	}
	return out, nil
}

// TollgateActivity returns the requests waiting for a decision (Status
// open, no DecidedAt) and those decided since since (DecidedAt and Status
// from their decision), for the metrics' lead time and the portfolio view.
// Three round trips whatever the numbers: the unsettled requests, the
// decisions since since or on those, the other decided requests.
func (s *Store) TollgateActivity(ctx context.Context, since time.Time) ([]domain.TollgateRequest, error) {
	unsettled, err := s.UnsettledTollgateRequests(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(unsettled))
	known := make(map[string]bool, len(unsettled))
	for i, r := range unsettled {
		ids[i], known[r.ID] = r.ID, true
	}
	cur, err := s.db.Collection(colTollgateDecisions).Find(ctx, bson.D{{Key: "$or", Value: bson.A{
		bson.D{{Key: "at", Value: bson.D{{Key: "$gte", Value: since.UTC()}}}},
		bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}},
	}}})
	if err != nil {
		return nil, fmt.Errorf("read tollgate decisions: %w", unavailable(err))
	}
	var ds []domain.TollgateDecision
	if err := cur.All(ctx, &ds); err != nil {
		return nil, fmt.Errorf("read tollgate decisions: %w", unavailable(err))
	}
	decided := make(map[string]domain.TollgateDecision, len(ds))
	var missing []string
	for _, d := range ds {
		decided[d.ID] = d
		if !known[d.ID] {
			missing = append(missing, d.ID)
		}
	}
	all := unsettled
	if len(missing) > 0 {
		cur, err := s.db.Collection(colTollgateRequests).Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: missing}}}})
		if err != nil {
			return nil, fmt.Errorf("read tollgate requests: %w", unavailable(err))
		}
		var more []domain.TollgateRequest
		if err := cur.All(ctx, &more); err != nil {
			return nil, fmt.Errorf("read tollgate requests: %w", unavailable(err))
		}
		all = append(all, more...)
	}
	out := all[:0]
	for _, r := range all {
		if d, ok := decided[r.ID]; ok {
			if d.At.Before(since) && !known[r.ID] {
				continue
			}
			r.DecidedAt, r.Status = d.At, d.Outcome.Status()
		}
		out = append(out, r)
	}
	return out, nil
}
