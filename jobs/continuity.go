package jobs

import (
	"context"
	"fmt"
	"strings"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
)

// ContinuityHorizon is how many days ahead a DR test is reminded of.
const ContinuityHorizon = 30

func collectContinuity(ctx context.Context, src Source, occ Occurrence) ([]Message, error) {
	snap, err := src.Snapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the catalog: %w", err)
	}
	return ContinuityMessages(snap, snapshotToday(occ)), nil
}

// ContinuityMessages selects DR tests due within ContinuityHorizon days or
// overdue (never-tested services with a cadence are overdue) of services
// not in retirement, and returns one digest per person: the tests of the
// services they own, plus, for portfolio managers, the overdue tests of
// their portfolios' services owned by others.
func ContinuityMessages(snap *domain.Snapshot, today domain.Date) []Message {
	owned := map[string][]dueItem{}
	managed := map[string][]dueItem{}
	for _, it := range dueWithin(snap, today, ContinuityHorizon, (*domain.Service).NextDRTest) {
		s, due := it.svc, it.due
		for _, to := range snap.OwnerRecipients(s) {
			owned[to] = append(owned[to], it)
		}
		if due.Overdue {
			if pf, ok := snap.Portfolios[s.Portfolio]; ok && pf.Manager != "" && !snap.IsOwner(s, pf.Manager) {
				managed[pf.Manager] = append(managed[pf.Manager], it)
			}
		}
	}
	people := map[string]bool{}
	for p := range owned {
		people[p] = true
	}
	for p := range managed {
		people[p] = true
	}
	var out []Message
	for _, p := range sortedKeys(people) {
		out = append(out, Message{To: slackUser(snap, p), Reply: continuityDigest(snap, today, owned[p], managed[p])})
	}
	return out
}

func continuityDigest(snap *domain.Snapshot, today domain.Date, owned, managed []dueItem) commands.Reply {
	sortDue(owned)
	sortDue(managed)
	var r commands.Reply
	var why []string
	switch {
	case len(owned) == 1 && len(managed) == 0:
		r.Title = "DR test due: " + owned[0].svc.Label()
	case len(owned) > 0:
		r.Title = "DR tests due: " + plural(len(owned)+len(managed), "service", "services")
	default:
		r.Title = "Overdue DR tests in your portfolio: " + plural(len(managed), "service", "services")
	}
	var text []string
	if len(owned) > 0 {
		text = append(text, fmt.Sprintf("These disaster-recovery tests are due within %d days or overdue. "+
			"Run each test as its plan describes, then record the result so the next due date moves: "+
			"`dr <service> record pass|partial|fail [notes]`.", ContinuityHorizon))
		why = append(why, "you own these services")
	}
	if len(managed) > 0 {
		text = append(text, "As portfolio manager you also get the overdue tests of services others own: please check with their owners.")
		why = append(why, "you manage the portfolio of the overdue ones")
	}
	r.Text = strings.Join(text, " ")
	var secs []commands.Section
	var actions, items []commands.Action
	for _, it := range owned {
		s := it.svc
		k := s.Continuity
		last := "never tested"
		if t := k.LastTest; t != nil && t.Date != "" {
			last = fmt.Sprintf("%s, %s", commands.DateRel(t.Date, today), t.Result)
		}
		fields := []commands.Field{{Label: "Next test", Value: commands.DueText(it.due)}, {Label: "Last test", Value: last}}
		if k.Plan != "" {
			fields = append(fields, commands.Field{Label: "Plan", Value: k.Plan})
		}
		if k.RTO != "" || k.RPO != "" {
			fields = append(fields, commands.Field{Label: "RTO / RPO", Value: orDash(k.RTO) + " / " + orDash(k.RPO)})
		}
		secs = append(secs, commands.Section{Heading: serviceHeading(s), Fields: fields,
			Lines: []string{fmt.Sprintf("When it is done: *Record result* below, or `dr %s record pass` (or partial or fail, with notes)", s.Name)}})
		items = append(items, commands.DRActions(s)...)
		actions = append(actions, commands.Action{Label: "DR plan: " + s.Label(), Command: "dr " + s.Name})
	}
	secs = capSections(secs, "services with DR tests due")
	if len(managed) > 0 {
		var lines []string
		for i, it := range managed {
			if i == maxDigestItems {
				lines = append(lines, fmt.Sprintf("…and %d more", len(managed)-i))
				break
			}
			lines = append(lines, fmt.Sprintf("%s: %s, owner %s", serviceHeading(it.svc), commands.DueText(it.due), commands.Person(snap, it.svc.Owner)))
		}
		secs = append(secs, commands.Section{Heading: "Overdue in your portfolio", Lines: lines})
		for _, it := range managed {
			items = append(items, commands.DRActions(it.svc)...)
			actions = append(actions, commands.Action{Label: "DR plan: " + it.svc.Label(), Command: "dr " + it.svc.Name})
		}
	}
	r.Sections = secs
	r.Actions = append(capItemActions(items), capActions(actions)...)
	r.Context = footer(ContinuityTests, today, "You get this because "+strings.Join(why, " and ")+
		"; it repeats daily until each test is recorded.")
	return r
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}
