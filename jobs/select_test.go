package jobs

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
)

const today = domain.Date("2026-11-27")

// snapshotOf indexes a catalog the way storage does.
func snapshotOf(c *domain.Catalog) *domain.Snapshot { return domain.NewSnapshot(c) }

// people: lee and sam own services, dana manages the portfolio (and owns
// one service), nobody has no Slack account.
func basePeople() *domain.Catalog {
	p := func(name, slack string) domain.Person {
		return domain.Person{Name: name, PersonSpec: domain.PersonSpec{DisplayName: strings.ToUpper(name[:1]) + name[1:], SlackUser: slack}}
	}
	return &domain.Catalog{
		People:     []domain.Person{p("lee", "U0LEE"), p("sam", "U0SAM"), p("dana", "U0DANA"), p("nobody", "")},
		Portfolios: []domain.Portfolio{{Name: "workplace", PortfolioSpec: domain.PortfolioSpec{Title: "Workplace", Manager: "dana", Channel: "C0WORKPLACE"}}},
		Boards:     []domain.Board{{Name: "da", BoardSpec: domain.BoardSpec{Title: "Design Authority", Members: []string{"dana", "lee", "sam", "nobody"}, Channel: "C0BOARD"}}},
	}
}

func svc(name, owner string, stage domain.Stage) domain.Service {
	return domain.Service{Name: strings.ToLower(name), Title: name,
		ServiceSpec: domain.ServiceSpec{Owner: owner, Portfolio: "workplace", Stage: stage, Channel: "C0" + strings.ToUpper(name)}}
}

// digestItems lists, per recipient, the service headings of a reply's
// sections plus the service names in its lines (the manager's list).
func digestItems(msgs []Message) map[string][]string {
	out := map[string][]string{}
	for _, m := range msgs {
		to := m.To
		if to == "" {
			to = "(no slack)"
		}
		var items []string
		for _, s := range m.Reply.Sections {
			if s.Heading != "" && !strings.HasPrefix(s.Heading, "Overdue in") {
				items = append(items, strings.Fields(s.Heading)[0])
			}
			if strings.HasPrefix(s.Heading, "Overdue in") {
				for _, l := range s.Lines {
					items = append(items, "mgr:"+strings.Fields(l)[0])
				}
			}
		}
		sort.Strings(items)
		out[to] = items
	}
	return out
}

func TestContinuitySelection(t *testing.T) {
	c := basePeople()
	dr := func(name, owner string, stage domain.Stage, every domain.Period, last domain.Date) domain.Service {
		s := svc(name, owner, stage)
		s.Continuity = &domain.Continuity{RTO: "4h", RPO: "15m", Plan: "https://wiki/" + name, TestEvery: every}
		if last != "" {
			s.Continuity.LastTest = &domain.DRTest{Date: last, Result: "pass"}
		}
		return s
	}
	c.Services = []domain.Service{
		dr("Duetoday", "lee", domain.StageOperate, domain.Annual, "2025-11-27"),    // due 2026-11-27: today
		dr("In30", "lee", domain.StageOperate, domain.Annual, "2025-12-27"),        // due in exactly 30 days
		dr("In31", "lee", domain.StageOperate, domain.Annual, "2025-12-28"),        // 31 days: not yet
		dr("Overdue", "lee", domain.StageOperate, domain.Semiannual, "2026-05-01"), // due 2026-11-01
		dr("Never", "sam", domain.StageDesign, domain.Annual, ""),                  // never tested: overdue
		dr("Retired", "sam", domain.StageRetirement, domain.Annual, "2020-01-01"),  // retired: skipped
		dr("Nocadence", "sam", domain.StageOperate, "", "2020-01-01"),              // no testEvery: skipped
		dr("Danas", "dana", domain.StageOperate, domain.Annual, "2025-01-01"),      // manager's own: once, as owner
		dr("Orphan", "nobody", domain.StageOperate, domain.Annual, "2025-11-20"),   // owner without Slack: skipped
		svc("Noplan", "sam", domain.StageOperate),                                  // no continuity: skipped
	}
	msgs := ContinuityMessages(snapshotOf(c), today)
	want := map[string][]string{
		"U0LEE":      {"Duetoday", "In30", "Overdue"},
		"U0SAM":      {"Never"},
		"U0DANA":     {"Danas", "mgr:Never", "mgr:Orphan", "mgr:Overdue"},
		"(no slack)": {"Orphan"},
	}
	if diff := cmp.Diff(want, digestItems(msgs)); diff != "" {
		t.Errorf("digests (-want +got):\n%s", diff)
	}
	lee := findTo(t, msgs, "U0LEE").Reply
	// Overdue first, then by due date; the exact command to close it.
	if got := lee.Sections[0].Heading; got != "Overdue (overdue)" {
		t.Errorf("first section %q, want the overdue one", got)
	}
	if text := commands.PlainText(lee); !strings.Contains(text, "`dr overdue record pass`") || !strings.Contains(text, "overdue by 26 days") ||
		!strings.Contains(text, "2026-11-27 (today)") || !strings.Contains(text, "Sent by the continuity-tests job for 2026-11-27") {
		t.Errorf("owner digest lacks what to do or why:\n%s", text)
	}
}

func findTo(t *testing.T, msgs []Message, to string) Message {
	t.Helper()
	for _, m := range msgs {
		if m.To == to {
			return m
		}
	}
	t.Fatalf("no message to %s", to)
	return Message{}
}

func TestRoadmapSelection(t *testing.T) {
	c := basePeople()
	a := svc("Alpha", "lee", domain.StageOperate)
	a.Roadmap = []domain.RoadmapItem{
		{Title: "due-today", Due: "2026-11-27", Status: "in-progress"},
		{Title: "in-14", Due: "2026-12-11", Status: "planned"},
		{Title: "in-15", Due: "2026-12-12", Status: "planned"},
		{Title: "overdue", Due: "2026-10-31", Status: "blocked"},
		{Title: "done-overdue", Due: "2026-10-01", Status: "done"},
		{Title: "no-date", Status: "planned"},
	}
	b := svc("Beta", "lee", domain.StageDesign)
	b.Roadmap = []domain.RoadmapItem{{Title: "beta-soon", Due: "2026-12-01", Status: "planned"}}
	r := svc("Gamma", "sam", domain.StageRetirement)
	r.Roadmap = []domain.RoadmapItem{{Title: "retired-overdue", Due: "2026-10-01"}}
	c.Services = []domain.Service{a, b, r}
	msgs := RoadmapMessages(snapshotOf(c), today)
	if len(msgs) != 1 || msgs[0].To != "U0LEE" {
		t.Fatalf("messages to %v, want one digest to U0LEE", recipients(msgs))
	}
	var lines []string
	for _, s := range msgs[0].Reply.Sections {
		for _, l := range s.Lines {
			lines = append(lines, strings.SplitN(l, ":", 2)[0])
		}
	}
	want := []string{"overdue", "due-today", "in-14", "beta-soon"}
	sort.Strings(want)
	sort.Strings(lines)
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	if got := msgs[0].Reply.Title; got != "Roadmap items due: 4 items (1 overdue)" {
		t.Errorf("title %q", got)
	}
}

func recipients(msgs []Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.To)
	}
	return out
}

func TestPerformanceSelection(t *testing.T) {
	c := basePeople()
	rev := func(name, owner string, stage domain.Stage, every domain.Period, last domain.Date) domain.Service {
		s := svc(name, owner, stage)
		s.Performance = &domain.Performance{ReviewEvery: every, LastReview: last,
			Measurements: []domain.Measurement{{KPI: "availability", Month: "2026-09", Value: 99.8}, {KPI: "availability", Month: "2026-10", Value: 99.95}}}
		s.SLA = []domain.SLATarget{{KPI: "availability", Target: 99.9, Unit: "percent"}, {KPI: "p95-latency", Target: 800, Unit: "ms", BetterWhen: "lower"}}
		s.Cost = &domain.Cost{Currency: "EUR", TCO: domain.TCO{Licenses: 1000},
			Monthly: []domain.MonthCost{{Month: "2026-09", Budget: 100, Actual: 110}, {Month: "2026-10", Budget: 100, Actual: 90}}}
		return s
	}
	nochan := rev("Nochan", "sam", domain.StageOperate, domain.Quarterly, "2026-08-01")
	nochan.Channel, nochan.Portfolio = "", "none"
	pfchan := rev("Pfchan", "sam", domain.StageOperate, domain.Monthly, "2026-10-27") // due today, portfolio channel
	pfchan.Channel = ""
	c.Services = []domain.Service{
		rev("Today", "lee", domain.StageOperate, domain.Quarterly, "2026-08-27"), // due today
		rev("In7", "lee", domain.StageOperate, domain.Quarterly, "2026-09-04"),   // due in 7 days
		rev("In8", "lee", domain.StageOperate, domain.Quarterly, "2026-09-05"),   // 8 days: not yet
		rev("Late", "lee", domain.StageImprove, domain.Monthly, "2026-09-01"),    // overdue
		rev("Never", "lee", domain.StageTransition, domain.Annual, ""),           // never reviewed
		rev("Gone", "lee", domain.StageRetirement, domain.Monthly, "2020-01-01"), // retired
		rev("Nocadence", "lee", domain.StageOperate, "", "2020-01-01"),           // no reviewEvery
		nochan, pfchan,
	}
	msgs := PerformanceMessages(snapshotOf(c), today)
	got := map[string][]string{}
	charts := map[string]int{}
	for _, m := range msgs {
		for _, s := range m.Reply.Sections {
			if s.Heading != "" {
				got[m.To] = append(got[m.To], strings.Fields(s.Heading)[0])
			}
		}
		sort.Strings(got[m.To])
		charts[m.To] = len(m.Charts)
	}
	want := map[string][]string{
		"C0TODAY": {"Today"}, "C0IN7": {"In7"}, "C0LATE": {"Late"}, "C0NEVER": {"Never"}, "C0WORKPLACE": {"Pfchan"},
		"U0LEE": {"In7", "Late", "Never", "Today"},
		"U0SAM": {"Nochan", "Pfchan"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("summaries and reminders (-want +got):\n%s", diff)
	}
	wantCharts := map[string]int{"C0TODAY": 1, "C0IN7": 1, "C0LATE": 1, "C0NEVER": 1, "C0WORKPLACE": 1, "U0LEE": 0, "U0SAM": 1}
	if diff := cmp.Diff(wantCharts, charts); diff != "" {
		t.Errorf("charts (-want +got):\n%s", diff)
	}
	text := commands.PlainText(findTo(t, msgs, "C0TODAY").Reply)
	for _, want := range []string{"availability", "99.95 % in 2026-10: met (target ≥ 99.9 %; typed)", "p95-latency", "not measured yet",
		"Cost 2026-10", "€90 of €100 budget (-10%)", "€110 of €100 budget (+10%)", "Annual TCO"} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}
	if text := commands.PlainText(findTo(t, msgs, "U0LEE").Reply); !strings.Contains(text, "performance.lastReview") {
		t.Errorf("owner reminder does not say what to do:\n%s", text)
	}
}

func TestTollgateSelection(t *testing.T) {
	c := basePeople()
	c.Services = []domain.Service{svc("Payroll", "lee", domain.StageOperate)}
	snap := snapshotOf(c)
	now := utc("2026-11-27T10:00:00Z")
	req := func(id, requester string, opened time.Time, status string) domain.TollgateRequest {
		return domain.TollgateRequest{ID: id, Service: "payroll", Gate: "tg", From: domain.StageOperate, To: domain.StageImprove,
			Board: "da", Quorum: 2, Requester: requester, OpenedAt: opened, Status: status, Criteria: []string{"KPIs reviewed"}}
	}
	reqs := []domain.TollgateRequest{
		req("TG-old", "lee", now.Add(-72*time.Hour), domain.RequestOpen),
		req("TG-48h", "lee", now.Add(-48*time.Hour), domain.RequestOpen),               // exactly 2 days: not over
		req("TG-48h1s", "sam", now.Add(-48*time.Hour-time.Second), domain.RequestOpen), // just over
		req("TG-done", "lee", now.Add(-96*time.Hour), domain.RequestApproved),
		{ID: "TG-noboard", Service: "payroll", Board: "gone", Requester: "lee", OpenedAt: now.Add(-96 * time.Hour), Status: domain.RequestOpen},
	}
	votes := map[string][]domain.Vote{
		"TG-old": {{Request: "TG-old", Voter: "sam", Approve: true}},
	}
	msgs := TollgateMessages(snap, reqs, votes, now, today)
	got := map[string][]string{}
	for _, m := range msgs {
		to := m.To
		if to == "" {
			to = "(no slack)"
		}
		for _, s := range m.Reply.Sections {
			f := strings.Fields(s.Heading)
			got[to] = append(got[to], strings.Trim(f[len(f)-1], "()"))
		}
	}
	want := map[string][]string{
		"U0DANA":     {"TG-old", "TG-48h1s"},
		"U0LEE":      {"TG-48h1s"}, // lee requested TG-old
		"U0SAM":      nil,          // voted on TG-old, requested TG-48h1s
		"(no slack)": {"TG-old", "TG-48h1s"},
	}
	delete(want, "U0SAM")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("nudges (-want +got):\n%s", diff)
	}
	text := commands.PlainText(findTo(t, msgs, "U0DANA").Reply)
	for _, want := range []string{"approve TG-old", "1 of 2 needed", "KPIs reviewed", "Design Authority", "have not voted"} {
		if !strings.Contains(text, want) {
			t.Errorf("nudge lacks %q:\n%s", want, text)
		}
	}
}

func TestDigestIsCapped(t *testing.T) {
	c := basePeople()
	for i := 0; i < 30; i++ {
		s := svc("S"+strings.Repeat("x", i+1), "lee", domain.StageOperate)
		s.Roadmap = []domain.RoadmapItem{{Title: "item", Due: today, Status: "planned"}}
		c.Services = append(c.Services, s)
	}
	msgs := RoadmapMessages(snapshotOf(c), today)
	r := msgs[0].Reply
	if len(r.Sections) != maxDigestItems+1 || !strings.Contains(r.Sections[maxDigestItems].Text, "and 10 more") {
		t.Errorf("%d sections, last %q", len(r.Sections), r.Sections[len(r.Sections)-1].Text)
	}
	// The Done and Postpone buttons of the items shown, and the capped
	// command buttons.
	if len(r.Actions) != maxItemActions+maxActions {
		t.Errorf("%d actions", len(r.Actions))
	}
}
