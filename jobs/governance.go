package jobs

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
)

// GovernanceDigest is the weekly digest of the process metrics (SPEC
// section 9): to each portfolio's channel its metrics with the change since
// last week and a budget-vs-actual chart; a copy to the channel of each
// board that approves the portfolio's next gates.
const GovernanceDigest = "governance-digest"

// GovernanceSource is what the digest reads and writes besides the
// catalog: tollgate activity for the lead time, and the weekly metric
// snapshots (*storage.Store implements it).
type GovernanceSource interface {
	TollgateActivity(ctx context.Context, since time.Time) ([]domain.TollgateRequest, error)
	MetricSnapshots(ctx context.Context, ids []string) (map[string]domain.MetricSnapshot, error)
	InsertMetricSnapshots(ctx context.Context, snaps []domain.MetricSnapshot) (int, error)
}

func governanceJob() Job {
	return Job{Name: GovernanceDigest, Schedule: "0 8 * * MON", Collect: collectGovernance,
		Description: "each portfolio's ITSPM metrics with the change since last week and a budget chart, to its channel and its boards"}
}

// collectGovernance reads the catalog, the tollgate activity and last
// week's snapshots, stores this week's (one insert for all portfolios; a
// second replica's insert changes nothing), and returns the digests. Four
// round trips whatever the catalog's size, plus the snapshot's.
func collectGovernance(ctx context.Context, src Source, occ Occurrence) ([]Message, error) {
	gs, ok := src.(GovernanceSource)
	if !ok {
		return nil, errors.New("the store keeps no metric snapshots")
	}
	snap, err := src.Snapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the catalog: %w", err)
	}
	reqs, err := gs.TollgateActivity(ctx, occ.At.Add(-domain.LeadTimeDays*24*time.Hour))
	if err != nil {
		return nil, fmt.Errorf("read tollgate activity: %w", err)
	}
	today := snapshotToday(occ)
	lastWeek := today.AddDays(-7)
	var ids []string
	for _, n := range sortedKeys(snap.Portfolios) {
		ids = append(ids, domain.MetricSnapshotID(n, lastWeek))
	}
	prev, err := gs.MetricSnapshots(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read last week's metrics: %w", err)
	}
	digests := GovernanceDigests(snap, today, occ.At, reqs, prev)
	var snaps []domain.MetricSnapshot
	for _, d := range digests {
		snaps = append(snaps, domain.SnapshotOf(d.Metrics, occ.At))
	}
	if _, err := gs.InsertMetricSnapshots(ctx, snaps); err != nil {
		return nil, fmt.Errorf("store this week's metrics: %w", err)
	}
	return GovernanceMessages(snap, today, digests), nil
}

// PortfolioDigest is one portfolio's metrics, last week's snapshot and chart.
type PortfolioDigest struct {
	Portfolio string
	Metrics   domain.Metrics
	Prev      *domain.MetricSnapshot // nil: first week
	Chart     *Chart
	Boards    []string // boards that approve the portfolio's next gates
}

// GovernanceDigests computes every portfolio's digest. prev holds last
// week's snapshots by ID.
func GovernanceDigests(snap *domain.Snapshot, today domain.Date, now time.Time, reqs []domain.TollgateRequest, prev map[string]domain.MetricSnapshot) []PortfolioDigest {
	var out []PortfolioDigest
	for _, n := range sortedKeys(snap.Portfolios) {
		d := PortfolioDigest{Portfolio: n, Metrics: domain.ComputeMetrics(domain.MetricsInput{Snap: snap, Portfolio: n, Today: today,
			Requests: reqs, Now: now, Window: domain.DefaultContractWindowDays})}
		if p, ok := prev[domain.MetricSnapshotID(n, today.AddDays(-7))]; ok {
			d.Prev = &p
		}
		d.Chart = portfolioChart(snap, n, today)
		d.Boards = portfolioBoards(snap, n, reqs)
		out = append(out, d)
	}
	return out
}

// portfolioBoards are the boards whose gates the portfolio's services face
// next (a gate leaving a service's stage) or have a request at.
func portfolioBoards(snap *domain.Snapshot, portfolio string, reqs []domain.TollgateRequest) []string {
	set := map[string]bool{}
	active, _ := domain.InScope(snap, portfolio)
	for _, s := range active {
		for _, g := range snap.GatesFrom(s.Stage) {
			set[g.Board] = true
		}
	}
	for _, r := range reqs {
		if s, ok := snap.Services[r.Service]; ok && s.Portfolio == portfolio {
			set[r.Board] = true
		}
	}
	var out []string
	for b := range set {
		if _, ok := snap.Boards[b]; ok {
			out = append(out, b)
		}
	}
	sort.Strings(out)
	return out
}

// portfolioChart is budget against actual by month, the portfolio's
// services summed in its main currency (nil when no month has figures).
func portfolioChart(snap *domain.Snapshot, portfolio string, today domain.Date) *Chart {
	var svcs []*domain.Service
	for _, n := range snap.ServiceNames() {
		if s := snap.Services[n]; s.Portfolio == portfolio {
			svcs = append(svcs, s)
		}
	}
	totals := domain.SumCosts(svcs, today)
	if len(totals) == 0 || len(totals[0].Months) == 0 {
		return nil
	}
	t := totals[0]
	title := portfolioTitle(snap, portfolio)
	c := &Chart{Filename: fmt.Sprintf("%s-budget-%s.png", portfolio, today), Title: title + ": budget vs actual",
		Cost: &CostSeries{Currency: t.Currency}}
	for _, m := range t.Months {
		c.Cost.Months = append(c.Cost.Months, string(m.Month))
		c.Cost.Budget = append(c.Cost.Budget, m.Budget)
		c.Cost.Actual = append(c.Cost.Actual, m.Actual)
	}
	c.Comment = fmt.Sprintf("%s: monthly budget against actual, services summed (%s).", title, t.Currency)
	if len(totals) > 1 {
		c.Comment += fmt.Sprintf(" Services in %s are in `portfolio %s`.", plural(len(totals)-1, "other currency", "other currencies"), portfolio)
	}
	return c
}

func portfolioTitle(snap *domain.Snapshot, name string) string {
	if p, ok := snap.Portfolios[name]; ok && p.Title != "" {
		return p.Title
	}
	return name
}

// GovernanceMessages addresses the digests: one message per channel (the
// outbox delivers one per recipient and run), so a channel that several
// portfolios or boards share gets their digests together.
func GovernanceMessages(snap *domain.Snapshot, today domain.Date, digests []PortfolioDigest) []Message {
	type part struct {
		d     PortfolioDigest
		board string // "" for the portfolio's own channel
	}
	byChannel := map[string][]part{}
	for _, d := range digests {
		if ch := snap.Portfolios[d.Portfolio].Channel; ch != "" {
			byChannel[ch] = append(byChannel[ch], part{d: d})
		}
		for _, b := range d.Boards {
			if ch := snap.Boards[b].Channel; ch != "" {
				byChannel[ch] = append(byChannel[ch], part{d: d, board: b})
			}
		}
	}
	var out []Message
	for _, ch := range sortedKeys(byChannel) {
		parts := byChannel[ch]
		// The portfolio's own copy wins over a board copy in the same channel.
		seen := map[string]bool{}
		kept := parts[:0]
		for _, p := range parts {
			if !seen[p.d.Portfolio] {
				seen[p.d.Portfolio] = true
				kept = append(kept, p)
			}
		}
		parts = kept
		var m Message
		m.To = ch
		if len(parts) == 1 {
			p := parts[0]
			r := commands.MetricsReply(snap, p.d.Metrics, p.d.Prev, true)
			r.Title = "Governance digest: " + portfolioTitle(snap, p.d.Portfolio)
			why := "Posted here because this is the portfolio's channel."
			if p.board != "" {
				why = fmt.Sprintf("A copy for the %s, which approves this portfolio's next tollgates.", boardTitle(snap.Boards[p.board]))
			}
			r.Context = footer(GovernanceDigest, today, why+" "+r.Context)
			r.InChannel = true
			m.Reply = r
		} else {
			var ds []PortfolioDigest
			for _, p := range parts {
				ds = append(ds, p.d)
			}
			m.Reply = combinedDigest(snap, today, parts[0].board, ds)
		}
		for _, p := range parts {
			if p.d.Chart != nil && len(m.Charts) < maxChartsPerMessage {
				m.Charts = append(m.Charts, *p.d.Chart)
			}
		}
		out = append(out, m)
	}
	return out
}

// combinedDigest is one message holding several portfolios' digests.
func combinedDigest(snap *domain.Snapshot, today domain.Date, board string, digests []PortfolioDigest) commands.Reply {
	r := commands.Reply{InChannel: true}
	n := len(digests)
	for _, d := range digests {
		mr := commands.MetricsReply(snap, d.Metrics, d.Prev, true)
		sec := commands.Section{Heading: portfolioTitle(snap, d.Portfolio), Text: mr.Text}
		if len(mr.Sections) > 0 {
			sec.Lines = mr.Sections[0].Lines
		}
		r.Sections = append(r.Sections, sec)
		r.Actions = append(r.Actions, commands.Action{Label: "Portfolio: " + portfolioTitle(snap, d.Portfolio), Command: "portfolio " + d.Portfolio})
	}
	r.Title = "Governance digest: " + plural(n, "portfolio", "portfolios")
	r.Text = "How embedded the ITSPM processes are in each portfolio, with the change since last week."
	why := "Posted here because these portfolios share this channel."
	if board != "" {
		why = fmt.Sprintf("A copy for the %s, which approves these portfolios' next tollgates.", boardTitle(snap.Boards[board]))
	}
	r.Sections = capSections(r.Sections, "portfolios")
	r.Actions = capActions(r.Actions)
	r.Context = footer(GovernanceDigest, today, why+" Each line's command lists the services behind it.")
	return r
}

// RenderCostChart draws a reply's budget-vs-actual chart as a PNG (the bot
// uploads it after `cost` and `portfolio` replies).
func RenderCostChart(c commands.Chart) ([]byte, error) {
	return RenderChart(Chart{Filename: c.Filename, Title: c.Title, Comment: c.Comment,
		Cost: &CostSeries{Currency: c.Currency, Months: c.Months, Budget: c.Budget, Actual: c.Actual}})
}
