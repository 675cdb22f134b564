// Package samplestore gives a test a store of its own with the sample
// catalog imported, for tests that ask what a user would.
package samplestore

import (
	"context"
	"testing"

	"github.com/itspm/itspm/catalog"
	"github.com/itspm/itspm/catalog/sample"
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
