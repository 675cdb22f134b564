// Package samplestore gives a test a store of its own with the sample
// catalog imported, for tests that ask what a user would.
package samplestore

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/itspm/itspm/catalog"
	"github.com/itspm/itspm/catalog/sample"
	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/storage"
	"github.com/itspm/itspm/storage/storetest"
)

// New returns a store of its own on the real embedded database with
// the sample catalog imported (written as of late November 2026).
func New(t testing.TB) *storage.Store {
	t.Helper()
	st := storetest.New(t)
	files, err := catalog.ReadFS(sample.FS)
	if err != nil {
		t.Fatalf("read sample: %v", err)
	}
	set, errs := catalog.Parse(files)
	if len(errs) > 0 {
		t.Fatalf("parse sample: %v", errs)
	}
	if _, err := st.Apply(context.Background(), &set.Catalog, "test", "sample"); err != nil {
		t.Fatalf("import sample: %v", err)
	}
	return st
}

// Now is "today" for every test over the sample catalog, which is written
// as of late November 2026.
var Now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// Engine is an engine over a store of its own with the sample catalog,
// today = Now, admin U0SAM. wire plugs in what the test needs (the question
// parser, say); it is a parameter so that the packages wired in can use
// this helper from their own tests without an import cycle. A nil logger
// discards the log.
func Engine(t testing.TB, logger *slog.Logger, wire func(*commands.Engine)) (*commands.Engine, *storage.Store) {
	t.Helper()
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	st := New(t)
	e := commands.New(st, commands.Options{Now: func() time.Time { return Now }, Logger: logger, Admins: []string{"U0SAM"}})
	if wire != nil {
		wire(e)
	}
	return e, st
}
