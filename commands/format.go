package commands

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/itspm/itspm/domain"
)

// Money formats an amount with its currency: €120,000 or CHF 4.50.
func Money(currency string, v float64) string {
	sym := map[string]string{"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}[currency]
	neg := v < 0
	v = math.Abs(v)
	var num string
	if v == math.Trunc(v) {
		num = group(strconv.FormatFloat(v, 'f', 0, 64))
	} else {
		s := strconv.FormatFloat(v, 'f', 2, 64)
		whole, frac, _ := strings.Cut(s, ".")
		num = group(whole) + "." + frac
	}
	if neg {
		num = "-" + num
	}
	switch {
	case sym != "":
		return sym + num
	case currency != "":
		return currency + " " + num
	}
	return num
}

func group(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	pre := len(digits) % 3
	if pre > 0 {
		b.WriteString(digits[:pre])
	}
	for i := pre; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

// Percent formats a fraction as a percentage with up to one decimal.
func Percent(f float64) string {
	p := f * 100
	if math.Abs(p-math.Round(p)) < 0.05 {
		return fmt.Sprintf("%.0f%%", p)
	}
	return fmt.Sprintf("%.1f%%", p)
}

// Number formats a measurement without trailing zeros.
func Number(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func Currency(s *domain.Service) string {
	if s.Cost != nil {
		return s.Cost.Currency
	}
	return ""
}

// DueText describes a due date relative to today.
func DueText(d domain.Due) string {
	switch {
	case d.Never:
		return "due now (never done)"
	case d.Days == 0:
		return string(d.Date) + " (today)"
	case d.Overdue:
		return fmt.Sprintf("%s (overdue by %s)", d.Date, Plural(-d.Days, "day"))
	}
	return fmt.Sprintf("%s (in %s)", d.Date, Plural(d.Days, "day"))
}

// DateRel describes a date relative to today.
func DateRel(d, today domain.Date) string {
	if !d.Valid() {
		return string(d)
	}
	n := today.DaysUntil(d)
	switch {
	case n == 0:
		return string(d) + " (today)"
	case n < 0:
		return fmt.Sprintf("%s (%s ago)", d, Plural(-n, "day"))
	}
	return fmt.Sprintf("%s (in %s)", d, Plural(n, "day"))
}

func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// Person renders a catalog person as a mention (or their name); an owner
// that is a team renders as the team and its members.
func Person(snap *domain.Snapshot, name string) string {
	if name == "" {
		return "nobody"
	}
	p, ok := snap.People[name]
	if !ok {
		return teamText(snap, name, Person)
	}
	return Mention(p.SlackUser, p.Label())
}

// PersonDetail renders name, mention and email (for a team, its members').
func PersonDetail(snap *domain.Snapshot, name string) string {
	p, ok := snap.People[name]
	if !ok {
		return teamText(snap, name, PersonDetail)
	}
	s := Mention(p.SlackUser, p.Label())
	if p.Email != "" {
		s += " · " + p.Email
	}
	return s
}

func PortfolioText(snap *domain.Snapshot, name string) string {
	if pf, ok := snap.Portfolios[name]; ok && pf.Title != "" {
		return pf.Title
	}
	return name
}

func TierText(t int) string {
	if t == 0 {
		return "not set"
	}
	return fmt.Sprintf("Tier %d", t)
}

func stageText(s domain.Stage) string {
	i := s.Index()
	if i < 0 {
		return string(s)
	}
	return fmt.Sprintf("%s (%d of %d)", s, i+1, len(domain.Stages))
}

func ServiceLabel(s *domain.Service) string {
	switch {
	case s.Title == "":
		return s.Name
	case strings.EqualFold(s.Title, s.Name):
		return s.Title
	}
	return fmt.Sprintf("%s (%s)", s.Title, s.Name)
}

func KPITarget(t domain.SLATarget) string {
	op := "≥"
	if t.LowerIsBetter() {
		op = "≤"
	}
	return fmt.Sprintf("%s %s %s", op, Number(t.Target), UnitText(t.Unit))
}

func UnitText(u string) string {
	if u == "percent" {
		return "%"
	}
	return u
}

func quote(s string) string { return strings.TrimSpace(s) }

// maxTeamMembers is how many members of an owning team are listed.
const maxTeamMembers = 8

// teamText renders the board named name as "Title (team: a, b)", each
// member by member; a name that is no board stays as it is.
func teamText(snap *domain.Snapshot, name string, member func(*domain.Snapshot, string) string) string {
	b, ok := snap.Boards[name]
	if !ok {
		return name
	}
	label := b.Title
	if label == "" {
		label = b.Name
	}
	if len(b.Members) == 0 {
		return label + " (team, no members in the catalog)"
	}
	var ms []string
	for i, m := range b.Members {
		if i == maxTeamMembers {
			ms = append(ms, fmt.Sprintf("and %d more", len(b.Members)-i))
			break
		}
		ms = append(ms, member(snap, m))
	}
	sep := ", "
	if strings.Contains(strings.Join(ms, ""), " · ") {
		sep = "; "
	}
	return label + " (team: " + strings.Join(ms, sep) + ")"
}
