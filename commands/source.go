package commands

import "github.com/itspm/itspm/domain"

// SourceText says where a measurement came from, for `performance` and the
// review digests: "from Prometheus" (job sli-sync) or "typed".
func SourceText(m domain.Measurement) string {
	if m.SourceName() == domain.SourcePrometheus {
		return "from Prometheus"
	}
	return "typed"
}
