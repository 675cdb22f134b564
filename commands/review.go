package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/itspm/itspm/domain"
)

// review is `review <svc> done [notes]`: a performance review held today.
func (e *Engine) review(ctx context.Context, r *request) (Reply, error) {
	const usage = "`review <service> done [notes]`"
	i := keywordAt(r.args, "done")
	if i < 0 {
		if len(r.args) == 0 {
			return Reply{}, usageError("Which service? Usage: %s.", usage)
		}
		return Reply{}, usageError("To record a review, add `done`: %s. To see the figures, use `performance <service>`.", usage)
	}
	s, err := resolveBefore(r, i, usage)
	if err != nil {
		return Reply{}, err
	}
	notes := strings.TrimSpace(strings.Join(r.args[i+1:], " "))
	today := e.Today()
	updated, err := e.applyReview(ctx, r.snap, r.caller, s, today, notes, nil)
	if err != nil {
		return Reply{}, err
	}
	return e.reviewed(r.snap, r.caller, updated, today), nil
}

// applyReview records a performance review of s on date (what `review
// <svc> done` and the Mark reviewed button do); guard as for applyDR.
func (e *Engine) applyReview(ctx context.Context, snap *domain.Snapshot, c Caller, s *domain.Service, date domain.Date, notes string, guard func(*domain.Service) error) (*domain.Service, error) {
	if !e.CanManage(snap, c, s) {
		return nil, e.forbidden(snap, s, "record performance reviews")
	}
	if err := checkNotes(notes, "notes"); err != nil {
		return nil, err
	}
	return e.writeService(ctx, snap, c, s, write{
		guard:  guard,
		action: "review.done", what: "record performance reviews",
		summary: withNotes("performance review held", notes),
		change: func(svc *domain.Service) error {
			if svc.Performance == nil {
				svc.Performance = &domain.Performance{}
			}
			if svc.Performance.ReviewEvery == "" { // a first review starts a quarterly cadence
				svc.Performance.ReviewEvery = domain.Quarterly
			}
			svc.Performance.LastReview = date
			return nil
		},
	})
}

func (e *Engine) reviewed(snap *domain.Snapshot, c Caller, updated *domain.Service, date domain.Date) Reply {
	next := ""
	if due, ok := updated.NextReview(e.Today()); ok {
		next = " Next review due " + DueText(due) + "."
	}
	return Reply{
		Title:     "Performance review recorded for " + updated.Label(),
		Text:      fmt.Sprintf("Reviewed on %s by %s.%s", date, Person(snap, ActorName(c)), next),
		InChannel: true,
	}
}
