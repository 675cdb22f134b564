// Package metrics defines itspm's Prometheus series in one place, so every
// package records into the same names and /metrics exposes them all.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry holds every itspm series plus Go and process collectors.
var Registry = prometheus.NewRegistry()

var (
	// Requests counts Slack HTTP requests by endpoint and outcome
	// (ok, unauthorized, bad_request, duplicate, error).
	Requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "itspm_requests_total", Help: "Slack requests by endpoint and outcome.",
	}, []string{"endpoint", "outcome"})
	// AckLatency is the time from request arrival to the HTTP acknowledgement.
	AckLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "itspm_ack_latency_seconds", Help: "Time to acknowledge Slack requests.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 3},
	}, []string{"endpoint"})
	// SlackCalls counts Web API calls by method and outcome (ok, error, ratelimited).
	SlackCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "itspm_slack_api_calls_total", Help: "Slack Web API calls by method and outcome.",
	}, []string{"method", "outcome"})
	// SlackRateLimited counts 429 answers by method.
	SlackRateLimited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "itspm_slack_rate_limited_total", Help: "Slack 429 answers by method.",
	}, []string{"method"})
	// JobRuns counts job occurrences by job and outcome (ok, error, panic, skipped, missed).
	JobRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "itspm_job_runs_total", Help: "Job occurrences by job and outcome.",
	}, []string{"job", "outcome"})
	// Deliveries counts outbox deliveries by outcome (sent, retried, failed, duplicate).
	Deliveries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "itspm_deliveries_total", Help: "Outbox message deliveries by outcome.",
	}, []string{"outcome"})
	// TollgateDecisions counts decisions by outcome (approved, rejected, withdrawn).
	TollgateDecisions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "itspm_tollgate_decisions_total", Help: "Tollgate decisions by outcome.",
	}, []string{"outcome"})
	// TollgateVotes counts votes by outcome (approve, reject, refused, duplicate, late).
	TollgateVotes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "itspm_tollgate_votes_total", Help: "Tollgate votes by outcome.",
	}, []string{"outcome"})
	// StoreErrors counts store failures by operation.
	StoreErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "itspm_store_errors_total", Help: "Store errors by operation.",
	}, []string{"op"})
	// LLMTokens counts LLM tokens by kind (prompt, completion).
	LLMTokens = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "itspm_llm_tokens_total", Help: "LLM tokens used, by kind.",
	}, []string{"kind"})
	// LLMRequests counts LLM answers by outcome (ok, fallback, refused).
	LLMRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "itspm_llm_requests_total", Help: "LLM question answers by outcome.",
	}, []string{"outcome"})
)

func init() {
	Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		Requests, AckLatency, SlackCalls, SlackRateLimited, JobRuns, Deliveries,
		TollgateDecisions, TollgateVotes, StoreErrors, LLMTokens, LLMRequests,
	)
}

// Handler serves the registry in the Prometheus text format.
func Handler() http.Handler {
	return promhttp.HandlerFor(Registry, promhttp.HandlerOpts{})
}
