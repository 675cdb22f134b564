package storage

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/itspm/itspm/domain"
)

func init() {
	// A reminder's button finds the message it is on by where it landed.
	registerIndexes(colDeliveries, mongo.IndexModel{Keys: bson.D{{Key: "channel", Value: 1}, {Key: "ts", Value: 1}}})
}

// DeliveryAt returns the delivered message posted at channel and ts (the
// reminder a button was clicked on), ok false when the outbox has none
// (pruned, or not posted by a job). It is one query, not by _id: clicks
// are rare next to reads.
func (s *Store) DeliveryAt(ctx context.Context, channel, ts string) (domain.Delivery, bool, error) {
	var d domain.Delivery
	if channel == "" || ts == "" {
		return d, false, nil
	}
	err := s.db.Collection(colDeliveries).FindOne(ctx, bson.D{{Key: "channel", Value: channel}, {Key: "ts", Value: ts}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return d, false, nil
	}
	if err != nil {
		return d, false, fmt.Errorf("read the delivery at %s/%s: %w", channel, ts, unavailable(err))
	}
	d.Fill()
	return d, true, nil
}
