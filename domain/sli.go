package domain

import (
	"fmt"
	"time"
)

// Measurement sources (SPEC section 9): a value someone typed (in YAML or
// with `measure`), or one job sli-sync read from Prometheus. Typed is the
// default and is stored as the empty string, so catalogs written before
// sources existed export byte for byte as they did.
const (
	SourceTyped      = "typed"
	SourcePrometheus = "prometheus"
)

// MeasurementSources lists the values `source:` may take.
var MeasurementSources = []string{SourceTyped, SourcePrometheus}

// SourceName is where the value came from: typed or prometheus.
func (m Measurement) SourceName() string {
	if m.Source == "" {
		return SourceTyped
	}
	return m.Source
}

// Bounds returns the month's first instant and the next month's first
// instant in loc: the half-open interval [start, end) the month covers.
func (m Month) Bounds(loc *time.Location) (start, end time.Time, err error) {
	t, err := time.Parse("2006-01", string(m))
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("month %q: want YYYY-MM", string(m))
	}
	if loc == nil {
		loc = time.UTC
	}
	start = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
	return start, start.AddDate(0, 1, 0), nil
}

// PreviousMonth is the calendar month before the one holding today.
func PreviousMonth(today Date) Month {
	t, err := today.Time()
	if err != nil {
		return ""
	}
	first := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	return Month(first.AddDate(0, -1, 0).Format("2006-01"))
}

// Measurement returns the service's measurement of kpi in month, if any.
func (s *Service) Measurement(kpi string, month Month) (Measurement, bool) {
	if s.Performance == nil {
		return Measurement{}, false
	}
	for _, m := range s.Performance.Measurements {
		if m.KPI == kpi && m.Month == month {
			return m, true
		}
	}
	return Measurement{}, false
}
