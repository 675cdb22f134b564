// Command bench prints itspm's performance figures, each beside a baseline
// measured in the same run, and writes the table to a file. `make bench`
// runs it.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"

	"github.com/itspm/itspm/catalog"
	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/internal/gencatalog"
	"github.com/itspm/itspm/storage"
)

// row is one line of the table.
type row struct {
	Name     string
	Value    string
	Baseline string
	Ratio    string
	Target   string
	Verdict  string
}

func main() {
	out := flag.String("out", "bench-results.txt", "file to write the table to")
	services := flag.Int("services", 10000, "catalog size")
	lookups := flag.Int("lookups", 2000, "owner lookups to time")
	external := flag.Bool("external", true, "also run the benchmarks of other packages (go test ITSPM_BENCH=1)")
	flag.Parse()
	ctx := context.Background()
	var rows []row
	r, err := catalogBench(ctx, *services, *lookups)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	rows = append(rows, r...)
	if *external {
		rows = append(rows, externalBenches()...)
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "itspm bench, %s, %d services\n\n", time.Now().UTC().Format(time.RFC3339), *services)
	tw := tabwriter.NewWriter(&buf, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "benchmark\tvalue\tbaseline (same run)\tratio\ttarget\tverdict")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Value, r.Baseline, r.Ratio, r.Target, r.Verdict)
	}
	tw.Flush()
	os.Stdout.Write(buf.Bytes())
	if *out != "" {
		if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "\nwritten to %s\n", *out)
	}
}

func verdict(ok bool) string {
	if ok {
		return "ok"
	}
	return "MISSED"
}

// catalogBench: import of a generated catalog, then `owner <svc>` through
// the command engine beside a raw driver FindOne by _id.
func catalogBench(ctx context.Context, n, lookups int) ([]row, error) {
	dir, err := os.MkdirTemp("", "itspm-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var roundTrips atomic.Int64
	monitor := &event.CommandMonitor{Started: func(context.Context, *event.CommandStartedEvent) { roundTrips.Add(1) }}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := storage.Open(ctx, storage.Config{DataDir: filepath.Join(dir, "data"), Logger: logger, Monitor: monitor})
	if err != nil {
		return nil, err
	}
	defer st.Close(ctx)

	today := domain.Date(time.Now().UTC().Format(time.DateOnly))
	cat := gencatalog.Generate(n, 42, today)
	var yml bytes.Buffer
	if err := catalog.Export(&yml, cat); err != nil {
		return nil, err
	}
	start := time.Now()
	res, errs, err := catalog.Import(ctx, importStore{st}, []catalog.File{{Path: "generated.yaml", Data: yml.Bytes()}}, "bench", false)
	if err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("generated catalog does not import: %v", errs[0])
	}
	importTime := time.Since(start)
	created, _, _ := res.Total()

	engine := commands.New(st, commands.Options{})
	caller := commands.Caller{Person: "person-0"}
	rng := rand.New(rand.NewPCG(1, 2))
	names := make([]string, lookups)
	for i := range names {
		names[i] = fmt.Sprintf("svc-%05d", rng.IntN(n))
	}
	// Warm both paths (snapshot load, connection pool).
	if _, err := engine.Handle(ctx, caller, "owner "+names[0]); err != nil {
		return nil, err
	}
	col := st.DB().Collection("services")
	ours := make([]time.Duration, lookups)
	raw := make([]time.Duration, lookups)
	before := roundTrips.Load()
	for i, name := range names {
		t := time.Now()
		r, err := engine.Handle(ctx, caller, "owner "+name)
		ours[i] = time.Since(t)
		if err != nil || r.Error {
			return nil, fmt.Errorf("owner %s: %v %v", name, err, r.Text)
		}
	}
	perLookup := float64(roundTrips.Load()-before) / float64(lookups)
	for i, name := range names {
		t := time.Now()
		var doc bson.Raw
		if err := col.FindOne(ctx, bson.D{{Key: "_id", Value: name}}).Decode(&doc); err != nil {
			return nil, err
		}
		raw[i] = time.Since(t)
	}
	o50, o99 := pct(ours, 50), pct(ours, 99)
	r50, r99 := pct(raw, 50), pct(raw, 99)
	ratio := float64(o50) / float64(r50)
	rss := peakRSS()
	return []row{
		{Name: fmt.Sprintf("import %d services (parse, validate, write)", n), Value: importTime.Round(time.Millisecond).String(),
			Baseline: fmt.Sprintf("%d documents created", created), Ratio: "-", Target: "-", Verdict: "-"},
		{Name: "owner <svc> via commands, p50 / p99", Value: fmt.Sprintf("%s / %s", o50, o99),
			Baseline: fmt.Sprintf("FindOne by _id %s / %s", r50, r99), Ratio: fmt.Sprintf("%.2f (p50)", ratio), Target: "<= 3", Verdict: verdict(ratio <= 3)},
		{Name: "store round trips per owner lookup", Value: fmt.Sprintf("%.2f", perLookup),
			Baseline: "1 (FindOne)", Ratio: fmt.Sprintf("%.2f", perLookup), Target: "constant", Verdict: verdict(perLookup <= 2)},
		{Name: "peak RSS of the bench process (catalog in memory)", Value: fmt.Sprintf("%d MB", rss/1024),
			Baseline: "-", Ratio: "-", Target: "< 200 MB", Verdict: verdict(rss/1024 < 200)},
	}, nil
}

type importStore struct{ *storage.Store }

func (s importStore) Apply(ctx context.Context, cat *domain.Catalog, actor, source string) (catalog.Changes, error) {
	r, err := s.Store.Apply(ctx, cat, actor, source)
	return catalog.Changes(r), err
}

func pct(ds []time.Duration, p int) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s)*p + 99) / 100
	if i > 0 {
		i--
	}
	return s[i].Round(time.Microsecond)
}

// peakRSS is VmHWM from /proc/self/status, in KiB.
func peakRSS() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			var kb int
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")), "%d", &kb)
			return kb
		}
	}
	return 0
}

// externalBenches runs the benchmark tests of other packages, which print
// lines "BENCH name | value | baseline | ratio | target | verdict".
func externalBenches() []row {
	cmd := exec.Command("go", "test", "-count=1", "-run", "^TestBench", "-v", "./bot/", "./jobs/")
	cmd.Env = append(os.Environ(), "ITSPM_BENCH=1")
	out, err := cmd.CombinedOutput()
	var rows []row
	for _, line := range strings.Split(string(out), "\n") {
		i := strings.Index(line, "BENCH ")
		if i < 0 {
			continue
		}
		f := strings.Split(line[i+len("BENCH "):], "|")
		for len(f) < 6 {
			f = append(f, "-")
		}
		for j := range f {
			f[j] = strings.TrimSpace(f[j])
		}
		rows = append(rows, row{f[0], f[1], f[2], f[3], f[4], f[5]})
	}
	if err != nil && len(rows) == 0 {
		rows = append(rows, row{Name: "external benchmarks", Value: "failed: " + firstLine(string(out)), Verdict: "MISSED"})
	}
	return rows
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
