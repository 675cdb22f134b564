package sli_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/jobs"
	"github.com/itspm/itspm/sli"
	"github.com/itspm/itspm/storage"
	"github.com/itspm/itspm/storage/storetest"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// The month synced: September 2026 (UTC), read on 1 October.
var (
	monthStart = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	monthEnd   = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	runAt      = time.Date(2026, 10, 1, 2, 0, 0, 0, time.UTC)
)

func inMonth(at time.Time) bool { return !at.Before(monthStart) && at.Before(monthEnd) }

// The backfilled series. Outside September they hold values far from
// September's, so a month boundary off by one step shows in the average.
func payrollAvailability(at time.Time) float64 {
	if !inMonth(at) {
		return 50
	}
	return 99 + float64((at.Unix()/300)%11)/10 // 99.0 … 100.0, varying every sample
}

func payrollLatencySeconds(at time.Time) float64 {
	if !inMonth(at) {
		return 9
	}
	return 0.2 + float64((at.Unix()/300)%5)/10 // 0.2 … 0.6 s
}

func constant(in, out float64) func(time.Time) float64 {
	return func(at time.Time) float64 {
		if inMonth(at) {
			return in
		}
		return out
	}
}

// handAverage is the expected monthly value computed by hand from the
// backfilled series: the mean of its samples in [monthStart, monthEnd),
// which lie on the 5-minute grid the subquery evaluates (see package sli).
func handAverage(f func(time.Time) float64) float64 {
	sum, n := 0.0, 0
	for at := monthStart; at.Before(monthEnd); at = at.Add(5 * time.Minute) {
		sum += f(at)
		n++
	}
	return sum / float64(n)
}

func backfill() string {
	return openMetrics(map[string][]series{
		"sli_availability_percent": {
			{`service="payroll"`, payrollAvailability},
			{`service="crm"`, constant(98.5, 0)},
		},
		"sli_latency_seconds": {
			{`service="payroll"`, payrollLatencySeconds},
			{`service="crm"`, constant(0.3, 7)},
		},
	}, monthStart.Add(-4*time.Hour), monthEnd.Add(4*time.Hour))
}

func testCatalog() *domain.Catalog {
	svc := func(name, owner string, sla []domain.SLATarget, ms ...domain.Measurement) domain.Service {
		s := domain.Service{Name: name, ServiceSpec: domain.ServiceSpec{Portfolio: "workplace", Owner: owner, Stage: domain.StageOperate, SLA: sla}}
		if len(ms) > 0 {
			s.Performance = &domain.Performance{Measurements: ms}
		}
		return s
	}
	return &domain.Catalog{
		People: []domain.Person{
			{Name: "lee", PersonSpec: domain.PersonSpec{SlackUser: "U0LEE"}},
			{Name: "dana", PersonSpec: domain.PersonSpec{SlackUser: "U0DANA"}},
		},
		Portfolios: []domain.Portfolio{{Name: "workplace", PortfolioSpec: domain.PortfolioSpec{Manager: "dana"}}},
		Services: []domain.Service{
			svc("payroll", "lee", []domain.SLATarget{
				{KPI: "availability", Target: 99.5, Unit: "percent", Query: `sli_availability_percent{service="payroll"}`},
				{KPI: "p95-latency", Target: 500, Unit: "ms", BetterWhen: "lower", Query: `1000 * sli_latency_seconds{service="payroll"}`},
				{KPI: "tickets", Target: 10, BetterWhen: "lower"}, // typed only
			}),
			svc("crm", "lee", []domain.SLATarget{
				{KPI: "availability", Target: 99, Unit: "percent", Query: `sli_availability_percent{service="crm"}`},
				{KPI: "latency", Target: 400, Unit: "ms", BetterWhen: "lower", Query: `sli_latency_seconds{service="crm"}`}, // seconds, not ms
				{KPI: "everything", Target: 1, Query: `sli_availability_percent`},                                           // two series
				{KPI: "apdex", Target: 0.9, Query: `sli_apdex{service="crm"}`},                                              // no series
			}),
			svc("hr", "dana", []domain.SLATarget{
				{KPI: "availability", Target: 99, Unit: "percent", Query: `sli_availability_percent{service="payroll"}`},
			}, domain.Measurement{KPI: "availability", Month: "2026-09", Value: 97}), // typed before the sync: it stays
		},
	}
}

func newStore(t *testing.T, name string) *storage.Store {
	t.Helper()
	st := storetest.NewNamed(t, name, nil)
	return st
}

func runSync(t *testing.T, st *storage.Store, q jobs.SLIQuerier, at time.Time) jobs.Result {
	t.Helper()
	s, err := jobs.New(jobs.Options{Store: st, Logger: quiet(),
		Jobs: []jobs.Job{jobs.SLISyncJob(jobs.SLIOptions{Store: st, Querier: q, Logger: quiet()})}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.RunNow(context.Background(), jobs.SLISync, at)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Claimed || res.Status != domain.JobOK {
		t.Fatalf("run %s: claimed %v, status %s, err %v", res.Occurrence, res.Claimed, res.Status, res.Err)
	}
	return res
}

func services(t *testing.T, st *storage.Store) map[string]*domain.Service {
	t.Helper()
	snap, err := st.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return snap.Services
}

func closeTo(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestSyncAgainstRealPrometheus(t *testing.T) {
	url := sharedPrometheus(t)
	client, err := sli.New(sli.Options{URL: url, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st := newStore(t, storetest.DatabaseName(t))
	if _, err := st.Apply(ctx, testCatalog(), "test", "test"); err != nil {
		t.Fatal(err)
	}

	res := runSync(t, st, client, runAt)
	got := services(t, st)

	want := []struct {
		svc, kpi string
		value    float64
		source   string
	}{
		{"payroll", "availability", handAverage(payrollAvailability), domain.SourcePrometheus},
		{"payroll", "p95-latency", 1000 * handAverage(payrollLatencySeconds), domain.SourcePrometheus},
		{"crm", "availability", 98.5, domain.SourcePrometheus},
		{"hr", "availability", 97, ""}, // typed first: kept, not queried
	}
	for _, w := range want {
		m, ok := got[w.svc].Measurement(w.kpi, "2026-09")
		if !ok {
			t.Errorf("%s %s: no measurement for 2026-09", w.svc, w.kpi)
			continue
		}
		if !closeTo(m.Value, w.value) || m.Source != w.source {
			t.Errorf("%s %s = %v (source %q), want %v (source %q)", w.svc, w.kpi, m.Value, m.Source, w.value, w.source)
		}
	}
	for _, kpi := range []string{"latency", "everything", "apdex"} {
		if m, ok := got["crm"].Measurement(kpi, "2026-09"); ok {
			t.Errorf("crm %s: stored %+v for a failed query", kpi, m)
		}
	}
	if _, ok := got["payroll"].Measurement("tickets", "2026-09"); ok {
		t.Error("a KPI without a query got a value")
	}

	// One report, to crm's owner, naming each failure.
	if len(res.Messages) != 1 || res.Messages[0].To != "U0LEE" {
		t.Fatalf("reports: %+v", res.Messages)
	}
	text := commands.PlainText(res.Messages[0].Reply)
	for _, want := range []string{"crm", "latency", sli.UnitMismatch, "everything", sli.SeveralSeries, "apdex", sli.NoSeries, "2026-09"} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "p95-latency") || strings.Contains(text, "payroll:") {
		t.Errorf("report names a KPI that synced:\n%s", text)
	}

	// The audit trail has the sync.
	hist, err := st.History(ctx, "payroll", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) == 0 || hist[0].Action != "sli.sync" || hist[0].Actor != jobs.SLISync {
		t.Errorf("payroll's history: %+v", hist)
	}

	// Running again for the same month (another occurrence: `jobs run
	// sli-sync --at` later in October) changes nothing and reports nothing.
	before, _ := json.Marshal(got)
	again := runSync(t, st, client, runAt.Add(14*24*time.Hour))
	after, _ := json.Marshal(services(t, st))
	if string(before) != string(after) {
		t.Errorf("second run changed the catalog:\n%s\n%s", before, after)
	}
	if len(again.Messages) != 0 {
		t.Errorf("second run reported again: %+v", again.Messages)
	}
	hist2, _ := st.History(ctx, "payroll", 10)
	if len(hist2) != len(hist) {
		t.Errorf("second run added audit entries: %d → %d", len(hist), len(hist2))
	}

	// performance shows where each value came from.
	eng := commands.New(st, commands.Options{Admins: []string{"lee"}})
	rep, err := eng.Handle(ctx, commands.Caller{Person: "lee"}, "performance payroll")
	if err != nil {
		t.Fatal(err)
	}
	if pt := commands.PlainText(rep); !strings.Contains(pt, "from Prometheus") {
		t.Errorf("performance lacks the source:\n%s", pt)
	}
}

// Two replicas running the month at once (two occurrences, two processes
// on one database) store each value once and send one report.
func TestSyncReplicasStoreOnce(t *testing.T) {
	url := sharedPrometheus(t)
	client, err := sli.New(sli.Options{URL: url, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	name := storetest.DatabaseName(t)
	a, b := newStore(t, name), newStore(t, name)
	if _, err := a.Apply(context.Background(), testCatalog(), "test", "test"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make([]jobs.Result, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := a
			if i%2 == 1 {
				st = b
			}
			results[i] = runSync(t, st, client, runAt.Add(time.Duration(i)*time.Hour))
		}()
	}
	wg.Wait()
	reports := 0
	for _, r := range results {
		reports += len(r.Messages)
	}
	if reports != 1 {
		t.Errorf("%d reports across the replicas, want 1", reports)
	}
	got := services(t, a)
	for _, svc := range []string{"payroll", "crm"} {
		n := 0
		for _, m := range got[svc].Performance.Measurements {
			if m.Month == "2026-09" && m.Source == domain.SourcePrometheus {
				n++
			}
		}
		want := map[string]int{"payroll": 2, "crm": 1}[svc]
		if n != want {
			t.Errorf("%s: %d Prometheus measurements for 2026-09, want %d: %+v", svc, n, want, got[svc].Performance.Measurements)
		}
		hist, err := a.History(context.Background(), svc, 50)
		if err != nil {
			t.Fatal(err)
		}
		syncs := 0
		for _, h := range hist {
			if h.Action == "sli.sync" {
				syncs++
			}
		}
		if syncs != 1 {
			t.Errorf("%s: %d sli.sync audit entries, want 1", svc, syncs)
		}
	}
}
