package jobs

import (
	"context"
	"fmt"
	"strings"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
)

// ReviewHorizon is how many days ahead a review is announced: the job runs
// weekly, so every review is announced the week before it is due.
const ReviewHorizon = 7

// maxChartsPerMessage bounds the charts uploaded with one digest.
const maxChartsPerMessage = 5

// costMonths is how many recent months a summary lists.
const costMonths = 3

func collectPerformance(ctx context.Context, src Source, occ Occurrence) ([]Message, error) {
	snap, err := src.Snapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the catalog: %w", err)
	}
	return PerformanceMessages(snap, snapshotToday(occ)), nil
}

// PerformanceMessages selects services not in retirement whose review is
// due within ReviewHorizon days or overdue (never reviewed counts as
// overdue) and returns one summary per channel (the service's, else its
// portfolio's), with a chart per service, and one reminder per owner.
func PerformanceMessages(snap *domain.Snapshot, today domain.Date) []Message {
	byChannel := map[string][]dueItem{}
	byOwner := map[string][]dueItem{}
	for _, it := range dueWithin(snap, today, ReviewHorizon, (*domain.Service).NextReview) {
		s := it.svc
		if ch := serviceChannel(snap, s); ch != "" {
			byChannel[ch] = append(byChannel[ch], it)
		}
		for _, to := range snap.OwnerRecipients(s) {
			byOwner[to] = append(byOwner[to], it)
		}
	}
	var out []Message
	for _, ch := range sortedKeys(byChannel) {
		items := byChannel[ch]
		sortDue(items)
		out = append(out, Message{To: ch, Reply: reviewSummary(snap, today, items), Charts: reviewCharts(today, items)})
	}
	for _, owner := range sortedKeys(byOwner) {
		items := byOwner[owner]
		sortDue(items)
		m := Message{To: slackUser(snap, owner), Reply: reviewReminder(snap, today, items)}
		// Services without a channel: the owner gets their charts.
		var unposted []dueItem
		for _, it := range items {
			if serviceChannel(snap, it.svc) == "" {
				unposted = append(unposted, it)
			}
		}
		m.Charts = reviewCharts(today, unposted)
		out = append(out, m)
	}
	return out
}

// serviceChannel is where a service's summary goes: its channel, else its
// portfolio's.
func serviceChannel(snap *domain.Snapshot, s *domain.Service) string {
	if s.Channel != "" {
		return s.Channel
	}
	if pf, ok := snap.Portfolios[s.Portfolio]; ok {
		return pf.Channel
	}
	return ""
}

func reviewCharts(today domain.Date, items []dueItem) []Chart {
	var out []Chart
	for _, it := range items {
		if len(out) == maxChartsPerMessage {
			break
		}
		if c, ok := serviceChart(it.svc, today); ok {
			out = append(out, c)
		}
	}
	return out
}

// reviewSummary is the channel message: for each service, measurements
// against SLA targets and cost against budget.
func reviewSummary(snap *domain.Snapshot, today domain.Date, items []dueItem) commands.Reply {
	r := commands.Reply{InChannel: true}
	if len(items) == 1 {
		r.Title = "Performance review due: " + items[0].svc.Label()
	} else {
		r.Title = "Performance reviews due: " + plural(len(items), "service", "services")
	}
	r.Text = fmt.Sprintf("The performance review of these services is due within %d days or overdue. "+
		"Here is where they stand against their SLAs and budgets; the owners will hold the reviews.", ReviewHorizon)
	var secs []commands.Section
	var actions, buttons []commands.Action
	for _, it := range items {
		secs = append(secs, reviewSection(snap, today, it))
		buttons = append(buttons, commands.ReviewActions(it.svc)...)
		actions = append(actions, commands.Action{Label: "Performance: " + it.svc.Label(), Command: "performance " + it.svc.Name})
	}
	r.Sections = capSections(secs, "services due for review")
	r.Actions = append(capItemActions(buttons), capActions(actions)...)
	r.Context = footer(PerformanceReviews, today, "Posted here because this channel belongs to these services; charts follow.")
	return r
}

func reviewSection(snap *domain.Snapshot, today domain.Date, it dueItem) commands.Section {
	s := it.svc
	sec := commands.Section{Heading: serviceHeading(s)}
	sec.Text = fmt.Sprintf("Review due %s · %s reviews · owner %s", commands.DueText(it.due), s.Performance.ReviewEvery, commands.Person(snap, s.Owner))
	for _, k := range s.KPIResults() {
		v := "not measured yet"
		if k.Latest != nil {
			verdict := "missed"
			if k.Met {
				verdict = "met"
			}
			v = fmt.Sprintf("%s %s in %s: %s (target %s; %s)", commands.Number(k.Latest.Value), unitText(k.Target.Unit), k.Latest.Month, verdict, targetText(k.Target), commands.SourceText(*k.Latest))
		}
		sec.Fields = append(sec.Fields, commands.Field{Label: k.Target.KPI, Value: v})
	}
	if s.Cost != nil {
		cur := s.Cost.Currency
		for _, m := range s.Cost.RecentMonths(costMonths) {
			v := fmt.Sprintf("%s of %s budget", commands.Money(cur, m.Actual), commands.Money(cur, m.Budget))
			if _, frac, ok := m.Variance(); ok {
				sign := "+"
				if frac < 0 {
					sign = ""
				}
				v += fmt.Sprintf(" (%s%s)", sign, commands.Percent(frac))
			}
			sec.Fields = append(sec.Fields, commands.Field{Label: "Cost " + string(m.Month), Value: v})
		}
		if tco := s.AnnualTCO(); tco > 0 {
			sec.Fields = append(sec.Fields, commands.Field{Label: "Annual TCO", Value: commands.Money(cur, tco)})
		}
	}
	return sec
}

// reviewReminder is the owner's DM: hold the review, then record it.
func reviewReminder(snap *domain.Snapshot, today domain.Date, items []dueItem) commands.Reply {
	r := commands.Reply{}
	if len(items) == 1 {
		r.Title = "Time for the performance review of " + items[0].svc.Label()
	} else {
		r.Title = "Performance reviews due: " + plural(len(items), "service", "services")
	}
	r.Text = fmt.Sprintf("The performance review of your services below is due within %d days or overdue. "+
		"Hold it with the service's stakeholders using the summary (posted in the service channel, with a chart), agree actions, "+
		"then set `performance.lastReview` to the review date in the catalog and re-import it so the next review is scheduled.", ReviewHorizon)
	var secs []commands.Section
	var actions, buttons []commands.Action
	for _, it := range items {
		s := it.svc
		met, measured := 0, 0
		for _, k := range s.KPIResults() {
			if k.Latest != nil {
				measured++
				if k.Met {
					met++
				}
			}
		}
		fields := []commands.Field{{Label: "Review due", Value: commands.DueText(it.due)}}
		if len(s.SLA) > 0 {
			fields = append(fields, commands.Field{Label: "SLA", Value: fmt.Sprintf("%d of %d measured KPIs met (%d targets)", met, measured, len(s.SLA))})
		}
		if rows := s.Cost.RecentMonths(1); len(rows) == 1 {
			if _, frac, ok := rows[0].Variance(); ok {
				word := "over"
				if frac < 0 {
					word, frac = "under", -frac
				}
				fields = append(fields, commands.Field{Label: "Cost " + string(rows[0].Month), Value: fmt.Sprintf("%s %s budget", commands.Percent(frac), word)})
			}
		}
		where := "summary posted in the service channel"
		if serviceChannel(snap, s) == "" {
			where = "no channel in the catalog: the summary is below"
		}
		sec := commands.Section{Heading: serviceHeading(s), Text: where, Fields: fields}
		if serviceChannel(snap, s) == "" {
			full := reviewSection(snap, today, it)
			sec.Fields = append(sec.Fields, full.Fields...)
		}
		secs = append(secs, sec)
		buttons = append(buttons, commands.ReviewActions(s)...)
		actions = append(actions, commands.Action{Label: "Performance: " + s.Label(), Command: "performance " + s.Name})
	}
	r.Sections = capSections(secs, "services due for review")
	r.Actions = append(capItemActions(buttons), capActions(actions)...)
	r.Context = footer(PerformanceReviews, today, "You get this because you own these services; it repeats weekly until the review is recorded.")
	return r
}

func targetText(t domain.SLATarget) string {
	op := "≥"
	if t.LowerIsBetter() {
		op = "≤"
	}
	return strings.TrimSpace(fmt.Sprintf("%s %s %s", op, commands.Number(t.Target), unitText(t.Unit)))
}

func unitText(u string) string {
	if u == "percent" {
		return "%"
	}
	return u
}
