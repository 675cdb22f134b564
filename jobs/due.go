package jobs

import (
	"sort"

	"github.com/itspm/itspm/domain"
)

// dueItem is a service and when something of it (a review, a DR test) is
// next due.
type dueItem struct {
	svc *domain.Service
	due domain.Due
}

// dueWithin lists, in name order, the services not in retirement for which
// next reports a date that is overdue or at most horizon days away.
func dueWithin(snap *domain.Snapshot, today domain.Date, horizon int, next func(*domain.Service, domain.Date) (domain.Due, bool)) []dueItem {
	var out []dueItem
	for _, name := range snap.ServiceNames() {
		s := snap.Services[name]
		if s.IsRetired() {
			continue
		}
		due, ok := next(s, today)
		if !ok || (!due.Overdue && due.Days > horizon) {
			continue
		}
		out = append(out, dueItem{svc: s, due: due})
	}
	return out
}

// sortDue puts never-done items first, then the most overdue.
func sortDue(items []dueItem) {
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i].due, items[j].due
		if a.Never != b.Never {
			return a.Never
		}
		return a.Days < b.Days
	})
}
