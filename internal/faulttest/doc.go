// Package faulttest holds itspm's fault-injection tests (issue 8): the store
// stopping or slowing down under traffic, Slack answering 429, 5xx or not
// at all, a replica dying in the middle of a job or a vote, a restart with
// deliveries pending. They run the real pieces in-process (bot, engine,
// tollgate workflow, scheduler, outbox) on the real embedded store, reached
// through internal/faultproxy where the store must fail, against the fake
// Slack of internal/fakeslack. Each test logs a one-line "FAULT" summary of
// what it observed.
//
// TestBenchSustainedRate (ITSPM_BENCH=1) finds the sustained request rate
// of a real `itspm serve` process with cmd/itspm-load.
package faulttest
