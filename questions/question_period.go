package questions

import (
	"fmt"
	"strconv"
	"time"

	"github.com/itspm/itspm/domain"
)

// period is a date range a question filters on ("this quarter", "in 2027",
// "next month"), inclusive at both ends, relative to today.
type period struct {
	from, to domain.Date
	label    string
}

func (p period) contains(d domain.Date) bool {
	return d.Valid() && !d.Before(p.from) && !p.to.Before(d)
}

// window is the period as a filter's Window.
func (p period) window() *Window { return &Window{From: p.from, To: p.to, Label: p.label} }

func (p period) String() string {
	return fmt.Sprintf("%s (%s to %s)", p.label, p.from, p.to)
}

var monthNames = map[string]time.Month{
	"january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
	"june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9,
	"october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}

func dateOf(t time.Time) domain.Date { return domain.DateOf(t) }

func monthRange(y int, m time.Month) (domain.Date, domain.Date) {
	first := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	return dateOf(first), dateOf(first.AddDate(0, 1, -1))
}

func quarterRange(y, q int) (domain.Date, domain.Date) {
	first := time.Date(y, time.Month(3*(q-1)+1), 1, 0, 0, 0, 0, time.UTC)
	return dateOf(first), dateOf(first.AddDate(0, 3, -1))
}

func yearOf(w string) (int, bool) {
	if len(w) != 4 {
		return 0, false
	}
	y, err := strconv.Atoi(w)
	if err != nil || y < 2000 || y > 2099 {
		return 0, false
	}
	return y, true
}

// parsePeriod finds the first time range named in ws.
func parsePeriod(ws []string, today domain.Date) (period, bool) {
	t, err := today.Time()
	if err != nil {
		return period{}, false
	}
	y, m := t.Year(), t.Month()
	q := (int(m)-1)/3 + 1
	mk := func(from, to domain.Date, label string) (period, bool) {
		return period{from: from, to: to, label: label}, true
	}
	next := func(i int) string {
		if i+1 < len(ws) {
			return ws[i+1]
		}
		return ""
	}
	prev := func(i int) string {
		if i > 0 {
			return ws[i-1]
		}
		return ""
	}
	for i, w := range ws {
		switch w {
		case "quarter":
			switch prev(i) {
			case "next", "coming", "following":
				ny, nq := y, q+1
				if nq > 4 {
					ny, nq = y+1, 1
				}
				f, l := quarterRange(ny, nq)
				return mk(f, l, fmt.Sprintf("next quarter, Q%d %d", nq, ny))
			case "last", "previous", "past":
				py, pq := y, q-1
				if pq < 1 {
					py, pq = y-1, 4
				}
				f, l := quarterRange(py, pq)
				return mk(f, l, fmt.Sprintf("last quarter, Q%d %d", pq, py))
			case "this", "current", "the":
				f, l := quarterRange(y, q)
				return mk(f, l, fmt.Sprintf("this quarter, Q%d %d", q, y))
			}
		case "q1", "q2", "q3", "q4":
			qq := int(w[1] - '0')
			qy := y
			if ny, ok := yearOf(next(i)); ok {
				qy = ny
			} else if qq < q {
				qy = y + 1 // "in Q1" late in the year means the coming one
			}
			f, l := quarterRange(qy, qq)
			return mk(f, l, fmt.Sprintf("Q%d %d", qq, qy))
		case "month":
			switch prev(i) {
			case "next", "coming", "following":
				f, l := monthRange(y, m+1)
				ft, _ := f.Time()
				return mk(f, l, "next month, "+ft.Format("January 2006"))
			case "last", "previous", "past":
				f, l := monthRange(y, m-1)
				ft, _ := f.Time()
				return mk(f, l, "last month, "+ft.Format("January 2006"))
			case "this", "current", "the":
				f, l := monthRange(y, m)
				return mk(f, l, "this month, "+t.Format("January 2006"))
			}
		case "week":
			wd := (int(t.Weekday()) + 6) % 7 // Monday = 0
			monday := t.AddDate(0, 0, -wd)
			switch prev(i) {
			case "next", "coming", "following":
				return mk(dateOf(monday.AddDate(0, 0, 7)), dateOf(monday.AddDate(0, 0, 13)), "next week")
			case "this", "current", "the":
				return mk(dateOf(monday), dateOf(monday.AddDate(0, 0, 6)), "this week")
			}
		case "year":
			switch prev(i) {
			case "next", "coming", "following":
				return mk(domain.Date(fmt.Sprintf("%d-01-01", y+1)), domain.Date(fmt.Sprintf("%d-12-31", y+1)), fmt.Sprintf("next year, %d", y+1))
			case "last", "previous", "past":
				return mk(domain.Date(fmt.Sprintf("%d-01-01", y-1)), domain.Date(fmt.Sprintf("%d-12-31", y-1)), fmt.Sprintf("last year, %d", y-1))
			case "this", "current":
				return mk(domain.Date(fmt.Sprintf("%d-01-01", y)), domain.Date(fmt.Sprintf("%d-12-31", y)), fmt.Sprintf("this year, %d", y))
			case "the":
				if prev(i-1) == "of" || prev(i-1) == "rest" { // "end of the year", "rest of the year"
					return mk(today, domain.Date(fmt.Sprintf("%d-12-31", y)), "the rest of the year")
				}
			}
			if next(i) == "end" || prev(i) == "end" { // "year end", "end year"
				return mk(today, domain.Date(fmt.Sprintf("%d-12-31", y)), "the rest of the year")
			}
		case "days", "day", "weeks", "months":
			n := 0
			if v, err := strconv.Atoi(prev(i)); err == nil {
				n = v
			} else if v, ok := numberWords[prev(i)]; ok {
				n = v
			}
			if n <= 0 || n > 1000 {
				continue
			}
			end := t.AddDate(0, 0, n)
			switch w {
			case "weeks":
				end = t.AddDate(0, 0, 7*n)
			case "months":
				end = t.AddDate(0, n, 0)
			}
			return mk(today, dateOf(end), fmt.Sprintf("the next %d %s", n, w))
		case "soon", "shortly":
			return mk(today, dateOf(t.AddDate(0, 0, 30)), "the next 30 days")
		}
		if mm, ok := monthNames[w]; ok {
			// "may" and "march" are also verbs: need a preposition or a year.
			if (w == "may" || w == "march" || w == "mar") && !has([]string{prev(i)}, "in", "by", "before", "until", "of", "end", "for", "during") {
				if _, ok := yearOf(next(i)); !ok {
					continue
				}
			}
			my := y
			if ny, ok := yearOf(next(i)); ok {
				my = ny
			} else if mm < m {
				my = y + 1
			}
			f, l := monthRange(my, mm)
			ft, _ := f.Time()
			if prev(i) == "before" {
				return mk(today, f.AddDays(-1), "before "+ft.Format("January 2006"))
			}
			if prev(i) == "by" || prev(i) == "until" {
				return mk(today, l, "by the end of "+ft.Format("January 2006"))
			}
			return mk(f, l, ft.Format("January 2006"))
		}
		if yy, ok := yearOf(w); ok {
			if prev(i) == "before" {
				return mk(today, domain.Date(fmt.Sprintf("%d-12-31", yy-1)), fmt.Sprintf("before %d", yy))
			}
			if prev(i) == "by" || prev(i) == "until" {
				return mk(today, domain.Date(fmt.Sprintf("%d-12-31", yy)), fmt.Sprintf("by the end of %d", yy))
			}
			return mk(domain.Date(fmt.Sprintf("%d-01-01", yy)), domain.Date(fmt.Sprintf("%d-12-31", yy)), strconv.Itoa(yy))
		}
	}
	return period{}, false
}
