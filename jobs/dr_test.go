package jobs

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/questions"
	"github.com/itspm/itspm/storage/storetest"
)

// TestRecordingDRTestStopsTheReminder closes the loop of a continuity
// reminder: `dr <svc> record <result>` by the owner, the portfolio manager
// or an admin (nobody else) is audited and moves the next due date, so the
// next run no longer reminds anyone of it.
func TestRecordingDRTestStopsTheReminder(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	c := basePeople()
	overdue := func(name, owner string) domain.Service {
		s := svc(name, owner, domain.StageOperate)
		s.Continuity = &domain.Continuity{TestEvery: domain.Semiannual, LastTest: &domain.DRTest{Date: "2026-04-01", Result: "pass"}}
		return s
	}
	c.Services = []domain.Service{overdue("Payroll", "lee"), overdue("Crm", "sam"), overdue("Intranet", "dana")}
	if _, err := st.Apply(ctx, c, "test", "test"); err != nil {
		t.Fatal(err)
	}
	at := utc("2026-11-27T09:00:00Z")
	now := func() time.Time { return at.Add(time.Hour) }
	eng := commands.New(st, commands.Options{Admins: []string{"U0ADMIN"}, Now: now, Logger: quietLogger()})
	eng.SetQuestions(questions.New(eng))
	s, err := New(Options{Store: st, Now: now, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	before, err := s.Preview(ctx, ContinuityTests, at)
	if err != nil {
		t.Fatal(err)
	}
	if diff := digestItems(before); len(diff["U0LEE"]) != 1 || len(diff["U0SAM"]) != 1 || len(diff["U0DANA"]) != 3 {
		t.Fatalf("before: %v", diff)
	}

	steps := []struct {
		caller commands.Caller
		text   string
		want   string // in the reply, or in the error
		ok     bool
	}{
		{commands.Caller{SlackUser: "U0SAM", Person: "sam"}, "dr payroll record pass", "Only Payroll's owner", false},
		{commands.Caller{SlackUser: "U0DANA", Person: "dana"}, "dr payroll record pass failover in 40 minutes", "Recorded a pass DR test on 2026-11-27", true},
		{commands.Caller{SlackUser: "U0ADMIN"}, "dr crm record partial", "Recorded a partial DR test", true},
		{commands.Caller{SlackUser: "U0LEE", Person: "lee"}, "dr crm record maybe", "not a DR test result", false},
	}
	for _, st := range steps {
		r, err := eng.Handle(ctx, st.caller, st.text)
		got := commands.PlainText(r)
		if err != nil {
			got, _ = commands.ErrorText(err)
		}
		if (err == nil && !r.Error) != st.ok || !strings.Contains(got, st.want) {
			t.Errorf("%s as %s: err %v, reply %q; want ok=%v and %q", st.text, st.caller.SlackUser, err, got, st.ok, st.want)
		}
	}

	after, err := s.Preview(ctx, ContinuityTests, at.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	got := digestItems(after)
	if len(got["U0LEE"]) != 0 || len(got["U0SAM"]) != 0 {
		t.Errorf("reminders after recording: %v", got)
	}
	if want := []string{"Intranet"}; strings.Join(got["U0DANA"], ",") != strings.Join(want, ",") {
		t.Errorf("dana's digest after recording: %v, want only her own %v", got["U0DANA"], want)
	}
	hist, err := st.History(ctx, "payroll", 5)
	if err != nil || len(hist) == 0 || hist[0].Action != "dr.record" || hist[0].Actor != "dana" {
		t.Errorf("audit trail: %+v, %v", hist, err)
	}
}
