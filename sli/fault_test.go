package sli_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/sli"
	"github.com/itspm/itspm/storage/storetest"
)

// fakePrometheus answers /api/v1/query by what the query asks for: the
// metric name says which fault to play. It records the Authorization
// header it saw.
func fakePrometheus(t *testing.T) (*httptest.Server, func() string) {
	var mu sync.Mutex
	var auth string
	seen := func() string { mu.Lock(); defer mu.Unlock(); return auth }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		mu.Lock()
		auth = r.Header.Get("Authorization")
		mu.Unlock()
		q := r.Form.Get("query")
		vector := func(samples ...string) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[%s]}}`, strings.Join(samples, ","))
		}
		sample := func(labels, value string) string {
			return fmt.Sprintf(`{"metric":{%s},"value":[1790812799,"%s"]}`, labels, value)
		}
		switch {
		case strings.Contains(q, "fault_5xx"):
			http.Error(w, "upstream exploded", http.StatusBadGateway)
		case strings.Contains(q, "fault_slow"):
			select { // slower than the client's timeout
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			vector(sample(`"a":"b"`, "1"))
		case strings.Contains(q, "fault_several"):
			vector(sample(`"instance":"a"`, "1"), sample(`"instance":"b"`, "2"))
		case strings.Contains(q, "fault_nan"):
			vector(sample(``, "NaN"))
		case strings.Contains(q, "fault_empty"):
			vector()
		case strings.Contains(q, "fault_bad"):
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:1: parse error"}`)
		default:
			vector(sample(``, "99.5"))
		}
	}))
	t.Cleanup(srv.Close)
	return srv, seen
}

func TestClientFaults(t *testing.T) {
	srv, auth := fakePrometheus(t)
	c, err := sli.New(sli.Options{URL: srv.URL, BearerToken: "s3cret-token", Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// An address nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + l.Addr().String()
	l.Close()
	dead, err := sli.New(sli.Options{URL: deadURL, BearerToken: "s3cret-token", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		client *sli.Client
		query  string
		kind   string // "" = ok
	}{
		{"ok", c, `up`, ""},
		{"5xx", c, `fault_5xx`, sli.ServerError},
		{"slow", c, `fault_slow`, sli.Timeout},
		{"several series", c, `fault_several`, sli.SeveralSeries},
		{"NaN", c, `fault_nan`, sli.NotANumber},
		{"no series", c, `fault_empty`, sli.NoSeries},
		{"rejected", c, `fault_bad`, sli.BadQuery},
		{"invalid PromQL", c, `sum(`, sli.BadQuery},
		{"unreachable", dead, `up`, sli.Unreachable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := tc.client.Average(context.Background(), tc.query, monthStart, monthEnd)
			if tc.kind == "" {
				if err != nil || v != 99.5 {
					t.Fatalf("got %v, %v; want 99.5", v, err)
				}
				if a := auth(); a != "Bearer s3cret-token" {
					t.Errorf("Authorization: %q", a)
				}
				return
			}
			var se *sli.Error
			if !errors.As(err, &se) || se.Kind != tc.kind {
				t.Fatalf("got %v (%T), want kind %q", err, err, tc.kind)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("the token leaked into the error: %v", err)
			}
		})
	}
}

// A sync where most queries fail: each failure is reported, nothing is
// stored for it, and the KPIs that work are still stored.
func TestSyncFaultsStoreNothingAndReport(t *testing.T) {
	srv, _ := fakePrometheus(t)
	c, err := sli.New(sli.Options{URL: srv.URL, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	cat := testCatalog()
	cat.Services = []domain.Service{{Name: "payroll", ServiceSpec: domain.ServiceSpec{Portfolio: "workplace", Owner: "lee", Stage: domain.StageOperate,
		SLA: []domain.SLATarget{
			{KPI: "availability", Target: 99, Unit: "percent", Query: `up{job="payroll"}`},
			{KPI: "k5xx", Target: 1, Query: `fault_5xx`},
			{KPI: "kslow", Target: 1, Query: `fault_slow`},
			{KPI: "kseveral", Target: 1, Query: `fault_several`},
			{KPI: "knan", Target: 1, Query: `fault_nan`},
			{KPI: "kempty", Target: 1, Query: `fault_empty`},
			{KPI: "kunit", Target: 1, Unit: "ratio", Query: `up{job="x"}`}, // 99.5 is no ratio
		}}}}
	st := storetest.New(t)
	if _, err := st.Apply(context.Background(), cat, "test", "test"); err != nil {
		t.Fatal(err)
	}
	res := runSync(t, st, c, runAt)
	s := services(t, st)["payroll"]
	if m, ok := s.Measurement("availability", "2026-09"); !ok || m.Value != 99.5 || m.Source != domain.SourcePrometheus {
		t.Errorf("availability: %+v, %v", m, ok)
	}
	if n := len(s.Performance.Measurements); n != 1 {
		t.Errorf("%d measurements stored, want 1: %+v", n, s.Performance.Measurements)
	}
	if len(res.Messages) != 1 || res.Messages[0].To != "U0LEE" {
		t.Fatalf("reports: %+v", res.Messages)
	}
	text := commands.PlainText(res.Messages[0].Reply)
	for _, want := range []string{sli.ServerError, sli.Timeout, sli.SeveralSeries, sli.NotANumber, sli.NoSeries, sli.UnitMismatch} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
}

// Prometheus unreachable: every KPI is reported, nothing stored, the run
// itself succeeds (the next month's run, or a re-run, tries again).
func TestSyncUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close()
	c, err := sli.New(sli.Options{URL: url, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	st := storetest.New(t)
	if _, err := st.Apply(context.Background(), testCatalog(), "test", "test"); err != nil {
		t.Fatal(err)
	}
	res := runSync(t, st, c, runAt)
	for name, s := range services(t, st) {
		if s.Performance == nil {
			continue
		}
		for _, m := range s.Performance.Measurements {
			if m.Source == domain.SourcePrometheus {
				t.Errorf("%s: stored %+v with Prometheus down", name, m)
			}
		}
	}
	if len(res.Messages) != 1 { // lee owns payroll and crm; hr's only KPI was typed already
		t.Fatalf("reports: %d", len(res.Messages))
	}
	if text := commands.PlainText(res.Messages[0].Reply); !strings.Contains(text, sli.Unreachable) || !strings.Contains(text, "payroll") || !strings.Contains(text, "crm") {
		t.Errorf("report:\n%s", text)
	}
}
