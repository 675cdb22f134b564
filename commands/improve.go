package commands

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/itspm/itspm/domain"
)

// improve is the continuous-improvement register of a service:
// `improve <svc>` lists it, `improve <svc> add <title> [due YYYY-MM-DD]`
// adds to it and `improve <svc> <n> done` closes item n.
func (e *Engine) improve(ctx context.Context, r *request) (Reply, error) {
	const usage = "`improve <service> add <title> [due YYYY-MM-DD]` or `improve <service> <n> done`"
	if len(r.args) == 0 {
		return Reply{}, usageError("Which service? Usage: %s.", usage)
	}
	if i := keywordAt(r.args, "add"); i > 0 {
		s, err := resolveBefore(r, i, usage)
		if err != nil {
			return Reply{}, err
		}
		return e.improveAdd(ctx, r, s, r.args[i+1:])
	}
	if n := len(r.args); n >= 3 && strings.EqualFold(r.args[n-1], "done") {
		s, err := resolveWrite(r.snap, strings.Join(r.args[:n-2], " "))
		if err != nil {
			return Reply{}, err
		}
		num, err := strconv.Atoi(r.args[n-2])
		if err != nil {
			return Reply{}, usageError("%q is not an item number; see the numbers with `improve %s`.", r.args[n-2], s.Name)
		}
		return e.improveDone(ctx, r, s, num)
	}
	s, err := Resolve(r.snap, r.raw)
	if err != nil {
		return Reply{}, err
	}
	return e.improvements(s), nil
}

// improvements lists the register, numbered as `improve <svc> <n> done` counts.
func (e *Engine) improvements(s *domain.Service) Reply {
	r := Reply{Title: "Improvements of " + s.Label()}
	if len(s.Improvements) == 0 {
		r.Text = fmt.Sprintf("%s has no improvements registered. Add one with `improve %s add <title> [due YYYY-MM-DD]`.", s.Label(), s.Name)
		return r
	}
	r.Sections = []Section{{Lines: improvementLines(s, e.Today())}}
	r.Context = fmt.Sprintf("Close one with `improve %s <n> done`.", s.Name)
	return r
}

func improvementLines(s *domain.Service, today domain.Date) []string {
	var lines []string
	for i, it := range s.Improvements {
		l := fmt.Sprintf("%d. %s", i+1, it.Title)
		if it.Status != "" {
			l += " [" + it.Status + "]"
		}
		if it.Due != "" {
			l += ", due " + DateRel(it.Due, today)
		}
		lines = append(lines, l)
	}
	return lines
}

func (e *Engine) improveAdd(ctx context.Context, r *request, s *domain.Service, args []string) (Reply, error) {
	var due domain.Date
	if n := len(args); n >= 2 && strings.EqualFold(args[n-2], "due") {
		d, err := ParseDate(args[n-1])
		if err != nil {
			return Reply{}, err
		}
		due, args = d, args[:n-2]
	}
	title := strings.TrimSpace(strings.Join(args, " "))
	if title == "" {
		return Reply{}, usageError("What is the improvement? Usage: `improve %s add <title> [due YYYY-MM-DD]`.", s.Name)
	}
	if err := checkNotes(title, "title"); err != nil {
		return Reply{}, err
	}
	if len(title) > 200 {
		return Reply{}, usageError("Please keep the title under 200 characters.")
	}
	owner := s.Owner
	if _, ok := r.snap.People[r.caller.Person]; ok {
		owner = r.caller.Person
	}
	it := domain.Improvement{Title: title, Status: "planned", Due: due, Owner: owner}
	updated, err := e.writeService(ctx, r.snap, r.caller, s, write{
		action: "improvement.add", what: "change the improvement register",
		summary: "improvement added: " + title,
		change: func(svc *domain.Service) error {
			for _, old := range svc.Improvements {
				if strings.EqualFold(old.Title, title) && old.Status != "done" {
					return domain.Errorf(domain.Conflict, "%s already has the open improvement %s; nothing changed.", svc.Label(), quoteTitle(old.Title))
				}
			}
			svc.Improvements = append(svc.Improvements, it)
			return nil
		},
	})
	if err != nil {
		return Reply{}, err
	}
	text := fmt.Sprintf("Added improvement %d to %s: %s", len(updated.Improvements), updated.Label(), quoteTitle(title))
	if due != "" {
		text += ", due " + DateRel(due, e.Today())
	}
	return Reply{Title: "Improvement added", Text: text + ".", InChannel: true}, nil
}

func (e *Engine) improveDone(ctx context.Context, r *request, s *domain.Service, n int) (Reply, error) {
	if n < 1 || n > len(s.Improvements) {
		if len(s.Improvements) == 0 {
			return Reply{}, domain.Errorf(domain.NotFound, "%s has no improvements registered.", s.Label())
		}
		return Reply{}, domain.Errorf(domain.NotFound, "%s has no improvement %d; its improvements are: %s.", s.Label(), n, strings.Join(improvementLines(s, e.Today()), "; "))
	}
	title := s.Improvements[n-1].Title
	updated, err := e.writeService(ctx, r.snap, r.caller, s, write{
		action: "improvement.done", what: "change the improvement register",
		summary: "improvement done: " + title,
		change: func(svc *domain.Service) error {
			// By number and title: a register changed since the snapshot
			// must not close another item.
			if n > len(svc.Improvements) || svc.Improvements[n-1].Title != title {
				return domain.Errorf(domain.Conflict, "The improvement register of %s changed meanwhile; see `improve %s` and try again.", svc.Label(), svc.Name)
			}
			if svc.Improvements[n-1].Status == "done" {
				return domain.Errorf(domain.Conflict, "Improvement %d of %s (%s) is already done; nothing changed.", n, svc.Label(), quoteTitle(title))
			}
			svc.Improvements[n-1].Status = "done"
			return nil
		},
	})
	if err != nil {
		return Reply{}, err
	}
	return Reply{Title: "Improvement done", Text: fmt.Sprintf("Improvement %d of %s is done: %s.", n, updated.Label(), quoteTitle(title)), InChannel: true}, nil
}
