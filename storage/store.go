// Package storage keeps the catalog, audit trail and workflow state in
// MongoDB (or the embedded FerretDB server when no URI is configured).
//
// It follows the embedded store's measured limits (see DESIGN.md): anything
// that must happen once is an insert into a unique key; no transactions,
// TTL indexes or $lookup; documents are keyed by their natural name.
package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/storage/embedded"
)

// Config says where the data lives.
type Config struct {
	URI      string // MongoDB connection string; empty: the embedded store
	Database string // default "itspm"
	DataDir  string // embedded store files; default "./data"
	Logger   *slog.Logger
	Now      func() time.Time
	// Monitor, when set, observes every command sent to the server
	// (benchmarks count round trips with it).
	Monitor *event.CommandMonitor
}

// Collection names.
const (
	colPeople     = "people"
	colPortfolios = "portfolios"
	colBoards     = "boards"
	colTollgates  = "tollgates"
	colServices   = "services"
	colAudit      = "audit"
	colChanges    = "changes"
	colMeta       = "meta"
)

// Store is the MongoDB-backed store.
type Store struct {
	client   *mongo.Client
	db       *mongo.Database
	embedded *embedded.Server
	logger   *slog.Logger
	now      func() time.Time

	mu   sync.Mutex // guards snap and failed
	snap *cached
	// failed is the last probe of the change log, when it failed because
	// the store did (see Snapshot).
	failed struct {
		end time.Time // wall-clock end of that probe
		err error
	}
}

// Open connects (starting the embedded store when cfg.URI is empty), checks
// the schema version and creates indexes.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Database == "" {
		cfg.Database = "itspm"
	}
	if cfg.DataDir == "" {
		cfg.DataDir = "./data"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	var srv *embedded.Server
	uri := cfg.URI
	if uri == "" {
		var err error
		srv, err = embedded.Start(ctx, cfg.DataDir, cfg.Logger)
		if err != nil {
			return nil, err
		}
		uri = srv.URI()
	}
	st, err := connect(ctx, uri, cfg.Database, cfg.Logger, cfg.Monitor)
	if err != nil {
		if srv != nil {
			srv.Close()
		}
		return nil, err
	}
	st.embedded = srv
	st.now = cfg.Now
	return st, nil
}

// Connect opens a store on a running server.
func Connect(ctx context.Context, uri, database string, logger *slog.Logger) (*Store, error) {
	return connect(ctx, uri, database, logger, nil)
}

func connect(ctx context.Context, uri, database string, logger *slog.Logger, monitor *event.CommandMonitor) (*Store, error) {
	if logger == nil {
		logger = slog.Default()
	}
	opts := options.Client().ApplyURI(uri).
		SetServerSelectionTimeout(5 * time.Second).
		SetConnectTimeout(5 * time.Second).
		SetAppName("itspm")
	if monitor != nil {
		opts.SetMonitor(monitor)
	}
	client, err := mongo.Connect(opts)
	if err != nil {
		return nil, fmt.Errorf("connect to MongoDB: %s", redact(err, uri))
	}
	st := &Store{client: client, db: client.Database(database), logger: logger, now: time.Now}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := client.Ping(pctx, nil); err != nil {
		_ = client.Disconnect(context.Background())
		return nil, fmt.Errorf("connect to MongoDB: %s", redact(err, uri))
	}
	if err := st.migrate(ctx); err != nil {
		_ = client.Disconnect(context.Background())
		return nil, err
	}
	return st, nil
}

// redact keeps credentials in a connection string out of error text.
func redact(err error, uri string) string {
	msg := err.Error()
	if i := strings.Index(uri, "@"); i > 0 {
		if j := strings.Index(uri, "://"); j >= 0 && j < i {
			msg = strings.ReplaceAll(msg, uri[j+3:i], "***")
		}
	}
	return msg
}

// Close disconnects and stops the embedded server.
func (s *Store) Close(ctx context.Context) error {
	err := s.client.Disconnect(ctx)
	if s.embedded != nil {
		s.embedded.Close()
	}
	return err
}

// Ping reports whether the store answers.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.client.Ping(ctx, nil); err != nil {
		return unavailable(err)
	}
	return nil
}

// DB is the database, for the store's own subpackages and tests.
func (s *Store) DB() *mongo.Database { return s.db }

// Drop removes the whole database (tests).
func (s *Store) Drop(ctx context.Context) error { return s.db.Drop(ctx) }

// Now is the store's clock.
func (s *Store) Now() time.Time { return s.now() }

// SchemaVersion is the version of the data layout this build writes.
const SchemaVersion = 1

// migrate refuses databases written by a newer build and brings older ones
// forward; then it creates indexes (idempotent).
func (s *Store) migrate(ctx context.Context) error {
	meta := s.db.Collection(colMeta)
	var doc struct {
		Version int `bson:"version"`
	}
	err := meta.FindOne(ctx, bson.D{{Key: "_id", Value: "schema"}}).Decode(&doc)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		// New database, or one from before versioning: both are version 0.
	case err != nil:
		return fmt.Errorf("read schema version: %w", unavailable(err))
	case doc.Version > SchemaVersion:
		return fmt.Errorf("database %q was written by a newer itspm (schema %d; this build reads up to %d): upgrade itspm", s.db.Name(), doc.Version, SchemaVersion)
	}
	if err := s.ensureIndexes(ctx); err != nil {
		return err
	}
	if doc.Version < SchemaVersion {
		_, err := meta.ReplaceOne(ctx, bson.D{{Key: "_id", Value: "schema"}},
			bson.D{{Key: "_id", Value: "schema"}, {Key: "version", Value: SchemaVersion}, {Key: "at", Value: s.now().UTC()}},
			options.Replace().SetUpsert(true))
		if err != nil {
			return fmt.Errorf("write schema version: %w", err)
		}
	}
	return nil
}

// indexes lists the secondary indexes; the unique ones enforce "once".
var indexes = map[string][]mongo.IndexModel{
	colAudit: {{Keys: bson.D{{Key: "service", Value: 1}, {Key: "at", Value: 1}}}},
}

// RegisterIndexes lets other files of this package add their indexes.
func registerIndexes(col string, models ...mongo.IndexModel) {
	indexes[col] = append(indexes[col], models...)
}

func (s *Store) ensureIndexes(ctx context.Context) error {
	for col, models := range indexes {
		if len(models) == 0 {
			continue
		}
		// One index per call: FerretDB 1.24 crashes the connection when one
		// createIndexes call re-creates two or more existing compound
		// indexes (every start after the first).
		for _, m := range models {
			// A process starting beside another may hit FerretDB while that
			// one creates the same index; the embedded server then drops the
			// connection. Index creation is idempotent: retry a few times.
			var err error
			for attempt := 0; attempt < 4; attempt++ {
				if _, err = s.db.Collection(col).Indexes().CreateOne(ctx, m); err == nil || !mongo.IsNetworkError(err) {
					break
				}
				time.Sleep(time.Duration(50*(attempt+1)) * time.Millisecond)
			}
			if err != nil {
				return fmt.Errorf("create indexes on %s: %w", col, unavailable(err))
			}
		}
	}
	return nil
}

// unavailable maps driver connectivity failures to domain.Unavailable.
func unavailable(err error) error {
	if err == nil {
		return nil
	}
	countStoreError(err, 1)
	var de *domain.Error
	if errors.As(err, &de) {
		return err
	}
	if mongo.IsNetworkError(err) || mongo.IsTimeout(err) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, mongo.ErrClientDisconnected) || strings.Contains(err.Error(), "server selection") {
		return domain.Wrap(domain.Unavailable, err, "The catalog is unavailable right now; please try again in a minute.")
	}
	return err
}

// IsDuplicate reports whether err is a unique-key violation.
func IsDuplicate(err error) bool { return mongo.IsDuplicateKeyError(err) }
