package domain

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Date is a calendar date, YYYY-MM-DD. It is a string so that catalog
// documents keep what was written (and validation can point at it), and so
// that dates sort and store as text everywhere.
type Date string

// DateOf returns the calendar date of t in t's location.
func DateOf(t time.Time) Date { return Date(t.Format(time.DateOnly)) }

// Today returns the calendar date of now in loc.
func Today(now time.Time, loc *time.Location) Date {
	if loc == nil {
		loc = time.UTC
	}
	return DateOf(now.In(loc))
}

// Time returns midnight UTC of the date.
func (d Date) Time() (time.Time, error) {
	t, err := time.Parse(time.DateOnly, string(d))
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date (want YYYY-MM-DD)", string(d))
	}
	return t, nil
}

// Valid reports whether d is a real calendar date.
func (d Date) Valid() bool { _, err := d.Time(); return err == nil }

// IsZero reports whether the date is unset.
func (d Date) IsZero() bool { return d == "" }

// Before reports whether d is strictly before e (both must be valid).
func (d Date) Before(e Date) bool { return d < e }

// DaysUntil is the number of days from d to e (negative when e is earlier).
func (d Date) DaysUntil(e Date) int {
	a, err1 := d.Time()
	b, err2 := e.Time()
	if err1 != nil || err2 != nil {
		return 0
	}
	return int(b.Sub(a).Hours() / 24)
}

// AddDays returns d plus n days.
func (d Date) AddDays(n int) Date {
	t, err := d.Time()
	if err != nil {
		return d
	}
	return DateOf(t.AddDate(0, 0, n))
}

// AddMonths adds n months, clamping to the last day of the target month, so
// 2026-08-31 plus six months is 2027-02-28 (time.AddDate would overflow
// into March) and 2024-02-29 plus a year is 2025-02-28.
func (d Date) AddMonths(n int) Date {
	t, err := d.Time()
	if err != nil {
		return d
	}
	y, m, day := t.Date()
	first := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC).AddDate(0, n, 0)
	last := first.AddDate(0, 1, -1).Day()
	if day > last {
		day = last
	}
	return DateOf(time.Date(first.Year(), first.Month(), day, 0, 0, 0, 0, time.UTC))
}

// Month is a calendar month, YYYY-MM.
type Month string

// Valid reports whether m is a real month.
func (m Month) Valid() bool {
	_, err := time.Parse("2006-01", string(m))
	return err == nil
}

// MonthOf returns the month of a date.
func MonthOf(d Date) Month {
	if len(d) >= 7 {
		return Month(d[:7])
	}
	return ""
}

// Period is a review or test cadence.
type Period string

// The periods of SPEC section 5.
const (
	Monthly    Period = "monthly"
	Quarterly  Period = "quarterly"
	Semiannual Period = "semiannual"
	Annual     Period = "annual"
)

// Periods lists the valid cadences.
var Periods = []Period{Monthly, Quarterly, Semiannual, Annual}

// Months is the period's length in months, or 0 when it is not a period.
func (p Period) Months() int {
	switch p {
	case Monthly:
		return 1
	case Quarterly:
		return 3
	case Semiannual:
		return 6
	case Annual:
		return 12
	}
	return 0
}

// Valid reports whether p is one of Periods.
func (p Period) Valid() bool { return p.Months() > 0 }

// ParseDuration reads RTO/RPO values such as 30s, 15m, 4h, 1d, 2w and 1h30m.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	var total time.Duration
	rest := s
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		if i == 0 || i == len(rest) {
			return 0, fmt.Errorf("%q is not a duration (want a number and a unit: s, m, h, d or w, e.g. 4h or 15m)", s)
		}
		n, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration", s)
		}
		var unit time.Duration
		switch rest[i] {
		case 's':
			unit = time.Second
		case 'm':
			unit = time.Minute
		case 'h':
			unit = time.Hour
		case 'd':
			unit = 24 * time.Hour
		case 'w':
			unit = 7 * 24 * time.Hour
		default:
			return 0, fmt.Errorf("%q has unknown unit %q (use s, m, h, d or w)", s, rest[i:i+1])
		}
		total += time.Duration(n * float64(unit))
		rest = rest[i+1:]
	}
	if total < 0 {
		return 0, fmt.Errorf("%q is negative", s)
	}
	return total, nil
}

// FormatDuration renders a duration the way catalogs write them (4h, 15m, 1d).
func FormatDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0m"
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}
