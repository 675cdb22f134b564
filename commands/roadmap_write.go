package commands

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/itspm/itspm/domain"
)

// roadmapOrder is the order `roadmap <svc>` lists items in (by due date,
// undated first, stable), as indexes into s.Roadmap: item numbers typed
// in `roadmap <svc> done 2` count in this order.
func roadmapOrder(s *domain.Service) []int {
	idx := make([]int, len(s.Roadmap))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return s.Roadmap[idx[a]].Due < s.Roadmap[idx[b]].Due })
	return idx
}

// roadmapWrite is `roadmap <svc> done <item>` and `roadmap <svc> postpone
// <item> <YYYY-MM-DD>`; ok false when args hold neither keyword (the read
// command then answers).
func (e *Engine) roadmapWrite(ctx context.Context, r *request) (Reply, bool, error) {
	i := keywordAt(r.args, "done", "postpone")
	if i < 0 {
		return Reply{}, false, nil
	}
	verb := strings.ToLower(r.args[i])
	usage := "`roadmap <service> done <item>` or `roadmap <service> postpone <item> <YYYY-MM-DD>`"
	s, err := resolveBefore(r, i, usage)
	if err != nil {
		return Reply{}, true, err
	}
	rest := r.args[i+1:]
	var to domain.Date
	if verb == "postpone" {
		if len(rest) < 2 {
			return Reply{}, true, usageError("Which item, and to when? Usage: `roadmap %s postpone <item> <YYYY-MM-DD>`.", s.Name)
		}
		if to, err = ParseDate(rest[len(rest)-1]); err != nil {
			return Reply{}, true, err
		}
		rest = rest[:len(rest)-1]
	}
	if len(rest) == 0 {
		return Reply{}, true, usageError("Which item? Give its number in `roadmap %s` or words of its title.", s.Name)
	}
	idx, err := findRoadmapItem(s, strings.Join(rest, " "))
	if err != nil {
		return Reply{}, true, err
	}
	title := s.Roadmap[idx].Title
	var updated *domain.Service
	if verb == "done" {
		updated, err = e.applyRoadmapDone(ctx, r.snap, r.caller, s, title, nil)
	} else {
		updated, err = e.applyRoadmapPostpone(ctx, r.snap, r.caller, s, title, to, nil)
	}
	if err != nil {
		return Reply{}, true, err
	}
	text := fmt.Sprintf("%s of %s is done.", quoteTitle(title), updated.Label())
	if verb == "postpone" {
		text = fmt.Sprintf("%s of %s is now due %s.", quoteTitle(title), updated.Label(), DateRel(to, e.Today()))
	}
	return Reply{Title: "Roadmap of " + updated.Label() + " updated", Text: text, InChannel: true}, true, nil
}

func quoteTitle(t string) string { return "“" + t + "”" }

// findRoadmapItem finds the item a user means: its number in roadmapOrder
// or words of its title. Unknown and ambiguous items list the choices.
func findRoadmapItem(s *domain.Service, ref string) (int, error) {
	order := roadmapOrder(s)
	if len(order) == 0 {
		return 0, domain.Errorf(domain.NotFound, "%s has no roadmap items.", s.Label())
	}
	list := func(idx []int) string {
		var b []string
		for n, i := range order {
			for _, j := range idx {
				if i == j {
					b = append(b, fmt.Sprintf("%d. %s", n+1, s.Roadmap[i].Title))
				}
			}
		}
		return strings.Join(b, "; ")
	}
	if n, err := strconv.Atoi(ref); err == nil {
		if n < 1 || n > len(order) {
			return 0, domain.Errorf(domain.NotFound, "%s has no roadmap item %d; its items are: %s.", s.Label(), n, list(order))
		}
		return order[n-1], nil
	}
	i, matches := matchTitle(len(s.Roadmap), func(i int) string { return s.Roadmap[i].Title }, ref)
	switch {
	case i >= 0:
		return i, nil
	case len(matches) == 0:
		return 0, domain.Errorf(domain.NotFound, "%s has no roadmap item matching %q; its items are: %s.", s.Label(), ref, list(order))
	}
	return 0, domain.Errorf(domain.Invalid, "%q matches %d roadmap items of %s: %s. Give its number.", ref, len(matches), s.Label(), list(matches))
}

// matchTitle finds the one title equal to ref, or else containing every
// word of it (case-insensitive): i ≥ 0 when exactly one matches.
func matchTitle(n int, title func(int) string, ref string) (int, []int) {
	ref = strings.ToLower(strings.Join(strings.Fields(ref), " "))
	for i := 0; i < n; i++ {
		if strings.ToLower(strings.Join(strings.Fields(title(i)), " ")) == ref {
			return i, []int{i}
		}
	}
	var matches []int
	words := strings.Fields(ref)
	for i := 0; i < n; i++ {
		t := strings.ToLower(title(i))
		all := len(words) > 0
		for _, w := range words {
			if !strings.Contains(t, w) {
				all = false
				break
			}
		}
		if all {
			matches = append(matches, i)
		}
	}
	if len(matches) == 1 {
		return matches[0], matches
	}
	return -1, matches
}

// roadmapItemAt finds the stored item titled title (under the write lock,
// the stored document may differ from the snapshot the title came from).
func roadmapItemAt(svc *domain.Service, title string) (*domain.RoadmapItem, error) {
	for i := range svc.Roadmap {
		if svc.Roadmap[i].Title == title {
			return &svc.Roadmap[i], nil
		}
	}
	return nil, domain.Errorf(domain.Conflict, "The roadmap item %s is no longer in the catalog of %s.", quoteTitle(title), svc.Label())
}

// applyRoadmapDone closes a roadmap item; guard as for applyDR.
func (e *Engine) applyRoadmapDone(ctx context.Context, snap *domain.Snapshot, c Caller, s *domain.Service, title string, guard func(*domain.Service) error) (*domain.Service, error) {
	return e.writeService(ctx, snap, c, s, write{
		guard:  guard,
		action: "roadmap.done", what: "update the roadmap",
		summary: "roadmap item done: " + title,
		change: func(svc *domain.Service) error {
			it, err := roadmapItemAt(svc, title)
			if err != nil {
				return err
			}
			if it.Status == "done" {
				return domain.Errorf(domain.Conflict, "The roadmap item %s of %s is already done; nothing changed.", quoteTitle(title), svc.Label())
			}
			it.Status = "done"
			return nil
		},
	})
}

// applyRoadmapPostpone moves an open roadmap item to a later date.
func (e *Engine) applyRoadmapPostpone(ctx context.Context, snap *domain.Snapshot, c Caller, s *domain.Service, title string, to domain.Date, guard func(*domain.Service) error) (*domain.Service, error) {
	today := e.Today()
	if to.Before(today) {
		return nil, domain.Errorf(domain.Invalid, "%s is in the past; postpone to today (%s) or later.", to, today)
	}
	return e.writeService(ctx, snap, c, s, write{
		guard:  guard,
		action: "roadmap.postpone", what: "update the roadmap",
		summary: fmt.Sprintf("roadmap item postponed to %s: %s", to, title),
		change: func(svc *domain.Service) error {
			it, err := roadmapItemAt(svc, title)
			if err != nil {
				return err
			}
			if it.Status == "done" {
				return domain.Errorf(domain.Conflict, "The roadmap item %s of %s is already done, so it can't be postponed.", quoteTitle(title), svc.Label())
			}
			if it.Due == to {
				return domain.Errorf(domain.Conflict, "The roadmap item %s of %s is already due %s; nothing changed.", quoteTitle(title), svc.Label(), to)
			}
			it.Due = to
			return nil
		},
	})
}
