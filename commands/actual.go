package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/itspm/itspm/domain"
)

// actual is `actual <svc> <YYYY-MM> <amount> [budget <amount>]`, read from
// the end so a service title may have spaces.
func (e *Engine) actual(ctx context.Context, r *request) (Reply, error) {
	const usage = "`actual <service> <YYYY-MM> <amount> [budget <amount>]`"
	today := e.Today()
	args := r.args
	var budget *float64
	if n := len(args); n >= 2 && strings.EqualFold(args[n-2], "budget") {
		b, err := parseAmount(args[n-1], "budget")
		if err != nil {
			return Reply{}, err
		}
		budget, args = &b, args[:n-2]
	}
	if len(args) < 3 {
		return Reply{}, usageError("Usage: %s, e.g. `actual payroll %s 23500 budget 22000`.", usage, lastMonth(today))
	}
	n := len(args)
	s, err := resolveWrite(r.snap, strings.Join(args[:n-2], " "))
	if err != nil {
		return Reply{}, err
	}
	month, err := parsePastMonth(args[n-2], today)
	if err != nil {
		return Reply{}, err
	}
	amount, err := parseAmount(args[n-1], "actual cost")
	if err != nil {
		return Reply{}, err
	}
	updated, err := e.applyActual(ctx, r.snap, r.caller, s, month, amount, budget)
	if err != nil {
		return Reply{}, err
	}
	cur := Currency(updated)
	text := fmt.Sprintf("%s in %s: actual %s", updated.Label(), month, Money(cur, amount))
	for _, mc := range updated.Cost.Monthly {
		if mc.Month == month && mc.Budget > 0 {
			amt, frac, _ := mc.Variance()
			text += fmt.Sprintf(" against a budget of %s (%s%s, %s)", Money(cur, mc.Budget), signOf(amt), Money(cur, absF(amt)), Percent(absF(frac)))
			if amt > 0 {
				text += " over"
			} else if amt < 0 {
				text += " under"
			}
		}
	}
	return Reply{Title: "Actual cost recorded for " + updated.Label(), Text: text + ".", InChannel: true}, nil
}

// applyActual stores the month's actual cost (and budget, when given),
// keeping a budget already recorded for the month otherwise.
func (e *Engine) applyActual(ctx context.Context, snap *domain.Snapshot, c Caller, s *domain.Service, month domain.Month, amount float64, budget *float64) (*domain.Service, error) {
	summary := fmt.Sprintf("recorded actual cost for %s: %s", month, Number(amount))
	if budget != nil {
		summary += fmt.Sprintf(", budget %s", Number(*budget))
	}
	return e.writeService(ctx, snap, c, s, write{
		action: "cost.actual", what: "record actual costs", summary: summary,
		change: func(svc *domain.Service) error {
			if svc.Cost == nil {
				svc.Cost = &domain.Cost{}
			}
			for i := range svc.Cost.Monthly {
				mc := &svc.Cost.Monthly[i]
				if mc.Month == month {
					mc.Actual = amount
					if budget != nil {
						mc.Budget = *budget
					}
					return nil
				}
			}
			mc := domain.MonthCost{Month: month, Actual: amount}
			if budget != nil {
				mc.Budget = *budget
			}
			svc.Cost.Monthly = append(svc.Cost.Monthly, mc)
			return nil
		},
	})
}

func signOf(v float64) string {
	if v > 0 {
		return "+"
	}
	if v < 0 {
		return "−"
	}
	return ""
}

func absF(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
