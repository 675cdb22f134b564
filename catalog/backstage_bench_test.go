package catalog

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/internal/gencatalog"
)

// The generated Backstage catalog imports with no problem and no warning.
func TestGeneratedBackstage(t *testing.T) {
	data := gencatalog.Backstage(500, 1)
	set, errs := ParseWith([]File{{Path: "gen.yaml", Data: data}}, Options{})
	errs = append(errs, set.Check(nil)...)
	if len(errs) > 0 || len(set.Warnings) > 0 {
		t.Fatalf("errors: %v\nwarnings: %v", errs, set.Warnings)
	}
	if n := set.Catalog.Len(); n != 500 {
		t.Errorf("%d documents, want 500", n)
	}
}

// BenchmarkBackstageParse parses and checks 10,000 Backstage entities;
// BenchmarkNativeParse does the same for a native catalog of 10,000
// services (as itspm export writes it), the baseline.
func BenchmarkBackstageParse(b *testing.B) {
	data := gencatalog.Backstage(10_000, 1)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		set, errs := ParseWith([]File{{Path: "gen.yaml", Data: data}}, Options{})
		if errs = append(errs, set.Check(nil)...); len(errs) > 0 {
			b.Fatal(errs[0])
		}
	}
}

func BenchmarkNativeParse(b *testing.B) {
	var buf bytes.Buffer
	if err := Export(&buf, gencatalog.Generate(10_000, 42, "2026-11-27")); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		set, errs := ParseWith([]File{{Path: "gen.yaml", Data: data}}, Options{})
		if errs = append(errs, set.Check(nil)...); len(errs) > 0 {
			b.Fatal(errs[0])
		}
	}
}

// TestImportBackstage10k times a whole import (parse, check, write to the
// embedded store) of 10,000 Backstage entities, beside the same for a
// native catalog of 10,000 services. Only with ITSPM_BENCH=1.
func TestImportBackstage10k(t *testing.T) {
	if os.Getenv("ITSPM_BENCH") == "" {
		t.Skip("ITSPM_BENCH=1 runs it")
	}
	var native bytes.Buffer
	if err := Export(&native, gencatalog.Generate(10_000, 42, "2026-11-27")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		data []byte
	}{{"backstage", gencatalog.Backstage(10_000, 1)}, {"native", native.Bytes()}} {
		st := newStore(t)
		start := time.Now()
		res, errs, err := ImportWith(context.Background(), st, []File{{Path: c.name + ".yaml", Data: c.data}}, ImportOptions{Actor: "bench"})
		if err != nil || len(errs) > 0 {
			t.Fatalf("%s: %v %v", c.name, err, errs)
		}
		created, _, _ := res.Total()
		t.Logf("%s: %d documents (%d services), %d bytes: %v", c.name, created, res.Documents[domain.KindService], len(c.data), time.Since(start).Round(time.Millisecond))
	}
}
