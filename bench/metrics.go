package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/itspm/itspm/commands"
)

// metricsRuns is how many `metrics` replies are timed.
const metricsRuns = 30

// metricsBench times `metrics` (every process line over the whole catalog)
// through the command engine beside the same run's owner lookup p50, and
// counts its store round trips the way the owner row does (the monitor's
// started commands, per reply).
func metricsBench(ctx context.Context, engine *commands.Engine, caller commands.Caller, roundTrips *atomic.Int64, ownerP50 time.Duration, n int) ([]row, error) {
	if _, err := engine.Handle(ctx, caller, "metrics"); err != nil { // warm
		return nil, err
	}
	ds := make([]time.Duration, metricsRuns)
	before := roundTrips.Load()
	for i := range ds {
		t := time.Now()
		r, err := engine.Handle(ctx, caller, "metrics")
		ds[i] = time.Since(t)
		if err != nil || r.Error {
			return nil, fmt.Errorf("metrics: %v %v", err, r.Text)
		}
	}
	per := float64(roundTrips.Load()-before) / metricsRuns
	m50, m99 := pct(ds, 50), pct(ds, 99)
	ratio := float64(m50) / float64(ownerP50)
	return []row{
		{Name: fmt.Sprintf("metrics via commands, %d services, p50 / p99", n), Value: fmt.Sprintf("%s / %s", m50, m99),
			Baseline: fmt.Sprintf("owner <svc> p50 %s", ownerP50), Ratio: fmt.Sprintf("%.1f (p50)", ratio), Target: "< 250 ms", Verdict: verdict(m50 < 250*time.Millisecond)},
		{Name: "store round trips per metrics reply", Value: fmt.Sprintf("%.2f", per),
			Baseline: "owner lookup: 1", Ratio: fmt.Sprintf("%.2f", per), Target: "constant (<= 5)", Verdict: verdict(per <= 5)},
	}, nil
}

// digestRSS runs `itspm jobs run governance-digest` (no Slack: it prints
// the digests) as a process and reports its peak RSS.
func digestRSS(env []string, bin string) (row, error) {
	d, rss, out, err := runMeasured(env, nil, bin, "jobs", "run", "governance-digest")
	if err != nil {
		return row{}, fmt.Errorf("itspm jobs run governance-digest: %v: %s", err, out)
	}
	return row{Name: "peak RSS, itspm jobs run governance-digest process", Value: fmt.Sprintf("%d MB (%s)", rss/1024, d.Round(time.Millisecond)),
		Baseline: "-", Ratio: "-", Target: "< 200 MB", Verdict: verdict(rss/1024 < 200)}, nil
}
