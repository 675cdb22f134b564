package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/itspm/itspm/domain"
)

// ImportResult counts what an import changed, by kind.
type ImportResult = domain.Changes

// Apply upserts the documents of cat by name, appending an audit entry for
// each created or changed document. Documents equal to the stored ones are
// left alone, so re-importing a file changes nothing. The caller validates
// first; Apply writes kinds in dependency order.
func (s *Store) Apply(ctx context.Context, cat *domain.Catalog, actor, source string) (ImportResult, error) {
	res := ImportResult{Created: map[string]int{}, Updated: map[string]int{}, Unchanged: map[string]int{}}
	snap, err := s.Snapshot(ctx)
	if err != nil {
		return res, err
	}
	now := s.now().UTC()
	touched := map[string][]string{}
	var audit []any
	// New documents are inserted in bulk: on the embedded store an upsert
	// costs ~35 times an insert. Changed ones are replaced.
	type pending struct {
		inserts []any
		updates []mongo.WriteModel
	}
	writes := map[string]*pending{}
	plan := func(kind, col string, name string, old, doc any) {
		var before any
		if !reflect.ValueOf(old).IsNil() {
			before = old
		}
		if before != nil && equalJSON(before, doc) {
			res.Unchanged[kind]++
			return
		}
		if writes[col] == nil {
			writes[col] = &pending{}
		}
		action := "import.update"
		if before == nil {
			action = "import.create"
			res.Created[kind]++
			writes[col].inserts = append(writes[col].inserts, doc)
		} else {
			res.Updated[kind]++
			writes[col].updates = append(writes[col].updates, replaceModel(name, doc))
		}
		touched[kind] = append(touched[kind], name)
		e := domain.AuditEntry{ID: NewID(now), At: now, Actor: actor, Action: action, Kind: kind, Name: name, Source: source}
		if before != nil {
			// A creation's "after" is the document itself: listing every
			// field would double the audit trail of a large import.
			e.Changes = Diff(before, doc)
		}
		if kind == domain.KindService {
			e.Service = name
		}
		e.Summary = fmt.Sprintf("%s %s %s", map[bool]string{true: "created", false: "updated"}[before == nil], kind, name)
		audit = append(audit, e)
	}
	for i := range cat.People {
		d := &cat.People[i]
		plan(domain.KindPerson, colPeople, d.Name, snap.People[d.Name], d)
	}
	for i := range cat.Portfolios {
		d := &cat.Portfolios[i]
		plan(domain.KindPortfolio, colPortfolios, d.Name, snap.Portfolios[d.Name], d)
	}
	for i := range cat.Boards {
		d := &cat.Boards[i]
		plan(domain.KindBoard, colBoards, d.Name, snap.Boards[d.Name], d)
	}
	for i := range cat.Tollgates {
		d := &cat.Tollgates[i]
		plan(domain.KindTollgate, colTollgates, d.Name, snap.Tollgates[d.Name], d)
	}
	for i := range cat.Services {
		d := &cat.Services[i]
		plan(domain.KindService, colServices, d.Name, snap.Services[d.Name], d)
	}
	for _, col := range []string{colPeople, colPortfolios, colBoards, colTollgates, colServices} {
		w := writes[col]
		if w == nil {
			continue
		}
		if err := s.insertOrReplace(ctx, s.db.Collection(col), w.inserts); err != nil {
			return res, err
		}
		models := w.updates
		for len(models) > 0 {
			n := min(len(models), 500)
			if _, err := s.db.Collection(col).BulkWrite(ctx, models[:n], options.BulkWrite().SetOrdered(false)); err != nil {
				return res, fmt.Errorf("write %s: %w", col, unavailable(err))
			}
			models = models[n:]
		}
	}
	if err := s.appendAudit(ctx, audit...); err != nil {
		return res, err
	}
	return res, s.announce(ctx, touched)
}

func replaceModel(name string, doc any) mongo.WriteModel {
	return mongo.NewReplaceOneModel().SetFilter(bson.D{{Key: "_id", Value: name}}).SetReplacement(doc).SetUpsert(true)
}

// insertOrReplace inserts new documents in batches. A document that another
// process inserted meanwhile (duplicate key) is replaced instead, so the
// last import wins as with an upsert.
func (s *Store) insertOrReplace(ctx context.Context, col *mongo.Collection, docs []any) error {
	for len(docs) > 0 {
		n := min(len(docs), 250) // small batches bound the memory a big import needs
		batch := docs[:n]
		docs = docs[n:]
		_, err := col.InsertMany(ctx, batch, options.InsertMany().SetOrdered(false))
		if err == nil {
			continue
		}
		var bwe mongo.BulkWriteException
		if !errors.As(err, &bwe) || bwe.WriteConcernError != nil {
			return fmt.Errorf("write %s: %w", col.Name(), unavailable(err))
		}
		var retry []mongo.WriteModel
		for _, we := range bwe.WriteErrors {
			if we.Code != 11000 {
				return fmt.Errorf("write %s: %w", col.Name(), err)
			}
			retry = append(retry, replaceModel(docName(batch[we.Index]), batch[we.Index]))
		}
		if _, err := col.BulkWrite(ctx, retry, options.BulkWrite().SetOrdered(false)); err != nil {
			return fmt.Errorf("write %s: %w", col.Name(), unavailable(err))
		}
	}
	return nil
}

func (s *Store) appendAudit(ctx context.Context, entries ...any) error {
	for len(entries) > 0 {
		n := min(len(entries), 250)
		if _, err := s.db.Collection(colAudit).InsertMany(ctx, entries[:n], options.InsertMany().SetOrdered(false)); err != nil {
			return fmt.Errorf("append audit trail: %w", unavailable(err))
		}
		entries = entries[n:]
	}
	return nil
}

// AppendAudit records entries in the audit trail, filling in IDs and times.
func (s *Store) AppendAudit(ctx context.Context, entries ...domain.AuditEntry) error {
	docs := make([]any, len(entries))
	for i, e := range entries {
		if e.At.IsZero() {
			e.At = s.now().UTC()
		}
		if e.ID == "" {
			e.ID = NewID(e.At)
		}
		docs[i] = e
	}
	return s.appendAudit(ctx, docs...)
}

// History returns a service's audit trail, newest first.
func (s *Store) History(ctx context.Context, service string, limit int) ([]domain.AuditEntry, error) {
	opts := options.Find().SetSort(bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: -1}})
	if limit > 0 {
		opts.SetLimit(int64(limit))
	}
	cur, err := s.db.Collection(colAudit).Find(ctx, bson.D{{Key: "service", Value: service}}, opts)
	if err != nil {
		return nil, fmt.Errorf("read audit trail: %w", unavailable(err))
	}
	var out []domain.AuditEntry
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("read audit trail: %w", unavailable(err))
	}
	return out, nil
}

// UpdateService rewrites one service document with change applied, audits
// the difference and announces it. It is for single-service edits such as a
// stage change or a recorded DR test; callers make those happen once.
func (s *Store) UpdateService(ctx context.Context, name string, entry domain.AuditEntry, change func(*domain.Service) error) (*domain.Service, error) {
	// One writer at a time: see lock.go.
	unlock, err := s.lock(ctx, "service/"+name)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var cur domain.Service
	err = s.db.Collection(colServices).FindOne(ctx, bson.D{{Key: "_id", Value: name}}).Decode(&cur)
	if err == mongo.ErrNoDocuments {
		return nil, domain.Errorf(domain.NotFound, "There is no service %q.", name)
	}
	if err != nil {
		return nil, fmt.Errorf("read service %s: %w", name, unavailable(err))
	}
	before := cur
	next := cloneService(&cur)
	if err := change(next); err != nil {
		return nil, err
	}
	if _, err := s.db.Collection(colServices).ReplaceOne(ctx, bson.D{{Key: "_id", Value: name}}, next); err != nil {
		return nil, fmt.Errorf("update service %s: %w", name, unavailable(err))
	}
	entry.Kind, entry.Name, entry.Service = domain.KindService, name, name
	entry.Changes = Diff(&before, next)
	if err := s.AppendAudit(ctx, entry); err != nil {
		return nil, err
	}
	return next, s.announce(ctx, map[string][]string{domain.KindService: {name}})
}

func cloneService(s *domain.Service) *domain.Service {
	b, _ := json.Marshal(s)
	var out domain.Service
	_ = json.Unmarshal(b, &out)
	return &out
}

// NewID returns a unique, roughly time-ordered identifier.
func NewID(t time.Time) string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return strconv.FormatInt(t.UnixNano(), 36) + "-" + hex.EncodeToString(b[:])
}

func equalJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// Diff lists the fields that differ between two documents (either may be
// nil), as dotted paths with JSON-rendered values.
func Diff(before, after any) []domain.Change {
	fb, fa := map[string]string{}, map[string]string{}
	flatten("", toTree(before), fb)
	flatten("", toTree(after), fa)
	var out []domain.Change
	for k, v := range fa {
		if fb[k] != v {
			out = append(out, domain.Change{Field: k, Before: fb[k], After: v})
		}
	}
	for k, v := range fb {
		if _, ok := fa[k]; !ok {
			out = append(out, domain.Change{Field: k, Before: v})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

func toTree(v any) any {
	if v == nil || (reflect.ValueOf(v).Kind() == reflect.Pointer && reflect.ValueOf(v).IsNil()) {
		return nil
	}
	b, _ := json.Marshal(v)
	var t any
	_ = json.Unmarshal(b, &t)
	return t
}

func flatten(prefix string, v any, out map[string]string) {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			flatten(p, c, out)
		}
	case []any:
		// Lists are compared whole: element paths shift on insertion.
		b, _ := json.Marshal(t)
		out[prefix] = string(b)
	case nil:
	default:
		b, _ := json.Marshal(t)
		out[prefix] = string(b)
	}
}
