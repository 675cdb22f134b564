package main

import (
	"fmt"
	"io"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/jobs"
	"github.com/itspm/itspm/sli"
)

// sliJobs is job sli-sync when ITSPM_PROMETHEUS_URL is set (SPEC section
// 9), else nothing.
func (a *app) sliJobs() ([]jobs.Job, error) {
	if a.cfg.PrometheusURL == "" {
		return nil, nil
	}
	c, err := sli.New(sli.Options{URL: a.cfg.PrometheusURL, BearerToken: a.cfg.PrometheusToken})
	if err != nil {
		return nil, fmt.Errorf("ITSPM_PROMETHEUS_URL: %v", err)
	}
	return []jobs.Job{jobs.SLISyncJob(jobs.SLIOptions{Store: a.store, Querier: c, Logger: a.logger})}, nil
}

// checkSLIJob explains why sli-sync cannot run.
func (a *app) checkSLIJob(name string) error {
	if name == jobs.SLISync && a.cfg.PrometheusURL == "" {
		return domain.Errorf(domain.Invalid, "Job sli-sync reads Prometheus: set ITSPM_PROMETHEUS_URL (and ITSPM_PROMETHEUS_BEARER_TOKEN if it needs one).")
	}
	return nil
}

// printReports shows the owner reports a run without Slack enqueued: the
// running bot delivers them.
func printReports(w io.Writer, msgs []jobs.Message) {
	for _, m := range msgs {
		to := m.To
		if to == "" {
			to = "(nobody: the owner has no Slack user in the catalog)"
		}
		fmt.Fprintf(w, "\n→ to %s (left in the outbox for the running bot):\n%s\n", to, indent(commands.PlainText(m.Reply)))
	}
}
