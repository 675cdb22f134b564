package commands_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
)

// Every line of `metrics` names a command, and that command lists the
// services behind the line: its lead repeats the line's N of M and it
// lists M-N services (the N items for budget, contracts, lead time).
func TestMetricsLinesAndDrillDown(t *testing.T) {
	ctx := context.Background()
	e, st := sampleEngine(t, nil)
	snap, err := st.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, scope := range []string{"", "workplace", "digital"} {
		text := strings.TrimSpace("metrics " + scope)
		r, err := e.Handle(ctx, commands.Caller{Person: "lee"}, text)
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		want := domain.ComputeMetrics(domain.MetricsInput{Snap: snap, Portfolio: scope, Today: e.Today(), Now: evalNow})
		if len(r.Sections) != 1 || len(r.Sections[0].Lines) != len(domain.MetricKeys) {
			t.Fatalf("%s: %+v", text, r.Sections)
		}
		if want.Retired > 0 && !strings.Contains(r.Text, "retirement") {
			t.Errorf("%s: the reply does not say retired services are left out: %q", text, r.Text)
		}
		for i, l := range want.Lines {
			line := r.Sections[0].Lines[i]
			cmd := commands.MetricCommand(want, l.Key)
			if !strings.HasPrefix(line, commands.MetricLine(l)) || !strings.HasSuffix(line, "`"+cmd+"`") {
				t.Errorf("%s line %d = %q, want %q … `%s`", text, i, line, commands.MetricLine(l), cmd)
			}
			d, err := e.Handle(ctx, commands.Caller{Person: "lee"}, cmd)
			if err != nil {
				t.Fatalf("%s: %v", cmd, err)
			}
			if !strings.HasPrefix(d.Text, commands.MetricLine(l)) {
				t.Errorf("%s lead %q, want %q", cmd, d.Text, commands.MetricLine(l))
			}
			n := 0
			for _, s := range d.Sections {
				n += len(s.Lines)
			}
			listed := l.M - l.N
			if l.Key == domain.MetricOverBudget || l.Key == domain.MetricContracts || l.Key == domain.MetricLeadTime {
				listed = l.N
			}
			if n != listed {
				t.Errorf("%s lists %d, want %d", cmd, n, listed)
			}
		}
	}
}

func TestMetricsQuestions(t *testing.T) {
	ctx := context.Background()
	e, _ := sampleEngine(t, nil)
	tests := []struct{ q, title string }{
		{"how are we doing on DR tests?", "DR test current: all portfolios"},
		{"what share of services have a strategy?", "Strategy documented: all portfolios"},
		{"How are we doing on DR plans in workplace?", "DR plan documented: Workplace Services"},
		{"what percentage of services passed their last DR test?", "Last DR test passed: all portfolios"},
		{"how embedded are the ITSPM processes?", "ITSPM metrics: all portfolios"},
		{"how are we doing on tollgate lead time?", "Tollgate lead time: all portfolios"},
	}
	for _, tc := range tests {
		r, err := e.Handle(ctx, commands.Caller{Person: "lee"}, tc.q)
		if err != nil || r.Title != tc.title {
			t.Errorf("%q: title %q (%v), want %q", tc.q, r.Title, err, tc.title)
		}
	}
	// A question about one service stays with the question parser.
	for _, q := range []string{"how are we doing on payroll?", "what share of the payroll budget is labor?", "why do we have the LMS?"} {
		r, _ := e.Handle(ctx, commands.Caller{Person: "lee"}, q)
		if strings.Contains(r.Title, "metrics") || strings.Contains(r.Title, ": all portfolios") {
			t.Errorf("%q was answered by metrics: %q", q, r.Title)
		}
	}
	r, _ := e.Handle(ctx, commands.Caller{Person: "lee"}, "why do we have the LMS?")
	if !strings.Contains(r.Text, "Compliance training") {
		t.Errorf("why LMS: %q, want the strategy's why", r.Text)
	}
}

// The lead time is the median of request → decision over the decisions of
// the last 90 days: here one request decided 4 days after it was opened.
func TestMetricsLeadTimeFromStore(t *testing.T) {
	ctx := context.Background()
	e, st := sampleEngine(t, nil)
	day := 24 * time.Hour
	req := &domain.TollgateRequest{Service: "payroll", Gate: "tg-improve", From: domain.StageOperate, To: domain.StageImprove,
		Board: "design-authority", Quorum: 2, Requester: "lee", OpenedAt: evalNow.Add(-10 * day)}
	if err := st.OpenTollgateRequest(ctx, req); err != nil {
		t.Fatal(err)
	}
	open := &domain.TollgateRequest{Service: "email", Gate: "tg-improve", From: domain.StageOperate, To: domain.StageImprove,
		Board: "design-authority", Quorum: 2, Requester: "lee", OpenedAt: evalNow.Add(-1 * day)}
	if err := st.OpenTollgateRequest(ctx, open); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.DecideTollgate(ctx, domain.TollgateDecision{ID: req.ID, Service: "payroll", Outcome: domain.Approved, At: evalNow.Add(-6 * day)}); err != nil {
		t.Fatal(err)
	}
	r, err := e.Handle(ctx, commands.Caller{Person: "lee"}, "metrics workplace lead-time")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Text, "median 4 days over 1 decision") {
		t.Errorf("lead time: %q", r.Text)
	}
	p, err := e.Handle(ctx, commands.Caller{Person: "lee"}, "portfolio workplace")
	if err != nil {
		t.Fatal(err)
	}
	txt := commands.PlainText(p)
	if !strings.Contains(txt, "Open tollgates (1)") || !strings.Contains(txt, open.ID) || strings.Contains(txt, req.ID) {
		t.Errorf("portfolio open tollgates:\n%s", txt)
	}
}

func TestPortfolioCommand(t *testing.T) {
	ctx := context.Background()
	e, _ := sampleEngine(t, nil)
	for _, ref := range []string{"workplace", "Workplace Services", "the workplace portfolio", "workplce"} {
		r, err := e.Handle(ctx, commands.Caller{}, "portfolio "+ref)
		if err != nil || r.Title != "Portfolio: Workplace Services" {
			t.Errorf("portfolio %s: %q %v", ref, r.Title, err)
			continue
		}
		txt := commands.PlainText(r)
		for _, want := range []string{"Dana Ortiz", "Services by stage", "Annual TCO", "Budget vs actual by month", "Contracts ending within 90 days"} {
			if !strings.Contains(txt, want) {
				t.Errorf("portfolio %s lacks %q", ref, want)
			}
		}
		if len(r.Charts) != 1 || len(r.Charts[0].Months) == 0 {
			t.Errorf("portfolio %s: charts %+v", ref, r.Charts)
		}
	}
	for _, tc := range []struct {
		text string
		code domain.Code
		want string
	}{
		{"portfolio", domain.Invalid, "Which portfolio?"},
		{"portfolio nothing-like-it", domain.NotFound, "The portfolios are"},
		{"portfolio digitl-data", domain.NotFound, "Did you mean `digital`?"},
		{"metrics nowhere", domain.NotFound, "I don't know a portfolio"},
	} {
		_, err := e.Handle(ctx, commands.Caller{}, tc.text)
		if domain.ErrorCode(err) != tc.code || !strings.Contains(domain.ErrorMessage(err), tc.want) {
			t.Errorf("%s: %v, want %s containing %q", tc.text, err, tc.code, tc.want)
		}
	}
}

func TestServiceCardAndCostChart(t *testing.T) {
	ctx := context.Background()
	e, _ := sampleEngine(t, nil)
	r, err := e.Handle(ctx, commands.Caller{}, "service lms")
	if err != nil {
		t.Fatal(err)
	}
	txt := commands.PlainText(r)
	for _, want := range []string{"Strategy", "Compliance training", "Planned to be available from", "2027-09-01"} {
		if !strings.Contains(txt, want) {
			t.Errorf("service card lacks %q:\n%s", want, txt)
		}
	}
	r, err = e.Handle(ctx, commands.Caller{}, "service payroll")
	if err != nil {
		t.Fatal(err)
	}
	txt = commands.PlainText(r)
	for _, want := range []string{"Vendor products", "contract ends", "Open improvements"} {
		if !strings.Contains(txt, want) {
			t.Errorf("payroll card lacks %q:\n%s", want, txt)
		}
	}
	c, err := e.Handle(ctx, commands.Caller{}, "cost payroll")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Charts) != 1 || len(c.Charts[0].Months) != len(c.Charts[0].Actual) || len(c.Charts[0].Months) == 0 {
		t.Fatalf("cost chart %+v", c.Charts)
	}
	if !strings.Contains(commands.PlainText(c), "Budget vs actual") {
		t.Errorf("the terminal lost the table")
	}
}

// Text that starts with the command word but reads as a question is a
// question ("portfolio manager of payroll?"), not a portfolio name.
func TestPortfolioWordQuestions(t *testing.T) {
	ctx := context.Background()
	e, _ := sampleEngine(t, nil)
	r, err := e.Handle(ctx, commands.Caller{}, "portfolio manager of payroll?")
	if err != nil || !strings.Contains(r.Text, "Dana Ortiz") {
		t.Errorf("portfolio manager of payroll?: %q %v", r.Text, err)
	}
}
