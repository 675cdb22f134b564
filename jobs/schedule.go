package jobs

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Schedule is a parsed cron spec evaluated on the wall clock of one time
// zone.
//
// robfig/cron computes times in a location directly, which skips or repeats
// runs when clocks change. We use it only on wall-clock times (a zone
// without DST, UTC) and map each wall-clock occurrence to exactly one
// instant ourselves:
//
//   - a wall-clock time that occurs twice (clocks fall back) denotes its
//     first instance: a job at 01:30 runs once, at 01:30 before the change;
//   - a wall-clock time that does not exist (clocks spring forward) denotes
//     the first instant after the gap: a job at 02:30 runs at 03:00 the day
//     New York skips 02:00–03:00. Several skipped times collapse into that
//     one instant, which is one occurrence.
//
// Occurrences are keyed by that instant (in UTC), so every replica agrees.
type Schedule struct {
	Spec     string
	Location *time.Location
	spec     *cron.SpecSchedule
}

// specParser accepts the five standard fields and descriptors (@daily,
// @weekly…), as the README documents.
var specParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule parses a five-field cron spec (or a descriptor such as
// @daily) for loc. The time zone comes from ITSPM_TIMEZONE, so TZ= and
// CRON_TZ= prefixes are refused, as is @every (an interval has no fixed
// occurrence times to claim once).
func ParseSchedule(spec string, loc *time.Location) (sch *Schedule, err error) {
	spec = strings.TrimSpace(spec)
	if loc == nil {
		loc = time.UTC
	}
	switch {
	case spec == "":
		return nil, fmt.Errorf("empty schedule (want a cron spec like \"0 9 * * MON\")")
	case strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ="):
		return nil, fmt.Errorf("%q: no TZ= or CRON_TZ= prefix; the time zone is ITSPM_TIMEZONE", spec)
	case strings.HasPrefix(spec, "@every"):
		return nil, fmt.Errorf("%q: @every is not supported; use a cron spec with fixed times", spec)
	}
	// robfig/cron panics on some malformed input; a bad setting must be a
	// start-up error, not a crash.
	defer func() {
		if r := recover(); r != nil {
			sch, err = nil, fmt.Errorf("%q is not a valid cron spec (%v)", spec, r)
		}
	}()
	parsed, err := specParser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("%q is not a valid cron spec: %v (want minute hour day-of-month month day-of-week, like \"0 9 * * MON-FRI\")", spec, err)
	}
	ss, ok := parsed.(*cron.SpecSchedule)
	if !ok {
		return nil, fmt.Errorf("%q is not a supported cron spec", spec)
	}
	// Use the wall clock: robfig evaluates in the time's own location (UTC)
	// when the schedule's is Local.
	ss.Location = time.Local
	s := &Schedule{Spec: spec, Location: loc, spec: ss}
	if ss.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return nil, fmt.Errorf("%q never fires", spec)
	}
	return s, nil
}

// Next returns the first occurrence strictly after instant a.
func (s *Schedule) Next(a time.Time) time.Time {
	w := wallOf(a, s.Location)
	// Wall-clock times after a's map to instants after a, except during a
	// repeated hour, where they may map to first instances before a: skip
	// those. The bound guards against a spec that stops matching.
	for i := 0; i < 100000; i++ {
		w = s.spec.Next(w)
		if w.IsZero() {
			return time.Time{}
		}
		if t := instantOf(w, s.Location); t.After(a) {
			return t
		}
	}
	return time.Time{}
}

// Between returns the occurrences in (after, until], oldest first, at most
// limit of the most recent ones, and how many there were in all.
func (s *Schedule) Between(after, until time.Time, limit int) (occ []time.Time, total int) {
	for t := s.Next(after); !t.IsZero() && !t.After(until); t = s.Next(t) {
		total++
		occ = append(occ, t)
		if limit > 0 && len(occ) > limit {
			occ = occ[1:]
		}
	}
	return occ, total
}

// wallOf is t's wall-clock reading in loc, as a UTC time.
func wallOf(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	y, mo, d := t.Date()
	h, mi, sec := t.Clock()
	return time.Date(y, mo, d, h, mi, sec, t.Nanosecond(), time.UTC)
}

// instantOf maps a wall-clock time (w's fields; its location is ignored) to
// the instant it denotes in loc, by the rule in Schedule's comment.
func instantOf(w time.Time, loc *time.Location) time.Time {
	y, mo, d := w.Date()
	h, mi, sec := w.Clock()
	t := time.Date(y, mo, d, h, mi, sec, w.Nanosecond(), loc)
	got := wallOf(t, loc)
	switch {
	case got.Equal(w):
		// t may be the second instance of a repeated time (Go does not
		// promise which it picks): if the zone began just before with a
		// smaller offset, the same reading occurred offset-difference
		// earlier.
		start, _ := t.ZoneBounds()
		if start.IsZero() {
			return t
		}
		_, off := t.Zone()
		_, prev := start.Add(-time.Nanosecond).Zone()
		if prev > off {
			u := t.Add(-time.Duration(prev-off) * time.Second)
			if u.Before(start) && wallOf(u, loc).Equal(w) {
				return u
			}
		}
		return t
	case got.After(w):
		// Go normalised forward past the gap: the gap ends where t's zone starts.
		start, _ := t.ZoneBounds()
		return start
	default:
		// Go normalised backward: the gap starts where t's zone ends.
		_, end := t.ZoneBounds()
		return end
	}
}
