package main

import (
	"slices"
	"testing"

	"github.com/itspm/itspm/jobs"
)

// Every job must be overridable by ITSPM_SCHEDULE_<JOB>, and the deploy
// files list those variables from jobNames.
func TestJobNamesCoverEveryJob(t *testing.T) {
	for _, n := range append(jobs.Names(), jobs.SLISync) {
		if !slices.Contains(jobNames, n) {
			t.Errorf("job %s is missing from jobNames", n)
		}
	}
}
