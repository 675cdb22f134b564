package jobs

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/itspm/itspm/domain"
)

// Reminders about a service owned by a team go to the team's channel when
// it has one, otherwise to each member; a portfolio manager who is on the
// owning team is not copied a second time.
func TestTeamOwnerReminders(t *testing.T) {
	today := domain.Date("2026-11-27")
	svc := func(name, owner string) domain.Service {
		return domain.Service{Name: name, ServiceSpec: domain.ServiceSpec{Owner: owner, Portfolio: "pf", Stage: domain.StageOperate,
			Roadmap:    []domain.RoadmapItem{{Title: "Upgrade", Due: today.AddDays(3), Status: "planned"}},
			Continuity: &domain.Continuity{TestEvery: domain.Period("annual"), LastTest: &domain.DRTest{Date: today.AddDays(-400), Result: "pass"}},
		}}
	}
	cat := &domain.Catalog{
		People: []domain.Person{
			{Name: "ann", PersonSpec: domain.PersonSpec{SlackUser: "U0ANN"}},
			{Name: "bob", PersonSpec: domain.PersonSpec{SlackUser: "U0BOB"}},
			{Name: "cy", PersonSpec: domain.PersonSpec{SlackUser: "U0CY"}},
		},
		Portfolios: []domain.Portfolio{{Name: "pf", PortfolioSpec: domain.PortfolioSpec{Manager: "ann"}}},
		Boards: []domain.Board{
			{Name: "loud", BoardSpec: domain.BoardSpec{Members: []string{"ann", "bob"}, Channel: "C0LOUD"}},
			{Name: "quiet", BoardSpec: domain.BoardSpec{Members: []string{"ann", "bob"}}},
		},
		Services: []domain.Service{svc("a-svc", "loud"), svc("b-svc", "quiet"), svc("c-svc", "cy")},
	}
	snap := domain.NewSnapshot(cat)
	to := func(ms []Message) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.To)
		}
		return out
	}
	if diff := cmp.Diff([]string{"U0ANN", "U0BOB", "U0CY", "C0LOUD"}, to(RoadmapMessages(snap, today))); diff != "" {
		t.Errorf("roadmap reminders to (-want +got):\n%s", diff)
	}
	// ann manages pf and is on both teams: her digest has the quiet team's
	// test as an owner and cy's overdue one as the manager, but not the
	// loud team's, which is hers as an owner and goes to its channel.
	cont := ContinuityMessages(snap, today)
	if diff := cmp.Diff([]string{"U0ANN", "U0BOB", "U0CY", "C0LOUD"}, to(cont)); diff != "" {
		t.Errorf("continuity reminders to (-want +got):\n%s", diff)
	}
	ann := fmt.Sprint(cont[0].Reply)
	if !strings.Contains(ann, "b-svc") || !strings.Contains(ann, "c-svc") || strings.Contains(ann, "a-svc") {
		t.Errorf("ann's continuity digest: %s", ann)
	}
}
