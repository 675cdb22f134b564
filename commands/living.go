package commands

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/itspm/itspm/domain"
)

// Living data: the commands that change a service's reviews, measurements,
// actual costs, roadmap and improvements from Slack (SPEC section 9), and
// `dr <svc> record`. Each goes through writeService: the same permission
// check, the same audited, per-document-locked UpdateService, so a change
// shows at once in every read command, the App Home and export.

// write is one change to one service, as a command or a button asks for it.
type write struct {
	action  string // audit action, e.g. "measure.record"
	what    string // what the refusal says the caller may not do, e.g. "record measurements"
	summary string // audit summary
	// change edits the service. It runs under the service's write lock, on
	// the stored document (not the snapshot), so checks made in it see
	// every earlier write.
	change func(*domain.Service) error
	// guard, when set, runs before change on the same stored document: a
	// button's check that the item is still as its reminder saw it.
	guard func(*domain.Service) error
}

// writeService applies w to s as the caller: owner, portfolio manager or
// admin only; the change is audited with before and after.
func (e *Engine) writeService(ctx context.Context, snap *domain.Snapshot, c Caller, s *domain.Service, w write) (*domain.Service, error) {
	if !e.CanManage(snap, c, s) {
		return nil, e.forbidden(snap, s, w.what)
	}
	return e.store.UpdateService(ctx, s.Name, domain.AuditEntry{
		Actor: ActorName(c), Action: w.action, Source: c.Source, Summary: w.summary,
	}, func(svc *domain.Service) error {
		if w.guard != nil {
			if err := w.guard(svc); err != nil {
				return err
			}
		}
		return w.change(svc)
	})
}

func (e *Engine) forbidden(snap *domain.Snapshot, s *domain.Service, what string) error {
	return domain.Errorf(domain.Forbidden, "Only %s's owner (%s), its portfolio manager or an admin can %s.", s.Label(), Person(snap, s.Owner), what)
}

// keywordAt returns the index (> 0) of the first argument equal to one of
// words, case-insensitively, or -1: the service name before it may have
// spaces.
func keywordAt(args []string, words ...string) int {
	for i, a := range args {
		if i == 0 {
			continue
		}
		for _, w := range words {
			if strings.EqualFold(a, w) {
				return i
			}
		}
	}
	return -1
}

// parseNumber reads a finite number, refusing anything else.
func parseNumber(s, what string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, domain.Errorf(domain.Invalid, "%q is not a number; give the %s as digits, e.g. 99.95.", s, what)
	}
	return v, nil
}

// parseAmount reads a money amount: a finite number, not negative.
func parseAmount(s, what string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, domain.Errorf(domain.Invalid, "%q is not an amount; give the %s as digits, e.g. 23500.", s, what)
	}
	if v < 0 {
		return 0, domain.Errorf(domain.Invalid, "The %s can't be negative (%s).", what, s)
	}
	return v, nil
}

// parsePastMonth reads YYYY-MM, refusing months after today's.
func parsePastMonth(s string, today domain.Date) (domain.Month, error) {
	m := domain.Month(strings.TrimSpace(s))
	if !m.Valid() || len(m) != 7 {
		return "", domain.Errorf(domain.Invalid, "%q is not a month; write it as YYYY-MM, e.g. %s.", s, lastMonth(today))
	}
	if m > domain.MonthOf(today) {
		return "", domain.Errorf(domain.Invalid, "%s is in the future; record a month that has begun (%s or earlier).", m, domain.MonthOf(today))
	}
	return m, nil
}

// lastMonth is the month before today's.
func lastMonth(today domain.Date) domain.Month {
	first := domain.Date(string(domain.MonthOf(today)) + "-01")
	return domain.MonthOf(first.AddMonths(-1))
}

// ParseDate reads YYYY-MM-DD.
func ParseDate(s string) (domain.Date, error) {
	d := domain.Date(strings.TrimSpace(s))
	if !d.Valid() || len(d) != 10 {
		return "", domain.Errorf(domain.Invalid, "%q is not a date; write it as YYYY-MM-DD, e.g. 2026-12-31.", s)
	}
	return d, nil
}

// checkNotes refuses text the catalog could not hold.
func checkNotes(notes, what string) error {
	if err := domain.CheckText(notes); err != nil {
		return domain.Errorf(domain.Invalid, "The %s %v.", what, err)
	}
	if len(notes) > 2000 {
		return domain.Errorf(domain.Invalid, "Please keep the %s under 2,000 characters.", what)
	}
	return nil
}

// withNotes is an audit summary with notes in brackets, when there are any.
func withNotes(s, notes string) string {
	if notes == "" {
		return s
	}
	return s + " (" + notes + ")"
}

// kpiList names a service's SLA KPIs for a refusal.
func kpiList(s *domain.Service) string {
	var names []string
	for _, t := range s.SLA {
		names = append(names, t.KPI)
	}
	return OrList(names)
}

// findKPI is the SLA target of s named kpi (case-insensitive).
func findKPI(s *domain.Service, kpi string) (domain.SLATarget, error) {
	if len(s.SLA) == 0 {
		return domain.SLATarget{}, domain.Errorf(domain.Invalid, "%s has no SLA targets, so there is no KPI to measure; add them to the catalog first.", s.Label())
	}
	for _, t := range s.SLA {
		if strings.EqualFold(t.KPI, kpi) {
			return t, nil
		}
	}
	return domain.SLATarget{}, domain.Errorf(domain.Invalid, "%s has no KPI %q; its KPIs are %s.", s.Label(), kpi, kpiList(s))
}

// resolveBefore resolves the service named by args[:i], for a write.
func resolveBefore(r *request, i int, usage string) (*domain.Service, error) {
	if i <= 0 {
		return nil, domain.Errorf(domain.Invalid, "Which service? Usage: %s", usage)
	}
	return resolveWrite(r.snap, strings.Join(r.args[:i], " "))
}

// resolveWrite is Resolve without its typo tolerance: a change goes to the
// service named (by name, alias or title), never to a near miss, which
// gets "did you mean" instead.
func resolveWrite(snap *domain.Snapshot, ref string) (*domain.Service, error) {
	s, err := Resolve(snap, ref)
	if err != nil {
		return nil, err
	}
	key := Normalize(ref)
	for _, k := range []string{key, strings.ReplaceAll(key, " ", "-"), strings.TrimPrefix(key, "the ")} {
		if got, ok := snap.Lookup(k); ok && got == s {
			return s, nil
		}
	}
	return nil, NotFound(snap, ref)
}

// usageError is an Invalid error that shows the command's usage.
func usageError(format string, args ...any) error {
	return domain.Errorf(domain.Invalid, "%s", fmt.Sprintf(format, args...))
}
