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
	"syscall"
	"text/tabwriter"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"

	"github.com/itspm/itspm/catalog"
	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/internal/gencatalog"
	"github.com/itspm/itspm/questions"
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
	lookups := flag.Int("lookups", 1000, "owner lookups to time (each beside a ~150 ms raw FindOne: 1,000 stay inside the snapshot's 5-minute safety reload, which would add its round trips)")
	catalogRows := flag.Bool("catalog", true, "run the import, lookup and RSS rows")
	writes := flag.Int("writes", 200, "measure writes to time at each catalog size")
	external := flag.Bool("external", true, "also run the benchmarks of other packages (go test ITSPM_BENCH=1)")
	flag.Parse()
	ctx := context.Background()
	var rows []row
	if *catalogRows {
		r, err := catalogBench(ctx, *services, *lookups)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		rows = append(rows, r...)
	}
	w, err := writeBench(ctx, []int{1000, *services}, *writes)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	rows = append(rows, w...)
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

// catalogBench: `itspm import` of a generated catalog as a real process
// (time and peak RSS), then `owner <svc>` through the command engine beside
// a raw driver FindOne by _id, then the peak RSS of an `itspm chat` process
// answering lookups over the whole catalog.
func catalogBench(ctx context.Context, n, lookups int) ([]row, error) {
	dir, err := os.MkdirTemp("", "itspm-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "itspm")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/itspm").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build: %v: %s", err, out)
	}
	dataDir := filepath.Join(dir, "data")
	env := append(os.Environ(), "ITSPM_DATA_DIR="+dataDir, "ITSPM_LOG_LEVEL=error", "MONGODB_URI=")

	today := domain.Date(time.Now().UTC().Format(time.DateOnly))
	cat := gencatalog.Generate(n, 42, today)
	var yml bytes.Buffer
	if err := catalog.Export(&yml, cat); err != nil {
		return nil, err
	}
	file := filepath.Join(dir, "generated.yaml")
	if err := os.WriteFile(file, yml.Bytes(), 0o644); err != nil {
		return nil, err
	}
	importTime, importRSS, out, err := runMeasured(env, nil, bin, "import", file)
	if err != nil {
		return nil, fmt.Errorf("itspm import: %v: %s", err, out)
	}

	// The same number of Backstage entities, into an empty store.
	bsFile := filepath.Join(dir, "backstage.yaml")
	if err := os.WriteFile(bsFile, gencatalog.Backstage(n, 1), 0o644); err != nil {
		return nil, err
	}
	bsEnv := append(os.Environ(), "ITSPM_DATA_DIR="+filepath.Join(dir, "data-backstage"), "ITSPM_LOG_LEVEL=error", "MONGODB_URI=")
	bsTime, _, out, err := runMeasured(bsEnv, nil, bin, "import", bsFile)
	if err != nil {
		return nil, fmt.Errorf("itspm import (Backstage): %v: %s", err, out)
	}

	var roundTrips atomic.Int64
	monitor := &event.CommandMonitor{Started: func(context.Context, *event.CommandStartedEvent) { roundTrips.Add(1) }}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := storage.Open(ctx, storage.Config{DataDir: dataDir, Logger: logger, Monitor: monitor})
	if err != nil {
		return nil, err
	}
	defer st.Close(ctx)
	engine := commands.New(st, commands.Options{})
	engine.SetQuestions(questions.New(engine))
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
	// Interleave the two so that machine noise hits both alike.
	for i, name := range names {
		t := time.Now()
		r, err := engine.Handle(ctx, caller, "owner "+name)
		ours[i] = time.Since(t)
		if err != nil || r.Error {
			return nil, fmt.Errorf("owner %s: %v %v", name, err, r.Text)
		}
		if i == 0 {
			before = roundTrips.Load() - 1
		}
		t = time.Now()
		var doc bson.Raw
		if err := col.FindOne(ctx, bson.D{{Key: "_id", Value: name}}).Decode(&doc); err != nil {
			return nil, err
		}
		raw[i] = time.Since(t)
	}
	// Round trips of our lookups only: subtract the raw FindOnes.
	perLookup := float64(roundTrips.Load()-before-int64(lookups)) / float64(lookups)
	metricRows, err := metricsBench(ctx, engine, caller, &roundTrips, pct(ours, 50), n)
	if err != nil {
		return nil, err
	}
	st.Close(ctx)
	digest, err := digestRSS(env, bin)
	if err != nil {
		return nil, err
	}

	var in strings.Builder
	for _, name := range names[:min(len(names), 500)] {
		in.WriteString("owner " + name + "\n")
	}
	_, chatRSS, out, err := runMeasured(env, strings.NewReader(in.String()), bin, "chat")
	if err != nil {
		return nil, fmt.Errorf("itspm chat: %v: %s", err, out)
	}

	o50, o99 := pct(ours, 50), pct(ours, 99)
	r50, r99 := pct(raw, 50), pct(raw, 99)
	ratio := float64(o50) / float64(r50)
	rows := []row{
		{Name: fmt.Sprintf("itspm import, %d services (parse, validate, write)", n), Value: importTime.Round(time.Millisecond).String(),
			Baseline: "-", Ratio: "-", Target: "-", Verdict: "-"},
		{Name: "owner <svc> via commands, p50 / p99", Value: fmt.Sprintf("%s / %s", o50, o99),
			Baseline: fmt.Sprintf("FindOne by _id %s / %s", r50, r99), Ratio: fmt.Sprintf("%.2f (p50)", ratio), Target: "<= 3", Verdict: verdict(ratio <= 3)},
		{Name: "store round trips per owner lookup", Value: fmt.Sprintf("%.2f", perLookup),
			Baseline: "1 (FindOne)", Ratio: fmt.Sprintf("%.2f", perLookup), Target: "constant", Verdict: verdict(perLookup <= 1.01)},
		{Name: fmt.Sprintf("itspm import, %d Backstage entities (resolve references, validate, write)", n), Value: bsTime.Round(time.Millisecond).String(),
			Baseline: importTime.Round(time.Millisecond).String() + " native import, same count", Ratio: fmt.Sprintf("%.2fx", float64(bsTime)/float64(importTime)),
			Target: "< 2x native", Verdict: verdict(bsTime < 2*importTime)},
		{Name: "peak RSS, itspm import process", Value: fmt.Sprintf("%d MB", importRSS/1024),
			Baseline: "-", Ratio: "-", Target: "< 200 MB", Verdict: verdict(importRSS/1024 < 200)},
		{Name: "peak RSS, itspm chat process (500 lookups)", Value: fmt.Sprintf("%d MB", chatRSS/1024),
			Baseline: "-", Ratio: "-", Target: "< 200 MB", Verdict: verdict(chatRSS/1024 < 200)},
	}
	rows = append(rows, metricRows...)
	return append(rows, digest), nil
}

// runMeasured runs a command and returns its wall time and peak RSS (KiB).
func runMeasured(env []string, stdin io.Reader, name string, args ...string) (time.Duration, int64, []byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = env
	cmd.Stdin = stdin
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss
	}
	return d, rss, out.Bytes(), err
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

// externalBenches runs the benchmark tests of other packages, which print
// lines "BENCH name | value | baseline | ratio | target | verdict".
func externalBenches() []row {
	cmd := exec.Command("go", "test", "-p", "1", "-count=1", "-run", "^TestBench", "-v", "./bot/", "./jobs/", "./internal/faulttest/")
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
