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

// change is one entry of the change log: the documents a write touched.
// Entries are numbered 1, 2, 3… and each number is claimed by a unique
// insert, so every process sees every change in order by probing seq+1.
type change struct {
	ID   string              `bson:"_id"` // seqID(Seq): the embedded store only pushes string _id lookups down to SQLite
	Seq  int64               `bson:"seq"`
	At   time.Time           `bson:"at"`
	Docs map[string][]string `bson:"docs,omitempty"` // kind → names
	All  bool                `bson:"all,omitempty"`
}

const (
	maxProbe     = 64              // beyond this many pending changes, reload everything
	maxNamesLog  = 2000            // a change touching more documents says "all"
	snapshotLife = 5 * time.Minute // safety net: reload even without a change entry
	// probeTimeout bounds a refresh's change-log probe, which normally
	// takes a millisecond: with the store gone, the requests waiting learn
	// it after this long rather than at the end of their own (longer)
	// deadlines. Re-reading changed documents is not bounded by it.
	probeTimeout = 5 * time.Second
)

// cached is the store's in-memory snapshot and the change-log position it
// reflects.
type cached struct {
	*domain.Snapshot
	seq       int64
	loadedAt  time.Time
	checkedAt time.Time // wall-clock start of the last probe (not the store's clock, which tests may freeze)
}

// Snapshot returns the current catalog, refreshing it from the change log.
//
// Requests that queue behind a probe share the next one: a probe that
// started after a request arrived sees every write that finished before
// it, so under load one probe serves a whole queue and no answer is older
// than the request that asked. A probe the store failed fails the requests
// that arrived before it ended too: the store was failing while they
// waited, and with it down a queue of requests then waits one probe
// timeout between them, not one each in turn.
func (s *Store) Snapshot(ctx context.Context) (*domain.Snapshot, error) {
	arrived := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.snap != nil && s.snap.checkedAt.After(arrived) {
		return s.snap.Snapshot, nil
	}
	if s.failed.err != nil && s.failed.end.After(arrived) {
		return nil, s.failed.err
	}
	probe := time.Now()
	var snap *cached
	var err error
	if s.snap == nil || s.now().Sub(s.snap.loadedAt) > snapshotLife {
		snap, err = s.load(ctx)
	} else {
		snap, err = s.refresh(ctx, s.snap)
	}
	if err != nil {
		if ctx.Err() == nil { // the store's failure, not this request's deadline
			s.failed.end, s.failed.err = time.Now(), err
		}
		return nil, err
	}
	snap.checkedAt = probe
	s.snap, s.failed.err = snap, nil
	return snap.Snapshot, nil
}

// seqID is the _id of change number seq; zero-padded so ids sort by number.
func seqID(seq int64) string { return fmt.Sprintf("c%015d", seq) }

func (s *Store) lastSeq(ctx context.Context) (int64, error) {
	var c change
	err := s.db.Collection(colChanges).FindOne(ctx, bson.D{}, options.FindOne().SetSort(bson.D{{Key: "_id", Value: -1}})).Decode(&c)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read change log: %w", unavailable(err))
	}
	return c.Seq, nil
}

// load reads the whole catalog. The change sequence is read first, so a
// change racing with the load is applied again on the next refresh.
func (s *Store) load(ctx context.Context) (*cached, error) {
	seq, err := s.lastSeq(ctx)
	if err != nil {
		return nil, err
	}
	snap := &cached{Snapshot: &domain.Snapshot{}, seq: seq, loadedAt: s.now()}
	if snap.People, err = loadAll[domain.Person](ctx, s.db.Collection(colPeople), nil); err != nil {
		return nil, err
	}
	if snap.Portfolios, err = loadAll[domain.Portfolio](ctx, s.db.Collection(colPortfolios), nil); err != nil {
		return nil, err
	}
	if snap.Boards, err = loadAll[domain.Board](ctx, s.db.Collection(colBoards), nil); err != nil {
		return nil, err
	}
	if snap.Tollgates, err = loadAll[domain.Tollgate](ctx, s.db.Collection(colTollgates), nil); err != nil {
		return nil, err
	}
	if snap.Services, err = loadAll[domain.Service](ctx, s.db.Collection(colServices), nil); err != nil {
		return nil, err
	}
	snap.Reindex()
	return snap, nil
}

func loadAll[T any](ctx context.Context, col *mongo.Collection, ids []string) (map[string]*T, error) {
	filter := bson.D{}
	if ids != nil {
		filter = bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}}
	}
	cur, err := col.Find(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", col.Name(), unavailable(err))
	}
	var docs []*T
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("read %s: %w", col.Name(), unavailable(err))
	}
	m := make(map[string]*T, len(docs))
	for _, d := range docs {
		m[docName(d)] = d
	}
	return m, nil
}

// byIDReload is how many changed documents a refresh re-reads one _id
// lookup each. On the embedded store {_id: {$in: …}} costs far more than
// FindOnes by _id (measured by bench's write rows: 100 `measure` writes at
// 10,000 services did not finish in 20 minutes with $in; with FindOne a
// write's p50 is 1.6 s, beside 0.28 s for one raw ReplaceOne).
const byIDReload = 8

func loadByID[T any](ctx context.Context, col *mongo.Collection, ids []string) (map[string]*T, error) {
	m := make(map[string]*T, len(ids))
	for _, id := range ids {
		var d T
		err := col.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s %s: %w", col.Name(), id, unavailable(err))
		}
		m[id] = &d
	}
	return m, nil
}

func docName(d any) string {
	switch v := d.(type) {
	case *domain.Person:
		return v.Name
	case *domain.Portfolio:
		return v.Name
	case *domain.Board:
		return v.Name
	case *domain.Tollgate:
		return v.Name
	case *domain.Service:
		return v.Name
	}
	panic(fmt.Sprintf("docName: unexpected %T", d))
}

// refresh applies the change-log entries after snap.seq. With nothing new it
// costs one _id lookup.
func (s *Store) refresh(ctx context.Context, snap *cached) (*cached, error) {
	col := s.db.Collection(colChanges)
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	var pending []change
	for seq := snap.seq + 1; ; seq++ {
		var c change
		err := col.FindOne(pctx, bson.D{{Key: "_id", Value: seqID(seq)}}).Decode(&c)
		if errors.Is(err, mongo.ErrNoDocuments) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read change log: %w", unavailable(err))
		}
		if c.All || len(pending) >= maxProbe {
			return s.load(ctx)
		}
		pending = append(pending, c)
	}
	if len(pending) == 0 {
		return snap, nil
	}
	touched := map[string]map[string]bool{}
	for _, c := range pending {
		for kind, names := range c.Docs {
			if touched[kind] == nil {
				touched[kind] = map[string]bool{}
			}
			for _, n := range names {
				touched[kind][n] = true
			}
		}
	}
	next := &cached{seq: pending[len(pending)-1].Seq, loadedAt: snap.loadedAt, Snapshot: &domain.Snapshot{
		People: snap.People, Portfolios: snap.Portfolios, Boards: snap.Boards, Tollgates: snap.Tollgates, Services: snap.Services}}
	var err error
	if next.People, err = reload(ctx, s.db.Collection(colPeople), snap.People, touched[domain.KindPerson]); err != nil {
		return nil, err
	}
	if next.Portfolios, err = reload(ctx, s.db.Collection(colPortfolios), snap.Portfolios, touched[domain.KindPortfolio]); err != nil {
		return nil, err
	}
	if next.Boards, err = reload(ctx, s.db.Collection(colBoards), snap.Boards, touched[domain.KindBoard]); err != nil {
		return nil, err
	}
	if next.Tollgates, err = reload(ctx, s.db.Collection(colTollgates), snap.Tollgates, touched[domain.KindTollgate]); err != nil {
		return nil, err
	}
	if next.Services, err = reload(ctx, s.db.Collection(colServices), snap.Services, touched[domain.KindService]); err != nil {
		return nil, err
	}
	next.Reindex()
	return next, nil
}

// reload copies m and re-reads the named documents (deleting vanished ones).
func reload[T any](ctx context.Context, col *mongo.Collection, m map[string]*T, names map[string]bool) (map[string]*T, error) {
	if len(names) == 0 {
		return m, nil
	}
	ids := make([]string, 0, len(names))
	for n := range names {
		ids = append(ids, n)
	}
	var fresh map[string]*T
	var err error
	if len(ids) <= byIDReload {
		fresh, err = loadByID[T](ctx, col, ids)
	} else {
		fresh, err = loadAll[T](ctx, col, ids)
	}
	if err != nil {
		return nil, err
	}
	out := make(map[string]*T, len(m)+len(fresh))
	for k, v := range m {
		out[k] = v
	}
	for _, n := range ids {
		if v, ok := fresh[n]; ok {
			out[n] = v
		} else {
			delete(out, n)
		}
	}
	return out, nil
}

// announce appends a change-log entry after a write, claiming the next
// sequence number by unique insert.
func (s *Store) announce(ctx context.Context, docs map[string][]string) error {
	total := 0
	for _, names := range docs {
		total += len(names)
	}
	if total == 0 {
		return nil
	}
	c := change{At: s.now().UTC(), Docs: docs}
	if total > maxNamesLog {
		c.Docs, c.All = nil, true
	}
	s.mu.Lock()
	var seq int64
	if s.snap != nil {
		seq = s.snap.seq
	}
	s.mu.Unlock()
	col := s.db.Collection(colChanges)
	for attempt := 0; attempt < 1000; attempt++ {
		if attempt > 0 && attempt%8 == 0 {
			last, err := s.lastSeq(ctx)
			if err != nil {
				return err
			}
			seq = max(seq, last)
		}
		seq++
		c.Seq, c.ID = seq, seqID(seq)
		_, err := col.InsertOne(ctx, c)
		if err == nil {
			return nil
		}
		if !IsDuplicate(err) {
			return fmt.Errorf("write change log: %w", unavailable(err))
		}
	}
	return errors.New("write change log: too much contention")
}

// PruneChanges deletes change-log entries older than before, keeping the
// newest so that sequence numbers keep growing. Processes whose snapshot is
// older than the pruned entries reload in full (snapshotLife bounds that).
func (s *Store) PruneChanges(ctx context.Context, before time.Time) (int64, error) {
	last, err := s.lastSeq(ctx)
	if err != nil {
		return 0, err
	}
	res, err := s.db.Collection(colChanges).DeleteMany(ctx, bson.D{
		{Key: "at", Value: bson.D{{Key: "$lt", Value: before.UTC()}}},
		{Key: "_id", Value: bson.D{{Key: "$lt", Value: seqID(last)}}},
	})
	if err != nil {
		return 0, fmt.Errorf("prune change log: %w", unavailable(err))
	}
	return res.DeletedCount, nil
}
