package storage

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// colEvents remembers which inbound Slack deliveries (Events API event_ids,
// slash command and interaction trigger_ids) were already handled, so a
// retried delivery takes effect once. The claim is an insert into _id: on
// the embedded store that is the only "once" that holds across replicas.
const colEvents = "slack_events"

func init() {
	// Prune deletes by age.
	registerIndexes(colEvents, mongo.IndexModel{Keys: bson.D{{Key: "at", Value: 1}}})
}

type eventDoc struct {
	Key string    `bson:"_id"`
	At  time.Time `bson:"at"`
}

// ClaimEvent records key (e.g. "event:Ev123") as handled. It returns true
// for the first claim of key, across every process sharing the database,
// and false for any later one.
func (s *Store) ClaimEvent(ctx context.Context, key string) (first bool, err error) {
	if key == "" {
		return false, fmt.Errorf("claim event: empty key")
	}
	_, err = s.db.Collection(colEvents).InsertOne(ctx, eventDoc{Key: key, At: s.now().UTC()})
	switch {
	case err == nil:
		return true, nil
	case IsDuplicate(err):
		return false, nil
	default:
		return false, fmt.Errorf("claim event %s: %w", key, unavailable(err))
	}
}

// PruneEvents forgets claims made before cutoff and returns how many. Slack
// retries a delivery for minutes, not days, so a janitor may prune claims
// older than a day or so.
func (s *Store) PruneEvents(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := s.db.Collection(colEvents).DeleteMany(ctx, bson.D{{Key: "at", Value: bson.D{{Key: "$lt", Value: cutoff.UTC()}}}})
	if err != nil {
		return 0, fmt.Errorf("prune events: %w", unavailable(err))
	}
	return res.DeletedCount, nil
}
