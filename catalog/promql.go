package catalog

import (
	"fmt"

	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/sli"
)

// queryProblems checks each SLA entry's `query:` with Prometheus's own
// PromQL parser (package sli), so a typo is an import error at its line
// rather than a failed sync a month later.
func queryProblems(services []domain.Service) []domain.Problem {
	var out []domain.Problem
	for _, s := range services {
		for i, t := range s.SLA {
			if t.Query == "" {
				continue
			}
			if err := sli.Check(t.Query); err != nil {
				out = append(out, domain.Problem{Kind: domain.KindService, Name: s.Name,
					Path: fmt.Sprintf("spec.sla[%d].query", i), Message: err.Error()})
			}
		}
	}
	return out
}
