package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/internal/gencatalog"
	"github.com/itspm/itspm/storage"
)

// writeBench: `measure <svc> availability <value> <month>` end to end
// through the command engine (snapshot, permission check, write lock,
// read, replace, audit, change log, unlock) at each catalog size, beside a
// raw ReplaceOne of the same document by _id in the same run, and the
// store round trips per write, which must not grow with the catalog.
func writeBench(ctx context.Context, sizes []int, writes int) ([]row, error) {
	var rows []row
	trips := map[int]float64{}
	for _, n := range sizes {
		fmt.Fprintf(os.Stderr, "write bench: %d services…\n", n)
		o50, o99, r50, r99, per, err := writeOnce(ctx, n, writes)
		if err != nil {
			return nil, fmt.Errorf("write bench, %d services: %w", n, err)
		}
		trips[n] = per
		ratio := float64(o50) / float64(r50)
		rows = append(rows, row{Name: fmt.Sprintf("measure <svc> <kpi> <value> via commands, %d services, p50 / p99", n), Value: fmt.Sprintf("%s / %s", o50, o99),
			Baseline: fmt.Sprintf("ReplaceOne by _id %s / %s", r50, r99), Ratio: fmt.Sprintf("%.2f (p50)", ratio), Target: "-", Verdict: "-"})
	}
	first, last := trips[sizes[0]], trips[sizes[len(sizes)-1]]
	rows = append(rows, row{Name: fmt.Sprintf("store round trips per measure write, %d vs %d services", sizes[0], sizes[len(sizes)-1]),
		Value: fmt.Sprintf("%.2f vs %.2f", first, last), Baseline: "1 (ReplaceOne)", Ratio: fmt.Sprintf("%.2f", last/first),
		Target: "constant", Verdict: verdict(last <= first+0.01)})
	return rows, nil
}

func writeOnce(ctx context.Context, n, writes int) (o50, o99, r50, r99 time.Duration, perWrite float64, err error) {
	dir, err := os.MkdirTemp("", "itspm-bench-write-")
	if err != nil {
		return
	}
	defer os.RemoveAll(dir)
	var roundTrips atomic.Int64
	monitor := &event.CommandMonitor{Started: func(context.Context, *event.CommandStartedEvent) { roundTrips.Add(1) }}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := storage.Open(ctx, storage.Config{DataDir: dir, Logger: logger, Monitor: monitor})
	if err != nil {
		return
	}
	defer st.Close(ctx)
	today := domain.Date(time.Now().UTC().Format(time.DateOnly))
	t0 := time.Now()
	if _, err = st.Apply(ctx, gencatalog.Generate(n, 42, today), "bench", "bench"); err != nil {
		return
	}
	fmt.Fprintf(os.Stderr, "write bench: %d services imported in %s\n", n, time.Since(t0).Round(time.Millisecond))
	engine := commands.New(st, commands.Options{Admins: []string{"bench"}})
	caller := commands.Caller{Person: "bench"}
	month := string(domain.MonthOf(today))
	col := st.DB().Collection("services")
	name := func(i int) string { return fmt.Sprintf("svc-%05d", (i*7919)%n) }
	// Warm both paths (snapshot load, connection pool, locks collection).
	if _, err = engine.Handle(ctx, caller, fmt.Sprintf("measure %s availability 99.9 %s", name(0), month)); err != nil {
		return
	}
	ours := make([]time.Duration, writes)
	raw := make([]time.Duration, writes)
	var oursTrips int64
	for i := 0; i < writes; i++ {
		svc := name(i + 1)
		text := fmt.Sprintf("measure %s availability %.3f %s", svc, 99+float64(i%1000)/1000, month)
		before := roundTrips.Load()
		t := time.Now()
		r, herr := engine.Handle(ctx, caller, text)
		ours[i] = time.Since(t)
		oursTrips += roundTrips.Load() - before
		if herr != nil || r.Error {
			err = fmt.Errorf("%s: %v %s", text, herr, r.Text)
			return
		}
		var doc bson.Raw
		if err = col.FindOne(ctx, bson.D{{Key: "_id", Value: svc}}).Decode(&doc); err != nil {
			return
		}
		t = time.Now()
		if _, err = col.ReplaceOne(ctx, bson.D{{Key: "_id", Value: svc}}, doc); err != nil {
			return
		}
		raw[i] = time.Since(t)
	}
	return pct(ours, 50), pct(ours, 99), pct(raw, 50), pct(raw, 99), float64(oursTrips) / float64(writes), nil
}
