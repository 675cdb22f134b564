package commands

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/itspm/itspm/catalog"
	"github.com/itspm/itspm/catalog/sample"
	"github.com/itspm/itspm/storage"
	"github.com/itspm/itspm/storage/storetest"
)

// evalNow is "today" for every question test: the sample catalog is written
// as of late November 2026.
var evalNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// sampleStore returns a store on the real embedded database with the sample
// catalog imported.
func sampleStore(t *testing.T) *storage.Store {
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

// sampleEngine is an engine over the sample catalog, today = evalNow.
func sampleEngine(t *testing.T, logger *slog.Logger) (*Engine, *storage.Store) {
	t.Helper()
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	st := sampleStore(t)
	return New(st, Options{Now: func() time.Time { return evalNow }, Logger: logger, Admins: []string{"U0SAM"}}), st
}
