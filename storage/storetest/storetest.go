// Package storetest gives each test its own database on one embedded server
// per test binary, so tests run against the real store and stay isolated.
package storetest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/itspm/itspm/storage"
	"github.com/itspm/itspm/storage/embedded"
)

var (
	once    sync.Once
	srv     *embedded.Server
	dir     string
	srvErr  error
	counter atomic.Int64
)

// URI starts the package's shared embedded server (once) and returns its URI.
// MONGODB_URI, when set, points the tests at a real MongoDB instead.
func URI(t testing.TB) string {
	t.Helper()
	if uri := os.Getenv("ITSPM_TEST_MONGODB_URI"); uri != "" {
		return uri
	}
	once.Do(func() {
		dir, srvErr = os.MkdirTemp("", "itspm-storetest-")
		if srvErr != nil {
			return
		}
		logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		srv, srvErr = embedded.Start(ctx, dir, logger)
	})
	if srvErr != nil {
		t.Fatalf("start embedded store: %v", srvErr)
	}
	return srv.URI()
}

var unsafe = regexp.MustCompile(`[^a-zA-Z0-9_]+`)

// DatabaseName returns a fresh database name for t.
func DatabaseName(t testing.TB) string {
	name := unsafe.ReplaceAllString(t.Name(), "_")
	if len(name) > 40 {
		name = name[len(name)-40:]
	}
	return strings.ToLower(fmt.Sprintf("t%d_%s", counter.Add(1), name))
}

// New returns a store on a fresh database, dropped when the test ends.
func New(t testing.TB) *storage.Store {
	t.Helper()
	return NewNamed(t, DatabaseName(t), nil)
}

// NewNamed connects to database name (so that two stores in one test can
// share it, like two replicas), with an optional clock.
func NewNamed(t testing.TB, name string, now func() time.Time) *storage.Store {
	t.Helper()
	uri := URI(t)
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	st, err := storage.Open(ctx, storage.Config{URI: uri, Database: name, Logger: logger, Now: now})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = st.Drop(ctx)
		_ = st.Close(ctx)
	})
	return st
}
