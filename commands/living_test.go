package commands_test

import (
	"bytes"
	"context"
	"github.com/itspm/itspm/commands"
	"strings"
	"testing"

	"github.com/itspm/itspm/catalog"
	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/storage/storetest"
)

// Each write command, typed by the owner, changes exactly what it says
// (and shows in the read commands); bad input and other people change
// nothing and say why.
func TestLivingDataCommands(t *testing.T) {
	ctx := context.Background()
	lee := commands.Caller{SlackUser: "U0LEE", Source: "test"}   // owns payroll
	dana := commands.Caller{SlackUser: "U0DANA", Source: "test"} // manages workplace
	omar := commands.Caller{SlackUser: "U0OMAR", Source: "test"} // neither
	tests := []struct {
		name    string
		who     commands.Caller
		text    string
		want    string                         // in the reply
		check   func(s *domain.Service) string // "" when the change is right
		read    string                         // a read command that must show it
		readHas string
	}{
		{name: "review", who: lee, text: "review payroll done numbers discussed", want: "Reviewed on 2026-11-27",
			check: func(s *domain.Service) string {
				return expect(string(s.Performance.LastReview), "2026-11-27")
			}, read: "performance payroll", readHas: "2027-02-27"},
		{name: "measure default month", who: lee, text: "measure payroll availability 99.99", want: "availability in 2026-10: 99.99",
			check: func(s *domain.Service) string {
				return expect(measured(s, "availability", "2026-10"), "99.99")
			}, read: "performance payroll", readHas: "availability: 99.99 % in 2026-10"},
		{name: "measure new month, KPI case", who: dana, text: "measure Payroll P95-Latency 750 2026-11", want: "meets the target",
			check: func(s *domain.Service) string {
				return expect(measured(s, "p95-latency", "2026-11"), "750")
			}, read: "performance payroll", readHas: "750 ms in 2026-11"},
		{name: "actual with budget", who: lee, text: "actual payroll 2026-11 24000 budget 22000", want: "over",
			check: func(s *domain.Service) string {
				for _, m := range s.Cost.Monthly {
					if m.Month == "2026-11" {
						return expect(commands.Number(m.Actual)+"/"+commands.Number(m.Budget), "24000/22000")
					}
				}
				return "no 2026-11 row"
			}, read: "cost payroll", readHas: "2026-11"},
		{name: "actual keeps budget", who: lee, text: "actual payroll 2026-10 21000", want: "under",
			check: func(s *domain.Service) string {
				for _, m := range s.Cost.Monthly {
					if m.Month == "2026-10" {
						return expect(commands.Number(m.Actual)+"/"+commands.Number(m.Budget), "21000/22000")
					}
				}
				return "no 2026-10 row"
			}},
		{name: "roadmap done by number", who: lee, text: "roadmap payroll done 1", want: "Year-end 2026 tax reporting changes",
			check: func(s *domain.Service) string {
				return expect(s.Roadmap[1].Status, "done")
			}, read: "roadmap payroll", readHas: "Year-end 2026 tax reporting changes [done]"},
		{name: "roadmap postpone by words", who: lee, text: "roadmap payroll postpone self-service 2027-01-15", want: "now due",
			check: func(s *domain.Service) string {
				return expect(string(s.Roadmap[0].Due), "2027-01-15")
			}},
		{name: "improve add", who: lee, text: "improve payroll add Automate payslip checks due 2027-03-31", want: "Added improvement 2",
			check: func(s *domain.Service) string {
				return expect(s.Improvements[1].Title+"|"+string(s.Improvements[1].Due)+"|"+s.Improvements[1].Owner, "Automate payslip checks|2027-03-31|lee")
			}, read: "improve payroll", readHas: "2. Automate payslip checks [planned]"},
		{name: "improve done", who: lee, text: "improve payroll 1 done", want: "is done",
			check: func(s *domain.Service) string {
				return expect(s.Improvements[0].Status, "done")
			}},
		{name: "dr record", who: lee, text: "dr payroll record partial failover slow", want: "Recorded a partial DR test",
			check: func(s *domain.Service) string {
				return expect(s.Continuity.LastTest.Result+"|"+s.Continuity.LastTest.Notes, "partial|failover slow")
			}},

		// Refusals: nothing changes.
		{name: "unknown KPI", who: lee, text: "measure payroll uptime 99", want: "its KPIs are `availability` or `p95-latency`"},
		{name: "not a number", who: lee, text: "measure payroll availability high", want: `"high" is not a number`},
		{name: "future month", who: lee, text: "measure payroll availability 99 2027-01", want: "2027-01 is in the future"},
		{name: "bad month", who: lee, text: "actual payroll 2026-13 100", want: `"2026-13" is not a month`},
		{name: "negative amount", who: lee, text: "actual payroll 2026-10 -5", want: "can't be negative"},
		{name: "negative budget", who: lee, text: "actual payroll 2026-10 5 budget -1", want: "can't be negative"},
		{name: "unknown roadmap item", who: lee, text: "roadmap payroll done blockchain", want: "1. Year-end 2026 tax reporting changes; 2. Self-service payslips; 3. Contract renewal"},
		{name: "roadmap item number", who: lee, text: "roadmap payroll done 9", want: "no roadmap item 9"},
		{name: "bad date", who: lee, text: "roadmap payroll postpone 1 2026-02-30", want: `"2026-02-30" is not a date`},
		{name: "past date", who: lee, text: "roadmap payroll postpone 1 2026-01-05", want: "in the past"},
		{name: "improve bad number", who: lee, text: "improve payroll 7 done", want: "no improvement 7"},
		{name: "improve bad due", who: lee, text: "improve payroll add Thing due soon", want: `"soon" is not a date`},
		{name: "review without done", who: lee, text: "review payroll", want: "add `done`"},
		{name: "non-owner review", who: omar, text: "review payroll done", want: "Only Payroll's owner"},
		{name: "non-owner measure", who: omar, text: "measure payroll availability 99.9", want: "Only Payroll's owner"},
		{name: "non-owner actual", who: omar, text: "actual payroll 2026-10 1", want: "Only Payroll's owner"},
		{name: "non-owner roadmap", who: omar, text: "roadmap payroll done 1", want: "Only Payroll's owner"},
		{name: "non-owner improve", who: omar, text: "improve payroll add x", want: "Only Payroll's owner"},
		{name: "unknown service", who: lee, text: "measure payrolx availability 1", want: "payroll"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, st := sampleEngine(t, nil)
			before, _ := st.History(ctx, "payroll", 0)
			rep, err := e.Handle(ctx, tc.who, tc.text)
			text := commands.PlainText(rep)
			if err != nil {
				text, _ = commands.ErrorText(err)
			}
			if !strings.Contains(text, tc.want) {
				t.Fatalf("%q answered %q, want %q", tc.text, text, tc.want)
			}
			snap, err2 := st.Snapshot(ctx)
			if err2 != nil {
				t.Fatal(err2)
			}
			after, _ := st.History(ctx, "payroll", 0)
			if tc.check == nil {
				if err == nil && !rep.Error {
					t.Fatalf("%q succeeded, want a refusal", tc.text)
				}
				if len(after) != len(before) {
					t.Fatalf("%q refused but the trail grew from %d to %d", tc.text, len(before), len(after))
				}
				return
			}
			if err != nil {
				t.Fatalf("%q: %v", tc.text, err)
			}
			if msg := tc.check(snap.Services["payroll"]); msg != "" {
				t.Fatalf("%q: %s", tc.text, msg)
			}
			if len(after) != len(before)+1 || len(after[0].Changes) == 0 {
				t.Fatalf("%q: trail %d → %d, newest %+v; want one entry with before/after", tc.text, len(before), len(after), after[0])
			}
			for _, c := range after[0].Changes {
				if c.Before == c.After {
					t.Errorf("change %+v has equal before and after", c)
				}
			}
			if tc.read != "" {
				r, err := e.Handle(ctx, tc.who, tc.read)
				if err != nil || !strings.Contains(commands.PlainText(r), tc.readHas) {
					t.Fatalf("%q after %q = %q (%v), want %q", tc.read, tc.text, commands.PlainText(r), err, tc.readHas)
				}
			}
			roundTrip(t, snap)
		})
	}
}

// roundTrip checks that the exported catalog validates and that importing
// it into an empty store exports the same bytes.
func roundTrip(t *testing.T, snap *domain.Snapshot) {
	t.Helper()
	ctx := context.Background()
	var first bytes.Buffer
	if err := catalog.Export(&first, snap.Catalog()); err != nil {
		t.Fatal(err)
	}
	set, errs := catalog.Parse([]catalog.File{{Path: "export.yaml", Data: first.Bytes()}})
	if err := errs.Err(); err != nil {
		t.Fatalf("export does not import: %v", err)
	}
	st := storetest.New(t)
	if _, err := st.Apply(ctx, &set.Catalog, "test", "export"); err != nil {
		t.Fatal(err)
	}
	again, err := st.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var second bytes.Buffer
	if err := catalog.Export(&second, again.Catalog()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Bytes(), second.Bytes()) {
		t.Fatal("export → import → export differs")
	}
}

func expect(got, want string) string {
	if got != want {
		return "got " + got + ", want " + want
	}
	return ""
}

func measured(s *domain.Service, kpi string, month domain.Month) string {
	for _, m := range s.Performance.Measurements {
		if m.KPI == kpi && m.Month == month {
			return commands.Number(m.Value)
		}
	}
	return "none"
}

// The App Home's "Due for you" carries the reminders' buttons.
func TestHomeDueForYou(t *testing.T) {
	e, _ := sampleEngine(t, nil)
	r, err := e.Home(context.Background(), commands.Caller{SlackUser: "U0LEE"})
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, a := range r.Actions {
		if commands.IsItemAction(a.ID) {
			it, err := commands.ParseItem(a.Value)
			if err != nil {
				t.Fatalf("home button %+v: %v", a, err)
			}
			found[a.ID+" "+it.Service] = true
		}
	}
	for _, want := range []string{commands.ActionRecordDR + " payroll", commands.ActionRoadmapDone + " payroll", commands.ActionRoadmapPostpone + " payroll"} {
		if !found[want] {
			t.Errorf("home lacks %s; has %v", want, found)
		}
	}
	has := false
	for _, s := range r.Sections {
		has = has || s.Heading == "Due for you"
	}
	if !has {
		t.Error("no Due for you section")
	}
}
