package storage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/metrics"
	"github.com/itspm/itspm/storage/storetest"
)

// storeErrors reads itspm_store_errors_total{op}.
func storeErrors(t *testing.T, op string) float64 {
	t.Helper()
	var m dto.Metric
	if err := metrics.StoreErrors.WithLabelValues(op).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// A failed database call counts once, under the storage function that made
// it; the person's mistakes, "already there" and callers giving up do not.
func TestStoreErrorsCountedByOperation(t *testing.T) {
	st := storetest.New(t)
	if _, err := st.ClaimEvent(context.Background(), "event:taken"); err != nil {
		t.Fatal(err)
	}
	expired := func() context.Context {
		ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		t.Cleanup(cancel)
		return ctx
	}
	cancelled := func() context.Context {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		return ctx
	}
	tests := []struct {
		name     string
		op       string
		call     func() error
		wantCode domain.Code // of the returned error; "" = no error
		want     float64     // increase of the op's counter
	}{
		{"timeout", "ClaimEvent", func() error { _, err := st.ClaimEvent(expired(), "event:new"); return err }, domain.Unavailable, 1},
		{"ping timeout", "Ping", func() error { return st.Ping(expired()) }, domain.Unavailable, 1},
		{"history timeout", "History", func() error { _, err := st.History(expired(), "payroll", 5); return err }, domain.Unavailable, 1},
		{"caller gave up", "ClaimEvent", func() error { _, err := st.ClaimEvent(cancelled(), "event:new2"); return err }, "?", 0},
		{"duplicate is no error", "ClaimEvent", func() error { _, err := st.ClaimEvent(context.Background(), "event:taken"); return err }, "", 0},
		{"not found is no store error", "UpdateService", func() error {
			_, err := st.UpdateService(context.Background(), "no-such-service", domain.AuditEntry{Actor: "t"}, func(*domain.Service) error { return nil })
			return err
		}, domain.NotFound, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := storeErrors(t, tc.op)
			err := tc.call()
			switch tc.wantCode {
			case "":
				if err != nil {
					t.Fatalf("error %v, want none", err)
				}
			case "?":
				if err == nil {
					t.Fatal("no error")
				}
			default:
				var de *domain.Error
				if !errors.As(err, &de) || de.Code != tc.wantCode {
					t.Fatalf("error %v, want a %s domain error", err, tc.wantCode)
				}
			}
			if got := storeErrors(t, tc.op) - before; got != tc.want {
				t.Errorf("itspm_store_errors_total{op=%q} rose by %v, want %v", tc.op, got, tc.want)
			}
		})
	}
}
