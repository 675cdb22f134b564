package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// colSLIReports holds one document per service and month whose failed
// Prometheus queries were reported to the owner (job sli-sync): inserted
// under a unique _id, so the report goes out once across replicas and
// re-runs of the job.
const colSLIReports = "sli_reports"

type onceDoc struct {
	ID     string    `bson:"_id"`
	Holder string    `bson:"holder"` // the job occurrence that claimed it
	At     time.Time `bson:"at"`
}

// ClaimSLIReports claims each key for holder by unique insert and returns
// the holder of every key: holder itself for the keys it won now or had
// won before (a re-run of the same occurrence after a crash), another
// occurrence's ID for keys claimed earlier. Two round trips at most.
func (s *Store) ClaimSLIReports(ctx context.Context, keys []string, holder string) (map[string]string, error) {
	out := make(map[string]string, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	now := s.now().UTC()
	docs := make([]any, len(keys))
	for i, k := range keys {
		docs[i] = onceDoc{ID: k, Holder: holder, At: now}
	}
	col := s.db.Collection(colSLIReports)
	_, err := col.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	var taken []string
	if err != nil {
		var bwe mongo.BulkWriteException
		if !errors.As(err, &bwe) || bwe.WriteConcernError != nil {
			return nil, fmt.Errorf("claim SLI reports: %w", unavailable(err))
		}
		lost := map[int]bool{}
		for _, we := range bwe.WriteErrors {
			if we.Code != 11000 {
				return nil, fmt.Errorf("claim SLI reports: %w", err)
			}
			lost[we.Index] = true
		}
		for i, k := range keys {
			if lost[i] {
				taken = append(taken, k)
			}
		}
	}
	for _, k := range keys {
		out[k] = holder
	}
	if len(taken) == 0 {
		return out, nil
	}
	cur, err := col.Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: taken}}}})
	if err != nil {
		return nil, fmt.Errorf("read SLI report claims: %w", unavailable(err))
	}
	var held []onceDoc
	if err := cur.All(ctx, &held); err != nil {
		return nil, fmt.Errorf("read SLI report claims: %w", unavailable(err))
	}
	for _, h := range held {
		out[h.ID] = h.Holder
	}
	return out, nil
}
