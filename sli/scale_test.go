package sli_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/jobs"
	"github.com/itspm/itspm/sli"
	"github.com/itspm/itspm/storage/storetest"
)

// Sync time for 1,000 KPIs (250 services of 4) against the real server,
// with the default 4 queries in flight. Each query has its own text (a
// matcher on a label no series has), so none is answered from a cache.
func TestSync1000KPIs(t *testing.T) {
	// A measurement, not a check of behaviour (the other tests of this
	// package cover that): it runs on request, like the other sizing runs,
	// so that make test stays short.
	if os.Getenv("ITSPM_BENCH") == "" {
		t.Skip("a sizing run: set ITSPM_BENCH=1 to time 1,000 queries against a real Prometheus")
	}
	url := sharedPrometheus(t)
	c, err := sli.New(sli.Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	cat := testCatalog()
	cat.Services = nil
	for i := 0; i < 250; i++ {
		s := domain.Service{Name: fmt.Sprintf("svc-%03d", i), ServiceSpec: domain.ServiceSpec{Portfolio: "workplace", Owner: "lee", Stage: domain.StageOperate}}
		for k := 0; k < 4; k++ {
			s.SLA = append(s.SLA, domain.SLATarget{KPI: fmt.Sprintf("kpi-%d", k), Target: 99, Unit: "percent",
				Query: fmt.Sprintf(`sli_availability_percent{service="payroll", kpi!="%d-%d"}`, i, k)})
		}
		cat.Services = append(cat.Services, s)
	}
	st := storetest.New(t)
	ctx := context.Background()
	if _, err := st.Apply(ctx, cat, "test", "test"); err != nil {
		t.Fatal(err)
	}
	snap, err := st.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	res, err := jobs.SyncSLIs(ctx, jobs.SLIOptions{Store: st, Querier: c}, snap, "2026-09", time.UTC, "test")
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(began)
	if len(res.Stored) != 1000 || len(res.Failed) != 0 {
		t.Fatalf("stored %d, failed %d: %+v", len(res.Stored), len(res.Failed), res.Failed[:min(3, len(res.Failed))])
	}
	want := handAverage(payrollAvailability)
	for _, v := range res.Stored {
		if !closeTo(v.Value, want) {
			t.Fatalf("%s %s = %v, want %v", v.Service, v.KPI, v.Value, want)
		}
	}
	t.Logf("sli-sync of 1,000 KPIs (250 services) against a real Prometheus: %v (%.1f ms per KPI)", took.Round(time.Millisecond), float64(took.Microseconds())/1000/1000)
}
