package sli_test

import (
	"bytes"
	"io"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"

	"github.com/itspm/itspm/metrics"
)

// The bot's own /metrics (metrics.Handler, which bot serves at GET
// /metrics) passes `promtool check metrics`, Prometheus's linter for the
// exposition format and naming conventions.
func TestOwnMetricsPassPromtool(t *testing.T) {
	_, promtool := tools(t)
	// Touch every labelled series so they appear in the output.
	metrics.Requests.WithLabelValues("commands", "ok").Inc()
	metrics.AckLatency.WithLabelValues("commands").Observe(0.01)
	metrics.SlackCalls.WithLabelValues("chat.postMessage", "ok").Inc()
	metrics.SlackRateLimited.WithLabelValues("chat.postMessage").Inc()
	metrics.JobRuns.WithLabelValues("sli-sync", "ok").Inc()
	metrics.Deliveries.WithLabelValues("sent").Inc()

	rec := httptest.NewRecorder()
	metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Result().Body)
	if rec.Code != 200 || !bytes.Contains(body, []byte("itspm_job_runs_total")) {
		t.Fatalf("/metrics: %d\n%s", rec.Code, body)
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "" {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}
