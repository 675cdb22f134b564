package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/itspm/itspm/domain"
)

// measure is `measure <svc> <kpi> <value> [YYYY-MM]` (default: last month).
// It is read from the end, so a service title may have spaces.
func (e *Engine) measure(ctx context.Context, r *request) (Reply, error) {
	const usage = "`measure <service> <kpi> <value> [YYYY-MM]`"
	today := e.Today()
	args := r.args
	month := lastMonth(today)
	if n := len(args); n >= 4 && looksLikeMonth(args[n-1]) {
		m, err := parsePastMonth(args[n-1], today)
		if err != nil {
			return Reply{}, err
		}
		month, args = m, args[:n-1]
	}
	if len(args) < 3 {
		return Reply{}, usageError("Usage: %s, e.g. `measure payroll availability 99.95 %s`.", usage, month)
	}
	n := len(args)
	s, err := resolveWrite(r.snap, strings.Join(args[:n-2], " "))
	if err != nil {
		return Reply{}, err
	}
	target, err := findKPI(s, args[n-2])
	if err != nil {
		return Reply{}, err
	}
	value, err := parseNumber(args[n-1], target.KPI+" value")
	if err != nil {
		return Reply{}, err
	}
	m := domain.Measurement{KPI: target.KPI, Month: month, Value: value}
	if _, err := e.applyMeasurement(ctx, r.snap, r.caller, s, m); err != nil {
		return Reply{}, err
	}
	verdict := "meets"
	if !metTarget(target, value) {
		verdict = "misses"
	}
	return Reply{
		Title:     fmt.Sprintf("Measurement recorded for %s", s.Label()),
		Text:      fmt.Sprintf("%s in %s: %s %s, which %s the target %s.", target.KPI, month, Number(value), UnitText(target.Unit), verdict, KPITarget(target)),
		InChannel: true,
	}, nil
}

// applyMeasurement stores m, replacing the value of the same KPI and month.
func (e *Engine) applyMeasurement(ctx context.Context, snap *domain.Snapshot, c Caller, s *domain.Service, m domain.Measurement) (*domain.Service, error) {
	return e.writeService(ctx, snap, c, s, write{
		action: "measure.record", what: "record measurements",
		summary: fmt.Sprintf("recorded %s = %s for %s", m.KPI, Number(m.Value), m.Month),
		change: func(svc *domain.Service) error {
			if svc.Performance == nil {
				svc.Performance = &domain.Performance{}
			}
			for i, old := range svc.Performance.Measurements {
				if old.KPI == m.KPI && old.Month == m.Month {
					svc.Performance.Measurements[i] = m
					return nil
				}
			}
			svc.Performance.Measurements = append(svc.Performance.Measurements, m)
			return nil
		},
	})
}

// metTarget reports whether value meets the target (as KPIResults judges).
func metTarget(t domain.SLATarget, value float64) bool {
	if t.BetterWhen == "lower" {
		return value <= t.Target
	}
	return value >= t.Target
}

// looksLikeMonth reports whether s is meant as a month: digits, a dash,
// digits (so "2026-13" is refused as a month, not taken for a value).
func looksLikeMonth(s string) bool {
	y, m, ok := strings.Cut(s, "-")
	return ok && len(y) == 4 && allDigits(y) && len(m) >= 1 && len(m) <= 2 && allDigits(m)
}

func allDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
