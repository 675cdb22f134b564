package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/itspm/itspm/domain"
)

// Tollgate workflow collections. Every "once" is a unique insert (the
// embedded store's conditional updates are not atomic):
//
//   - tollgate_open: one marker per service (_id = service name) while a
//     request for it is open, so a service has at most one open request;
//   - tollgate_requests: the requests (_id = TG-<service>-<n>);
//   - tollgate_votes: one document per vote (_id = <request>#<slot>) with a
//     unique (request, voter) index: slots give the arrival order, the
//     index one vote per member;
//   - tollgate_decisions: the decision (_id = request ID), one per request;
//   - tollgate_steps: the effects of a decision already applied
//     (_id = <request>/<step>), so a retry after a crash does each once.
const (
	colTollgateOpen      = "tollgate_open"
	colTollgateRequests  = "tollgate_requests"
	colTollgateVotes     = "tollgate_votes"
	colTollgateDecisions = "tollgate_decisions"
	colTollgateSteps     = "tollgate_steps"
)

func init() {
	registerIndexes(colTollgateVotes,
		mongo.IndexModel{Keys: bson.D{{Key: "request", Value: 1}, {Key: "voter", Value: 1}},
			Options: options.Index().SetUnique(true).SetName("request_voter_unique")},
		mongo.IndexModel{Keys: bson.D{{Key: "request", Value: 1}, {Key: "slot", Value: 1}}},
	)
	registerIndexes(colTollgateRequests,
		mongo.IndexModel{Keys: bson.D{{Key: "status", Value: 1}}},
		mongo.IndexModel{Keys: bson.D{{Key: "service", Value: 1}}},
	)
}

// openMarker says which request holds a service's single open slot.
type openMarker struct {
	Service string    `bson:"_id"`
	Request string    `bson:"request"`
	At      time.Time `bson:"at"`
}

// staleMarker is how long a marker whose request document never appeared
// (the opener crashed between the two inserts) blocks new requests.
const staleMarker = time.Minute

// OpenTollgateRequest stores a new open request for req.Service, choosing
// req.ID (TG-<service>-<n>). It fails with a domain.Conflict naming the
// open request when the service already has one.
func (s *Store) OpenTollgateRequest(ctx context.Context, req *domain.TollgateRequest) error {
	reqs := s.db.Collection(colTollgateRequests)
	n, err := reqs.CountDocuments(ctx, bson.D{{Key: "service", Value: req.Service}})
	if err != nil {
		return fmt.Errorf("count tollgate requests: %w", unavailable(err))
	}
	req.Status = domain.RequestOpen
	req.ID = fmt.Sprintf("TG-%s-%d", req.Service, n+1)
	held, err := s.claimOpen(ctx, req)
	if err != nil {
		return err
	}
	if held != "" {
		return domain.Errorf(domain.Conflict, "%s already has an open tollgate request: %s. Vote on it, or withdraw it with `withdraw %s`.", req.Service, held, held)
	}
	// The number is claimed by the request's own unique _id; a clash (a
	// count that raced with another opener) moves on to the next one.
	for range 20 {
		_, err = reqs.InsertOne(ctx, req)
		if err == nil {
			return nil
		}
		if !IsDuplicate(err) {
			s.releaseOpen(ctx, req.Service, req.ID)
			return fmt.Errorf("store tollgate request: %w", unavailable(err))
		}
		n++
		old := req.ID
		req.ID = fmt.Sprintf("TG-%s-%d", req.Service, n+1)
		if _, err := s.db.Collection(colTollgateOpen).UpdateOne(ctx,
			bson.D{{Key: "_id", Value: req.Service}, {Key: "request", Value: old}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "request", Value: req.ID}}}}); err != nil {
			s.releaseOpen(ctx, req.Service, old)
			return fmt.Errorf("store tollgate request: %w", unavailable(err))
		}
	}
	s.releaseOpen(ctx, req.Service, req.ID)
	return errors.New("store tollgate request: no free request number")
}

// claimOpen inserts the service's open marker. It returns the ID of the
// request already holding it ("" when req got it), clearing markers left
// by decided requests or by openers that crashed.
func (s *Store) claimOpen(ctx context.Context, req *domain.TollgateRequest) (string, error) {
	col := s.db.Collection(colTollgateOpen)
	for attempt := 0; attempt < 3; attempt++ {
		_, err := col.InsertOne(ctx, openMarker{Service: req.Service, Request: req.ID, At: s.now().UTC()})
		if err == nil {
			return "", nil
		}
		if !IsDuplicate(err) {
			return "", fmt.Errorf("claim open tollgate request: %w", unavailable(err))
		}
		var m openMarker
		err = col.FindOne(ctx, bson.D{{Key: "_id", Value: req.Service}}).Decode(&m)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue // released meanwhile
		}
		if err != nil {
			return "", fmt.Errorf("read open tollgate request: %w", unavailable(err))
		}
		stale, err := s.staleOpen(ctx, m)
		if err != nil {
			return "", err
		}
		if !stale {
			return m.Request, nil
		}
		s.releaseOpen(ctx, m.Service, m.Request)
	}
	return "", errors.New("claim open tollgate request: too much contention")
}

// staleOpen reports whether a marker no longer stands for an open request.
func (s *Store) staleOpen(ctx context.Context, m openMarker) (bool, error) {
	if _, err := s.TollgateDecision(ctx, m.Request); err == nil {
		return true, nil
	} else if domain.ErrorCode(err) != domain.NotFound {
		return false, err
	}
	if _, err := s.TollgateRequest(ctx, m.Request); err == nil {
		return false, nil
	} else if domain.ErrorCode(err) != domain.NotFound {
		return false, err
	}
	return s.now().Sub(m.At) > staleMarker, nil
}

// releaseOpen deletes the service's open marker if it still names request.
func (s *Store) releaseOpen(ctx context.Context, service, request string) {
	_, err := s.db.Collection(colTollgateOpen).DeleteOne(ctx, bson.D{{Key: "_id", Value: service}, {Key: "request", Value: request}})
	if err != nil {
		s.logger.Warn("release open tollgate marker", "service", service, "request", request, "err", err)
	}
}

// TollgateRequest reads one request; NotFound when there is none.
func (s *Store) TollgateRequest(ctx context.Context, id string) (*domain.TollgateRequest, error) {
	var r domain.TollgateRequest
	err := s.db.Collection(colTollgateRequests).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&r)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, domain.Errorf(domain.NotFound, "There is no tollgate request %q. `tollgates` lists the open ones.", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read tollgate request %s: %w", id, unavailable(err))
	}
	return &r, nil
}

// setRequest sets fields of a tollgate request. Several replicas update a
// request (its message, its reminders, its closing), and the embedded
// store keeps only one of two concurrent updates of a document, so they
// take turns (see lock.go).
func (s *Store) setRequest(ctx context.Context, id, what string, fields bson.D) error {
	unlock, err := s.lock(ctx, "tollgate/"+id)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer unlock()
	if _, err := s.db.Collection(colTollgateRequests).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$set", Value: fields}}); err != nil {
		return fmt.Errorf("%s: %w", what, unavailable(err))
	}
	return nil
}

// SetTollgateMessage records where the approval message was posted.
func (s *Store) SetTollgateMessage(ctx context.Context, id, channel, ts string) error {
	return s.setRequest(ctx, id, "record tollgate message", bson.D{{Key: "channel", Value: channel}, {Key: "messageTs", Value: ts}})
}

// SetTollgateLinePending records whether the service channel's line about
// a request is still to be posted.
func (s *Store) SetTollgateLinePending(ctx context.Context, id string, pending bool) error {
	return s.setRequest(ctx, id, "record tollgate channel line", bson.D{{Key: "linePending", Value: pending}})
}

// SetTollgateReminded records when approvers were last nudged.
func (s *Store) SetTollgateReminded(ctx context.Context, id string, at time.Time) error {
	return s.setRequest(ctx, id, "record tollgate reminder", bson.D{{Key: "reminded", Value: at.UTC()}})
}

// UnsettledTollgateRequests returns the requests whose status is still
// open, oldest first: the open ones and the decided ones whose effects are
// not all applied yet (see CloseTollgateRequest).
func (s *Store) UnsettledTollgateRequests(ctx context.Context) ([]domain.TollgateRequest, error) {
	cur, err := s.db.Collection(colTollgateRequests).Find(ctx, bson.D{{Key: "status", Value: domain.RequestOpen}},
		options.Find().SetSort(bson.D{{Key: "openedAt", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("read open tollgate requests: %w", unavailable(err))
	}
	var out []domain.TollgateRequest
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("read open tollgate requests: %w", unavailable(err))
	}
	return out, nil
}

// OpenTollgateRequests returns the requests waiting for a decision, oldest
// first, in two round trips whatever their number.
func (s *Store) OpenTollgateRequests(ctx context.Context) ([]domain.TollgateRequest, error) {
	all, err := s.UnsettledTollgateRequests(ctx)
	if err != nil || len(all) == 0 {
		return all, err
	}
	ids := make([]string, len(all))
	for i, r := range all {
		ids[i] = r.ID
	}
	decided, err := s.TollgateDecisions(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, r := range all {
		if _, ok := decided[r.ID]; !ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// TollgateVotes returns the votes on each request in arrival (slot) order,
// in one round trip.
func (s *Store) TollgateVotes(ctx context.Context, requestIDs []string) (map[string][]domain.Vote, error) {
	out := map[string][]domain.Vote{}
	if len(requestIDs) == 0 {
		return out, nil
	}
	cur, err := s.db.Collection(colTollgateVotes).Find(ctx,
		bson.D{{Key: "request", Value: bson.D{{Key: "$in", Value: requestIDs}}}},
		options.Find().SetSort(bson.D{{Key: "request", Value: 1}, {Key: "slot", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("read tollgate votes: %w", unavailable(err))
	}
	var votes []domain.Vote
	if err := cur.All(ctx, &votes); err != nil {
		return nil, fmt.Errorf("read tollgate votes: %w", unavailable(err))
	}
	for _, v := range votes {
		out[v.Request] = append(out[v.Request], v)
	}
	return out, nil
}

// InsertTollgateVote claims v's slot (v.ID = <request>#<slot>). It returns
// false, without error, when the slot is taken or the voter already holds
// one: the caller re-reads the votes to tell which.
func (s *Store) InsertTollgateVote(ctx context.Context, v domain.Vote) (bool, error) {
	v.ID = VoteID(v.Request, v.Slot)
	_, err := s.db.Collection(colTollgateVotes).InsertOne(ctx, v)
	if err == nil {
		return true, nil
	}
	if IsDuplicate(err) {
		return false, nil
	}
	return false, fmt.Errorf("store tollgate vote: %w", unavailable(err))
}

// VoteID is the _id of the vote in a request's slot.
func VoteID(request string, slot int) string { return fmt.Sprintf("%s#%d", request, slot) }

// DeleteTollgateVote removes a vote that arrived too late to count.
func (s *Store) DeleteTollgateVote(ctx context.Context, id string) error {
	if _, err := s.db.Collection(colTollgateVotes).DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
		return fmt.Errorf("delete late tollgate vote: %w", unavailable(err))
	}
	return nil
}

// DecideTollgate inserts the decision. Exactly one caller per request gets
// won = true; the others get the decision that won.
func (s *Store) DecideTollgate(ctx context.Context, d domain.TollgateDecision) (won bool, winner *domain.TollgateDecision, err error) {
	_, err = s.db.Collection(colTollgateDecisions).InsertOne(ctx, d)
	if err == nil {
		return true, &d, nil
	}
	if !IsDuplicate(err) {
		return false, nil, fmt.Errorf("store tollgate decision: %w", unavailable(err))
	}
	winner, err = s.TollgateDecision(ctx, d.ID)
	if err != nil {
		return false, nil, err
	}
	return false, winner, nil
}

// TollgateDecision reads a request's decision; NotFound while undecided.
func (s *Store) TollgateDecision(ctx context.Context, id string) (*domain.TollgateDecision, error) {
	var d domain.TollgateDecision
	err := s.db.Collection(colTollgateDecisions).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, domain.Errorf(domain.NotFound, "Tollgate request %s is not decided yet.", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read tollgate decision %s: %w", id, unavailable(err))
	}
	return &d, nil
}

// TollgateDecisions reads the decisions on requests, in one round trip.
func (s *Store) TollgateDecisions(ctx context.Context, ids []string) (map[string]domain.TollgateDecision, error) {
	out := map[string]domain.TollgateDecision{}
	if len(ids) == 0 {
		return out, nil
	}
	cur, err := s.db.Collection(colTollgateDecisions).Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}})
	if err != nil {
		return nil, fmt.Errorf("read tollgate decisions: %w", unavailable(err))
	}
	var ds []domain.TollgateDecision
	if err := cur.All(ctx, &ds); err != nil {
		return nil, fmt.Errorf("read tollgate decisions: %w", unavailable(err))
	}
	for _, d := range ds {
		out[d.ID] = d
	}
	return out, nil
}

// step records one applied effect of a decision.
type step struct {
	ID string    `bson:"_id"`
	At time.Time `bson:"at"`
}

// ClaimTollgateStep records that an effect of request's decision is done (or,
// for a lease, taken). It returns false when it already was.
func (s *Store) ClaimTollgateStep(ctx context.Context, request, name string) (bool, error) {
	_, err := s.db.Collection(colTollgateSteps).InsertOne(ctx, step{ID: request + "/" + name, At: s.now().UTC()})
	if err == nil {
		return true, nil
	}
	if IsDuplicate(err) {
		return false, nil
	}
	return false, fmt.Errorf("record tollgate step: %w", unavailable(err))
}

// TollgateSteps returns the names of the effects recorded for request.
func (s *Store) TollgateSteps(ctx context.Context, request string) (map[string]bool, error) {
	prefix := request + "/"
	// _id range scan: the steps of one request sort together.
	cur, err := s.db.Collection(colTollgateSteps).Find(ctx, bson.D{{Key: "_id", Value: bson.D{
		{Key: "$gte", Value: prefix}, {Key: "$lt", Value: request + "0"}}}})
	if err != nil {
		return nil, fmt.Errorf("read tollgate steps: %w", unavailable(err))
	}
	var steps []step
	if err := cur.All(ctx, &steps); err != nil {
		return nil, fmt.Errorf("read tollgate steps: %w", unavailable(err))
	}
	out := map[string]bool{}
	for _, st := range steps {
		out[st.ID[len(prefix):]] = true
	}
	return out, nil
}

// CloseTollgateRequest settles a decided request: its status follows the
// decision and the service's open marker goes, so a new request may be
// opened. Idempotent.
func (s *Store) CloseTollgateRequest(ctx context.Context, req *domain.TollgateRequest, status string, at time.Time) error {
	if err := s.setRequest(ctx, req.ID, "close tollgate request", bson.D{{Key: "status", Value: status}, {Key: "decidedAt", Value: at.UTC()}}); err != nil {
		return err
	}
	if _, err := s.db.Collection(colTollgateOpen).DeleteOne(ctx,
		bson.D{{Key: "_id", Value: req.Service}, {Key: "request", Value: req.ID}}); err != nil {
		return fmt.Errorf("close tollgate request: %w", unavailable(err))
	}
	return nil
}

// AppendAuditOnce records entries whose IDs are fixed by the caller, in one
// round trip; an entry already there (a retried effect) is left as it is
// and the others are still written.
func (s *Store) AppendAuditOnce(ctx context.Context, entries ...domain.AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	docs := make([]any, len(entries))
	for i, e := range entries {
		if e.At.IsZero() {
			e.At = s.now().UTC()
		}
		docs[i] = e
	}
	_, err := s.db.Collection(colAudit).InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	if err != nil && !onlyDuplicates(err) {
		return fmt.Errorf("append audit trail: %w", unavailable(err))
	}
	return nil
}

// onlyDuplicates reports whether every write an insert refused was refused
// as a duplicate key.
func onlyDuplicates(err error) bool {
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) {
		return IsDuplicate(err)
	}
	if bwe.WriteConcernError != nil || len(bwe.WriteErrors) == 0 {
		return false
	}
	for _, we := range bwe.WriteErrors {
		if !IsDuplicate(we.WriteError) {
			return false
		}
	}
	return true
}
