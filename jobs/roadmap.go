package jobs

import (
	"context"
	"fmt"
	"sort"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
)

// RoadmapHorizon is how many days ahead a roadmap item is reminded of.
const RoadmapHorizon = 14

func collectRoadmap(ctx context.Context, src Source, occ Occurrence) ([]Message, error) {
	snap, err := src.Snapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the catalog: %w", err)
	}
	return RoadmapMessages(snap, snapshotToday(occ)), nil
}

type roadmapItem struct {
	svc  *domain.Service
	item domain.RoadmapItem
	days int // until due; negative when overdue
}

// RoadmapMessages selects roadmap items not done, due within
// RoadmapHorizon days or overdue, of services not in retirement, and
// returns one digest per service owner.
func RoadmapMessages(snap *domain.Snapshot, today domain.Date) []Message {
	byOwner := map[string][]roadmapItem{}
	for _, name := range snap.ServiceNames() {
		s := snap.Services[name]
		if s.IsRetired() || s.Owner == "" {
			continue
		}
		for _, it := range s.Roadmap {
			if it.Status == "done" || !it.Due.Valid() {
				continue
			}
			days := today.DaysUntil(it.Due)
			if days > RoadmapHorizon {
				continue
			}
			for _, to := range snap.OwnerRecipients(s) {
				byOwner[to] = append(byOwner[to], roadmapItem{svc: s, item: it, days: days})
			}
		}
	}
	var out []Message
	for _, owner := range sortedKeys(byOwner) {
		out = append(out, Message{To: slackUser(snap, owner), Reply: roadmapDigest(today, byOwner[owner])})
	}
	return out
}

func roadmapDigest(today domain.Date, items []roadmapItem) commands.Reply {
	sort.SliceStable(items, func(i, j int) bool { return items[i].days < items[j].days })
	overdue := 0
	for _, it := range items {
		if it.days < 0 {
			overdue++
		}
	}
	r := commands.Reply{Title: "Roadmap items due: " + plural(len(items), "item", "items")}
	if overdue > 0 {
		r.Title += fmt.Sprintf(" (%d overdue)", overdue)
	}
	r.Text = fmt.Sprintf("These roadmap items of your services are due within %d days or overdue. "+
		"Deliver them, or bring the catalog up to date: *Done* or *Postpone* below, or `roadmap <service> done <item>` / `roadmap <service> postpone <item> <YYYY-MM-DD>`.", RoadmapHorizon)
	// One section per service, items in due order.
	var secs []commands.Section
	var actions, buttons []commands.Action
	index := map[string]int{}
	for _, it := range items {
		i, ok := index[it.svc.Name]
		if !ok {
			i = len(secs)
			index[it.svc.Name] = i
			secs = append(secs, commands.Section{Heading: serviceHeading(it.svc)})
			actions = append(actions, commands.Action{Label: "Roadmap: " + it.svc.Label(), Command: "roadmap " + it.svc.Name})
		}
		line := fmt.Sprintf("%s: due %s", it.item.Title, commands.DateRel(it.item.Due, today))
		if it.days < 0 {
			line = fmt.Sprintf("%s: overdue, was due %s", it.item.Title, commands.DateRel(it.item.Due, today))
		}
		if it.item.Status != "" {
			line += " · " + it.item.Status
		}
		secs[i].Lines = append(secs[i].Lines, line)
		buttons = append(buttons, commands.RoadmapActions(it.svc, it.item)...)
	}
	r.Sections = capSections(secs, "services with roadmap items due")
	r.Actions = append(capItemActions(buttons), capActions(actions)...)
	r.Context = footer(RoadmapReminders, today, "You get this because you own these services; it repeats daily while items stay due.")
	return r
}
