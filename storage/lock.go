package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// Write locks. A read-modify-write of one document (UpdateService) by two
// replicas at once would keep only the last write, and neither store
// helps: FerretDB's updates are themselves a read and a write, and even
// MongoDB's per-document atomicity does not cover our read. So writers of
// one document take turns through a lock claimed by unique insert (the
// one primitive both stores make atomic), with a lease so that a crashed
// holder cannot block the document for longer than lockLease.

const colLocks = "locks"

const (
	lockLease   = 10 * time.Second     // how long a lock holds without its holder
	lockPoll    = 5 * time.Millisecond // first wait between attempts; doubles to lockPollMax
	lockPollMax = 100 * time.Millisecond
)

type lockDoc struct {
	ID    string    `bson:"_id"`
	Owner string    `bson:"owner"`
	Until time.Time `bson:"until"`
}

// lock takes the lock named key, waiting for its holder (until ctx ends)
// and taking over a lock whose lease has passed. The returned unlock
// releases it, even after ctx has ended.
func (s *Store) lock(ctx context.Context, key string) (unlock func(), err error) {
	var b [8]byte
	_, _ = rand.Read(b[:])
	owner := hex.EncodeToString(b[:])
	col := s.db.Collection(colLocks)
	wait := lockPoll
	for {
		// Wall-clock time: a lease is real time, whatever clock the store
		// is given for its records.
		_, err := col.InsertOne(ctx, lockDoc{ID: key, Owner: owner, Until: time.Now().Add(lockLease).UTC()})
		if err == nil {
			return func() {
				ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				defer cancel()
				if _, err := col.DeleteOne(ctx, bson.D{{Key: "_id", Value: key}, {Key: "owner", Value: owner}}); err != nil {
					s.logger.Warn("release write lock; it expires by itself", "lock", key, "err", err)
				}
			}, nil
		}
		if !IsDuplicate(err) {
			return nil, fmt.Errorf("lock %s: %w", key, unavailable(err))
		}
		var held lockDoc
		err = col.FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&held)
		switch {
		case errors.Is(err, mongo.ErrNoDocuments):
			continue // released meanwhile
		case err != nil:
			return nil, fmt.Errorf("lock %s: %w", key, unavailable(err))
		case time.Now().After(held.Until):
			s.logger.Warn("taking over an expired write lock", "lock", key, "owner", held.Owner)
			if _, err := col.DeleteOne(ctx, bson.D{{Key: "_id", Value: key}, {Key: "owner", Value: held.Owner}}); err != nil {
				return nil, fmt.Errorf("lock %s: %w", key, unavailable(err))
			}
			continue
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("lock %s: %w", key, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, lockPollMax)
	}
}
