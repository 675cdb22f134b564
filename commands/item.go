package commands

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/itspm/itspm/domain"
)

// Reminder buttons (SPEC section 9): every reminder carries the action
// that answers it. A button names the item it reminds of (an Item) and the
// state the reminder saw; a click does what the typed command does, as the
// clicker, and only while the item is still in that state, so a second
// click, or a click on a stale reminder, changes nothing.

// Action IDs of the reminder buttons (the bot renders and handles them).
const (
	ActionRecordDR        = "item_dr_record"        // modal: result, date, notes
	ActionMarkReviewed    = "item_review"           // modal: notes
	ActionRoadmapDone     = "item_roadmap_done"     // no modal
	ActionRoadmapPostpone = "item_roadmap_postpone" // modal: new date

	// The tollgate approval buttons, here because the jobs' nudges carry
	// them too; package tollgates names them for its messages.
	ActionTollgateApprove = "tollgate_approve" // value: request ID
	ActionTollgateReject  = "tollgate_reject"  // value: request ID; modal: reason
)

// IsItemAction reports whether an action ID is a reminder button's.
func IsItemAction(id string) bool {
	return slices.Contains([]string{ActionRecordDR, ActionMarkReviewed, ActionRoadmapDone, ActionRoadmapPostpone}, id)
}

// Item kinds.
const (
	ItemDR      = "dr"
	ItemReview  = "review"
	ItemRoadmap = "roadmap"
)

// Item is what a reminder button acts on.
type Item struct {
	Kind    string // ItemDR, ItemReview, ItemRoadmap
	Service string
	Title   string // roadmap item title
	State   string // what the reminder saw: last DR test date, last review date, roadmap due date
}

// Value encodes the item as a button value.
func (it Item) Value() string {
	v := url.Values{"k": {it.Kind}, "s": {it.Service}, "st": {it.State}}
	if it.Title != "" {
		v.Set("t", it.Title)
	}
	return v.Encode()
}

// Key is the item's unique claim key: one action per item and state.
func (it Item) Key() string {
	return "item:" + url.Values{"k": {it.Kind}, "s": {it.Service}, "t": {it.Title}, "st": {it.State}}.Encode()
}

// ParseItem decodes a button value, refusing anything Value did not make.
func ParseItem(v string) (Item, error) {
	q, err := url.ParseQuery(v)
	bad := domain.Errorf(domain.Invalid, "That button is not one of mine (its value was changed); nothing changed.")
	if err != nil {
		return Item{}, bad
	}
	it := Item{Kind: q.Get("k"), Service: q.Get("s"), Title: q.Get("t"), State: q.Get("st")}
	for k := range q {
		if !slices.Contains([]string{"k", "s", "t", "st"}, k) || len(q[k]) != 1 {
			return Item{}, bad
		}
	}
	switch {
	case it.Service == "", it.Kind == ItemRoadmap && it.Title == "",
		it.Kind != ItemDR && it.Kind != ItemReview && it.Kind != ItemRoadmap,
		it.Value() != v:
		return Item{}, bad
	}
	return it, nil
}

// DRItem is the DR test of s as a reminder sees it now.
func DRItem(s *domain.Service) Item {
	st := ""
	if s.Continuity != nil && s.Continuity.LastTest != nil {
		st = string(s.Continuity.LastTest.Date)
	}
	return Item{Kind: ItemDR, Service: s.Name, State: st}
}

// ReviewItem is the performance review of s as a reminder sees it now.
func ReviewItem(s *domain.Service) Item {
	st := ""
	if s.Performance != nil {
		st = string(s.Performance.LastReview)
	}
	return Item{Kind: ItemReview, Service: s.Name, State: st}
}

// RoadmapRef is a roadmap item of s as a reminder sees it now.
func RoadmapRef(s *domain.Service, it domain.RoadmapItem) Item {
	return Item{Kind: ItemRoadmap, Service: s.Name, Title: it.Title, State: string(it.Due)}
}

// DRActions is the Record result button for s.
func DRActions(s *domain.Service) []Action {
	return []Action{{Label: "Record result: " + s.Label(), ID: ActionRecordDR, Value: DRItem(s).Value(), Style: "primary",
		Command: "dr " + s.Name + " record pass"}}
}

// ReviewActions is the Mark reviewed button for s.
func ReviewActions(s *domain.Service) []Action {
	return []Action{{Label: "Mark reviewed: " + s.Label(), ID: ActionMarkReviewed, Value: ReviewItem(s).Value(), Style: "primary",
		Command: "review " + s.Name + " done"}}
}

// RoadmapActions are the Done and Postpone buttons for a roadmap item.
func RoadmapActions(s *domain.Service, it domain.RoadmapItem) []Action {
	v := RoadmapRef(s, it).Value()
	return []Action{
		{Label: "Done: " + it.Title, ID: ActionRoadmapDone, Value: v, Style: "primary", Command: "roadmap " + s.Name + " done " + it.Title},
		{Label: "Postpone: " + it.Title, ID: ActionRoadmapPostpone, Value: v, Command: "roadmap " + s.Name + " postpone " + it.Title + " <YYYY-MM-DD>"},
	}
}

// ItemInput is what a modal adds to a click.
type ItemInput struct {
	Result string      // DR: pass, partial, fail
	Date   domain.Date // DR: the test's date (default today); roadmap postpone: the new due date
	Notes  string
	// Postpone asks a roadmap item to move to Date instead of closing.
	Postpone bool
}

// CheckItem says whether the caller may act on it now: the service exists,
// the caller may manage it, and the item is still as the reminder saw it.
// A handled item is a Conflict saying who handled it.
func (e *Engine) CheckItem(ctx context.Context, c Caller, it Item) error {
	snap, err := e.store.Snapshot(ctx)
	if err != nil {
		return err
	}
	c = e.Identify(snap, c)
	s, ok := snap.Services[it.Service]
	if !ok {
		return domain.Errorf(domain.NotFound, "The service %q is no longer in the catalog; nothing changed.", it.Service)
	}
	if err := itemCurrent(snap, s, it); err != nil {
		return err
	}
	if !e.CanManage(snap, c, s) {
		return e.forbidden(snap, s, map[string]string{ItemDR: "record DR tests", ItemReview: "record performance reviews", ItemRoadmap: "update the roadmap"}[it.Kind])
	}
	return nil
}

// CheckInput validates a modal's input for it, as the typed command would.
func (e *Engine) CheckInput(it Item, in ItemInput) error {
	today := e.Today()
	switch {
	case it.Kind == ItemDR && !slices.Contains(domain.DRResults, in.Result):
		return domain.Errorf(domain.Invalid, "Choose pass, partial or fail.")
	case it.Kind == ItemDR && in.Date != "" && !in.Date.Valid():
		return domain.Errorf(domain.Invalid, "%q is not a date.", string(in.Date))
	case it.Kind == ItemDR && in.Date > today:
		return domain.Errorf(domain.Invalid, "%s is in the future; record a test that has happened.", in.Date)
	case it.Kind == ItemRoadmap && in.Postpone && !in.Date.Valid():
		return domain.Errorf(domain.Invalid, "Choose the new due date.")
	case it.Kind == ItemRoadmap && in.Postpone && in.Date.Before(today):
		return domain.Errorf(domain.Invalid, "%s is in the past; postpone to today (%s) or later.", in.Date, today)
	}
	return checkNotes(in.Notes, "notes")
}

// itemCurrent reports, as a Conflict saying what happened, an item no
// longer in the state its reminder saw.
func itemCurrent(snap *domain.Snapshot, s *domain.Service, it Item) error {
	if got := itemState(s, it); got != it.State || (it.Kind == ItemRoadmap && roadmapDone(s, it.Title)) {
		return domain.Errorf(domain.Conflict, "Already handled: %s. Nothing changed.", Handled(snap, s, it))
	}
	return nil
}

func itemState(s *domain.Service, it Item) string {
	switch it.Kind {
	case ItemDR:
		return DRItem(s).State
	case ItemReview:
		return ReviewItem(s).State
	case ItemRoadmap:
		for _, r := range s.Roadmap {
			if r.Title == it.Title {
				return string(r.Due)
			}
		}
		return "\x00gone"
	}
	return ""
}

func roadmapDone(s *domain.Service, title string) bool {
	for _, r := range s.Roadmap {
		if r.Title == title {
			return r.Status == "done"
		}
	}
	return false
}

// Handled says how an item that changed since its reminder stands now:
// "recorded by Lee Chen: pass, 2026-12-03".
func Handled(snap *domain.Snapshot, s *domain.Service, it Item) string {
	switch it.Kind {
	case ItemDR:
		if s.Continuity != nil && s.Continuity.LastTest != nil {
			t := s.Continuity.LastTest
			by := ""
			if t.RecordedBy != "" {
				by = " by " + Person(snap, t.RecordedBy)
			}
			return fmt.Sprintf("DR test of %s recorded%s: %s, %s", s.Label(), by, t.Result, t.Date)
		}
	case ItemReview:
		if s.Performance != nil && s.Performance.LastReview != "" {
			return fmt.Sprintf("performance review of %s recorded on %s", s.Label(), s.Performance.LastReview)
		}
	case ItemRoadmap:
		for _, r := range s.Roadmap {
			if r.Title == it.Title {
				if r.Status == "done" {
					return fmt.Sprintf("%s of %s is done", quoteTitle(r.Title), s.Label())
				}
				return fmt.Sprintf("%s of %s is now due %s", quoteTitle(r.Title), s.Label(), r.Due)
			}
		}
		return fmt.Sprintf("%s is no longer on the roadmap of %s", quoteTitle(it.Title), s.Label())
	}
	return fmt.Sprintf("%s changed since the reminder", s.Label())
}

// Claimer makes something happen once across every process (a unique
// insert); *storage.Store implements it. Without one (a store in a test)
// only the write lock's state check guards a click.
type Claimer interface {
	ClaimEvent(ctx context.Context, key string) (first bool, err error)
}

// Act does what a reminder button asks, as the caller: the same checks and
// write as the typed command, once per item and state. The first click
// claims the item with a unique insert, so two people clicking at once on
// two replicas record one change; the state is checked again under the
// service's write lock. It returns the answer for the clicker and the line
// that replaces the item's buttons on the reminder ("Recorded by …").
func (e *Engine) Act(ctx context.Context, c Caller, it Item, in ItemInput) (reply Reply, line string, err error) {
	if err := e.CheckItem(ctx, c, it); err != nil {
		return Reply{}, "", err
	}
	if err := e.CheckInput(it, in); err != nil {
		return Reply{}, "", err
	}
	snap, err := e.store.Snapshot(ctx)
	if err != nil {
		return Reply{}, "", err
	}
	c = e.Identify(snap, c)
	s := snap.Services[it.Service]
	if cl, ok := e.store.(Claimer); ok {
		first, err := cl.ClaimEvent(ctx, it.Key())
		if err != nil {
			return Reply{}, "", err
		}
		if !first {
			return Reply{}, "", domain.Errorf(domain.Conflict, "Someone else acted on this reminder at the same moment, so your click changed nothing (%s).", s.Label())
		}
	}
	guard := func(svc *domain.Service) error { return itemCurrent(snap, svc, it) }
	today := e.Today()
	who := Person(snap, ActorName(c))
	switch it.Kind {
	case ItemDR:
		date := in.Date
		if date == "" {
			date = today
		}
		updated, err := e.applyDR(ctx, snap, c, s, in.Result, date, strings.TrimSpace(in.Notes), guard)
		if err != nil {
			return Reply{}, "", err
		}
		return e.drRecorded(snap, c, updated, in.Result, date), fmt.Sprintf("Recorded by %s: %s, %s", who, in.Result, date), nil
	case ItemReview:
		updated, err := e.applyReview(ctx, snap, c, s, today, strings.TrimSpace(in.Notes), guard)
		if err != nil {
			return Reply{}, "", err
		}
		return e.reviewed(snap, c, updated, today), fmt.Sprintf("Reviewed by %s on %s", who, today), nil
	case ItemRoadmap:
		if in.Postpone {
			updated, err := e.applyRoadmapPostpone(ctx, snap, c, s, it.Title, in.Date, guard)
			if err != nil {
				return Reply{}, "", err
			}
			return Reply{Title: "Roadmap of " + updated.Label() + " updated",
					Text: fmt.Sprintf("%s of %s is now due %s.", quoteTitle(it.Title), updated.Label(), DateRel(in.Date, today))},
				fmt.Sprintf("Postponed by %s to %s: %s", who, in.Date, it.Title), nil
		}
		updated, err := e.applyRoadmapDone(ctx, snap, c, s, it.Title, guard)
		if err != nil {
			return Reply{}, "", err
		}
		return Reply{Title: "Roadmap of " + updated.Label() + " updated", Text: fmt.Sprintf("%s of %s is done.", quoteTitle(it.Title), updated.Label())},
			fmt.Sprintf("Done, marked by %s on %s: %s", who, today, it.Title), nil
	}
	return Reply{}, "", domain.Errorf(domain.Invalid, "That button is not one of mine; nothing changed.")
}

// Settle is a reminder after one of its items was acted on: the item's
// buttons give way to line, and the buttons of items handled meanwhile
// (by a command or another reminder) to what happened to them. The rest
// of the reminder stays as it was.
func (e *Engine) Settle(ctx context.Context, r Reply, done Item, line string) (Reply, error) {
	snap, err := e.store.Snapshot(ctx)
	if err != nil {
		return r, err
	}
	var keep []Action
	var lines []string
	seen := map[string]bool{}
	for _, a := range r.Actions {
		if !IsItemAction(a.ID) {
			keep = append(keep, a)
			continue
		}
		it, err := ParseItem(a.Value)
		if err != nil {
			continue
		}
		key := it.Key()
		switch {
		case key == done.Key():
			if !seen[key] {
				lines = append(lines, line)
			}
		case snap.Services[it.Service] == nil:
		case itemCurrent(snap, snap.Services[it.Service], it) != nil:
			if !seen[key] {
				lines = append(lines, capitalize(Handled(snap, snap.Services[it.Service], it)))
			}
		default:
			keep = append(keep, a)
		}
		seen[key] = true
	}
	r.Actions = keep
	if len(lines) > 0 {
		r.Sections = append(r.Sections, Section{Heading: "Handled", Lines: lines})
	}
	return r, nil
}

func capitalize(s string) string {
	r := []rune(s)
	if len(r) == 0 {
		return s
	}
	return strings.ToUpper(string(r[:1])) + string(r[1:])
}
