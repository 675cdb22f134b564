package commands

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/itspm/itspm/domain"
)

// homeHorizon is how far ahead the App Home looks for reviews, DR tests and
// roadmap items (overdue ones are always shown).
const homeHorizon = 30

// Home is the caller's App Home: the services they own or manage, the
// tollgate approvals waiting for their vote, and what is coming up for
// their services (reviews, DR tests, roadmap items).
func (e *Engine) Home(ctx context.Context, c Caller) (Reply, error) {
	snap, err := e.store.Snapshot(ctx)
	if err != nil {
		return Reply{}, err
	}
	c = e.Identify(snap, c)
	help := []Action{{Label: "Help", Command: "help"}}
	p, ok := snap.People[c.Person]
	if !ok {
		return Reply{
			Title: "Welcome to itspm",
			Text: "itspm answers questions about the IT service catalog: owners, costs, SLAs, dependencies, DR tests and tollgates. " +
				"Type `/itspm help` anywhere, or write to me here.",
			Sections: []Section{{Text: "You are not in the catalog yet, so there is nothing personal to show. " +
				"Ask a catalog admin to add you as a Person with `slackUser: " + c.SlackUser + "`."}},
			Actions: help,
		}, nil
	}
	today := e.Today()
	owned, managed := servicesOf(snap, p.Name)
	r := Reply{
		Title: "Hello, " + p.Label(),
		Text:  homeSummary(len(owned), len(managed)),
	}
	if len(owned) > 0 {
		r.Sections = append(r.Sections, Section{Heading: "Services you own", Lines: homeServiceLines(snap, owned)})
	}
	if len(managed) > 0 {
		r.Sections = append(r.Sections, Section{Heading: "Services in portfolios you manage", Lines: homeServiceLines(snap, managed)})
	}
	if e.flow != nil {
		secs, votes := e.homeApprovals(ctx, c)
		r.Sections = append(r.Sections, secs...)
		r.Actions = append(r.Actions, votes...)
	}
	mine := append(append([]*domain.Service(nil), owned...), managed...)
	if up := upcoming(mine, today); len(up) > 0 {
		r.Sections = append(r.Sections, Section{Heading: fmt.Sprintf("Coming up (next %d days and overdue)", homeHorizon), Lines: up})
	} else if len(mine) > 0 {
		r.Sections = append(r.Sections, Section{Heading: "Coming up", Text: fmt.Sprintf("Nothing due in the next %d days.", homeHorizon)})
	}
	if contracts, buttons := dueForYou(mine, today); len(contracts)+len(buttons) > 0 {
		r.Sections = append(r.Sections, Section{Heading: "Due for you", Text: "Act on what is due here: the buttons record it as the typed commands would.", Lines: contracts})
		r.Actions = append(r.Actions, buttons...)
	}
	r.Context = "As of " + string(today) + ". Type `/itspm help` for every command."
	if e.flow != nil {
		r.Actions = append(r.Actions, Action{Label: "My approvals", Command: "tollgates mine"})
	}
	r.Actions = append(r.Actions, help...)
	return r, nil
}

func homeSummary(owned, managed int) string {
	switch {
	case owned == 0 && managed == 0:
		return "You do not own or manage any service in the catalog."
	case managed == 0:
		return fmt.Sprintf("You own %s.", Plural(owned, "service"))
	case owned == 0:
		return fmt.Sprintf("You manage portfolios with %s.", Plural(managed, "service"))
	}
	return fmt.Sprintf("You own %s and manage portfolios with %s more.", Plural(owned, "service"), Plural(managed, "service"))
}

// servicesOf returns the services person owns, and the other services of
// the portfolios they manage, each sorted by name.
func servicesOf(snap *domain.Snapshot, person string) (owned, managed []*domain.Service) {
	for _, name := range snap.ServiceNames() {
		s := snap.Services[name]
		switch {
		case snap.IsOwner(s, person):
			owned = append(owned, s)
		case s.Portfolio != "" && snap.Portfolios[s.Portfolio] != nil && snap.Portfolios[s.Portfolio].Manager == person:
			managed = append(managed, s)
		}
	}
	return owned, managed
}

func homeServiceLines(snap *domain.Snapshot, list []*domain.Service) []string {
	lines := make([]string, 0, len(list))
	for _, s := range list {
		lines = append(lines, ServiceLine(snap, s))
	}
	return lines
}

// homeApprovals is "tollgates mine" folded into the home: its text and
// sections under one heading, and its Approve/Reject buttons.
func (e *Engine) homeApprovals(ctx context.Context, c Caller) ([]Section, []Action) {
	heading := "Waiting for your vote"
	rep, err := e.Handle(ctx, c, "tollgates mine")
	if err != nil {
		text, _ := ErrorText(err)
		return []Section{{Heading: heading, Text: text}}, nil
	}
	var out []Section
	if rep.Text != "" || len(rep.Sections) == 0 {
		text := rep.Text
		if text == "" {
			text = "Nothing waiting for you."
		}
		out = append(out, Section{Heading: heading, Text: text})
	}
	for i, s := range rep.Sections {
		if i == 0 && len(out) == 0 && s.Heading == "" {
			s.Heading = heading
		}
		out = append(out, s)
	}
	var votes []Action
	for _, a := range rep.Actions {
		if a.ID != "" {
			votes = append(votes, a)
		}
	}
	return out, votes
}

// due is one upcoming item, for sorting by date.
type due struct {
	date domain.Date
	line string
}

// upcoming lists reviews, DR tests and open roadmap items of list that are
// overdue or due within homeHorizon days, soonest first.
func upcoming(list []*domain.Service, today domain.Date) []string {
	var items []due
	soon := func(d domain.Due) bool { return d.Overdue || d.Never || d.Days <= homeHorizon }
	for _, s := range list {
		if s.IsRetired() {
			continue
		}
		if d, ok := s.NextReview(today); ok && soon(d) {
			items = append(items, due{d.Date, fmt.Sprintf("Performance review of %s: %s", s.Label(), DueText(d))})
		}
		if d, ok := s.NextDRTest(today); ok && soon(d) {
			items = append(items, due{d.Date, fmt.Sprintf("DR test of %s: %s", s.Label(), DueText(d))})
		}
		for _, it := range s.Roadmap {
			if it.Status == "done" || !it.Due.Valid() || today.DaysUntil(it.Due) > homeHorizon {
				continue
			}
			status := ""
			if it.Status != "" {
				status = " · " + strings.ReplaceAll(it.Status, "-", " ")
			}
			items = append(items, due{it.Due, fmt.Sprintf("Roadmap of %s: %s, due %s%s", s.Label(), it.Title, DateRel(it.Due, today), status)})
		}
	}
	// Never-done items (no date) first, then by date.
	sort.SliceStable(items, func(i, j int) bool { return items[i].date < items[j].date })
	lines := make([]string, len(items))
	for i, it := range items {
		lines[i] = it.line
	}
	return lines
}
