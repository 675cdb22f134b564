package jobs

import (
	"strings"
	"testing"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
)

// Contracts ending within the window or ended: one digest per owner, a
// copy to the portfolio manager; later ones and retired services are left
// out.
func TestContractMessages(t *testing.T) {
	c := basePeople()
	mk := func(name, owner string, ends domain.Date, stage domain.Stage) domain.Service {
		s := svc(name, owner, stage)
		s.VendorProducts = []domain.VendorProduct{{Vendor: "Acme", Product: name + "-suite", ContractEnds: ends, AnnualCost: 1000}}
		return s
	}
	c.Services = append(c.Services,
		mk("soon", "lee", today.AddDays(30), domain.StageOperate),
		mk("ended", "lee", today.AddDays(-3), domain.StageOperate),
		mk("edge", "lee", today.AddDays(90), domain.StageOperate),
		mk("later", "lee", today.AddDays(91), domain.StageOperate),
		mk("gone", "lee", today.AddDays(5), domain.StageRetirement),
	)
	msgs := ContractMessages(snapshotOf(c), today, 90)
	var lee, mgr string
	for _, m := range msgs {
		text := commands.PlainText(m.Reply)
		switch m.To {
		case slackUser(snapshotOf(c), "lee"):
			lee = text
		default:
			mgr = text
		}
	}
	for _, want := range []string{"soon-suite", "ENDED", "edge-suite", "Next: service ended | service soon | service edge", "3 contracts"} {
		if !strings.Contains(lee, want) {
			t.Errorf("owner's digest lacks %q:\n%s", want, lee)
		}
	}
	for _, not := range []string{"later-suite", "gone-suite"} {
		if strings.Contains(lee, not) {
			t.Errorf("owner's digest has %q", not)
		}
	}
	if len(msgs) != 2 || !strings.Contains(mgr, "In portfolios you manage (copy)") || !strings.Contains(mgr, "soon-suite") {
		t.Errorf("manager's copy:\n%s", mgr)
	}
	if len(ContractMessages(snapshotOf(c), today, 10)) == 0 {
		t.Error("a 10-day window drops the ended contract")
	}
}
