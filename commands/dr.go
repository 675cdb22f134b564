package commands

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/itspm/itspm/domain"
)

func (e *Engine) dr(ctx context.Context, r *request) (Reply, error) {
	if len(r.args) == 0 {
		return Reply{}, domain.Errorf(domain.Invalid, "Which service? Usage: `dr <service>` or `dr <service> record pass|partial|fail [notes]`.")
	}
	// "dr <svc> record <result> [notes]": the service name may have spaces,
	// so find the "record" keyword.
	for i, a := range r.args {
		if i > 0 && strings.EqualFold(a, "record") {
			s, err := resolveWrite(r.snap, strings.Join(r.args[:i], " "))
			if err != nil {
				return Reply{}, err
			}
			return e.recordDR(ctx, r, s, r.args[i+1:])
		}
	}
	s, err := serviceArg(r, "dr <service>")
	if err != nil {
		return Reply{}, err
	}
	return e.DRCard(r.snap, s), nil
}

// DRCard is the continuity card of s: RTO, RPO, plan, last and next test.
func (e *Engine) DRCard(snap *domain.Snapshot, s *domain.Service) Reply {
	k := s.Continuity
	if k == nil {
		return Reply{Title: "Disaster recovery for " + s.Label(), Text: s.Label() + " has no continuity plan in the catalog."}
	}
	orNone := func(v string) string {
		if v == "" {
			return "not set"
		}
		return v
	}
	fields := []Field{
		{"RTO", orNone(k.RTO)},
		{"RPO", orNone(k.RPO)},
		{"Plan", orNone(k.Plan)},
		{"Test every", orNone(string(k.TestEvery))},
	}
	if t := k.LastTest; t != nil {
		last := fmt.Sprintf("%s, %s", DateRel(t.Date, e.Today()), t.Result)
		if t.Notes != "" {
			last += ": " + t.Notes
		}
		fields = append(fields, Field{"Last test", last})
	} else {
		fields = append(fields, Field{"Last test", "never tested"})
	}
	text := ""
	if due, ok := s.NextDRTest(e.Today()); ok {
		fields = append(fields, Field{"Next test due", DueText(due)})
		if due.Overdue {
			text = "The DR test is overdue. When it is done, record it with `dr " + s.Name + " record pass|partial|fail [notes]`."
		}
	}
	return Reply{
		Title:    "Disaster recovery for " + s.Label(),
		Text:     text,
		Sections: []Section{{Fields: fields}},
		Context:  "Owner: " + Person(snap, s.Owner),
		Actions:  []Action{{Label: "Record a test", Command: "dr " + s.Name + " record pass"}},
	}
}

// CanManage reports whether the caller may act for the service: its owner,
// its portfolio's manager, or an admin.
func (e *Engine) CanManage(snap *domain.Snapshot, c Caller, s *domain.Service) bool {
	if e.IsAdmin(c) {
		return true
	}
	if c.Person == "" {
		return false
	}
	if snap.IsOwner(s, c.Person) {
		return true
	}
	pf, ok := snap.Portfolios[s.Portfolio]
	return ok && pf.Manager == c.Person
}

func (e *Engine) recordDR(ctx context.Context, r *request, s *domain.Service, args []string) (Reply, error) {
	usage := fmt.Sprintf("Usage: `dr %s record pass|partial|fail [notes]`.", s.Name)
	if len(args) == 0 {
		return Reply{}, domain.Errorf(domain.Invalid, "What was the result? %s", usage)
	}
	result := strings.ToLower(args[0])
	if !slices.Contains(domain.DRResults, result) {
		return Reply{}, domain.Errorf(domain.Invalid, "%q is not a DR test result (pass, partial or fail). %s", args[0], usage)
	}
	notes := strings.TrimSpace(strings.Join(args[1:], " "))
	today := e.Today()
	updated, err := e.applyDR(ctx, r.snap, r.caller, s, result, today, notes, nil)
	if err != nil {
		return Reply{}, err
	}
	return e.drRecorded(r.snap, r.caller, updated, result, today), nil
}

// applyDR records a DR test of s on date: what `dr <svc> record` and the
// Record result button do. guard, when set, runs on the stored service
// under its write lock first (a button's "not handled yet" check).
func (e *Engine) applyDR(ctx context.Context, snap *domain.Snapshot, c Caller, s *domain.Service, result string, date domain.Date, notes string, guard func(*domain.Service) error) (*domain.Service, error) {
	if !e.CanManage(snap, c, s) {
		return nil, e.forbidden(snap, s, "record DR tests")
	}
	if err := checkNotes(notes, "notes"); err != nil {
		return nil, err
	}
	actor := ActorName(c)
	return e.writeService(ctx, snap, c, s, write{
		guard:  guard,
		action: "dr.record", what: "record DR tests",
		summary: withNotes("recorded DR test: "+result, notes),
		change: func(svc *domain.Service) error {
			if svc.Continuity == nil {
				svc.Continuity = &domain.Continuity{}
			}
			if svc.Continuity.TestEvery == "" { // a first test starts a yearly cadence
				svc.Continuity.TestEvery = domain.Annual
			}
			svc.Continuity.LastTest = &domain.DRTest{Date: date, Result: result, Notes: notes, RecordedBy: actor}
			return nil
		},
	})
}

func (e *Engine) drRecorded(snap *domain.Snapshot, c Caller, updated *domain.Service, result string, date domain.Date) Reply {
	next := ""
	if due, ok := updated.NextDRTest(e.Today()); ok {
		next = " Next test due " + DueText(due) + "."
	}
	return Reply{
		Title:     "DR test recorded for " + updated.Label(),
		Text:      fmt.Sprintf("Recorded a %s DR test on %s by %s.%s", result, date, Person(snap, ActorName(c)), next),
		InChannel: true,
	}
}

// ActorName is how the audit trail names the caller.
func ActorName(c Caller) string {
	switch {
	case c.Person != "":
		return c.Person
	case c.SlackUser != "":
		return c.SlackUser
	}
	return "unknown"
}
