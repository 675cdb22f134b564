package questions

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/storage"
	"github.com/itspm/itspm/storage/storetest"
)

// The filter evaluation runs on a catalog generated for it (not the
// sample the parser was written against): 40 services with realistic,
// distinct titles and every field a person filters by drawn from a fixed
// seed, as of filterToday.

var filterToday = domain.Date("2026-11-27")

var filterTitles = []string{
	"Billing Engine", "Claims Processing", "Customer Portal", "Data Lake", "Document Archive", "Field Service App",
	"Fleet Tracking", "General Ledger", "Helpdesk Chat", "Identity Broker", "Inventory Control", "Knowledge Base",
	"Loyalty Program", "Mail Relay", "Meeting Rooms", "Mobile Banking", "Network Access Control", "Order Management",
	"Partner Extranet", "Patch Management", "Payment Switch", "Pricing Engine", "Print Fleet", "Procurement Hub",
	"Quality Reporting", "Recruiting Suite", "Risk Analytics", "Sales Forecasting", "Secrets Vault", "Shipping Labels",
	"Single Ledger Bridge", "Spend Analytics", "Store Kiosks", "Supplier Portal", "Tax Engine", "Time Tracking",
	"Travel Booking", "Treasury Management", "Warehouse Robotics", "Web Analytics",
}

var filterPeople = [][3]string{
	{"ana", "Ana Silva", "U1ANA"}, {"ben", "Ben Okafor", "U1BEN"}, {"chloe", "Chloe Martin", "U1CHLOE"},
	{"dev", "Dev Sharma", "U1DEV"}, {"elena", "Elena Petrova", "U1ELENA"}, {"felix", "Felix Braun", "U1FELIX"},
	{"grace", "Grace Liu", "U1GRACE"}, {"hugo", "Hugo Moreau", "U1HUGO"},
}

var filterPortfolios = [][3]string{
	{"infrastructure", "Infrastructure", "ana"}, {"workplace", "Workplace", "ben"}, {"finance-apps", "Finance Applications", "chloe"},
	{"customer", "Customer Channels", "dev"}, {"security", "Security", "elena"},
}

var filterVendors = [][2]string{
	{"SAP", "S/4HANA"}, {"Microsoft", "Azure SQL Database"}, {"Oracle", "Database Enterprise Edition"}, {"Salesforce", "Service Cloud"},
	{"Atlassian", "Jira Service Management"}, {"ServiceNow", "ITSM Pro"}, {"Cisco", "Identity Services Engine"}, {"Stripe", "Payments"},
	{"Zendesk", "Suite Professional"}, {"Workday", "Recruiting"},
}

var filterTags = []string{"regulated", "legacy", "customer-facing", "internal", "analytics"}

// filterCatalog is the generated catalog; the same for every run.
func filterCatalog() *domain.Catalog {
	rng := rand.New(rand.NewPCG(17, 2026))
	c := &domain.Catalog{}
	for _, p := range filterPeople {
		c.People = append(c.People, domain.Person{Name: p[0], PersonSpec: domain.PersonSpec{DisplayName: p[1], Email: p[0] + "@example.com", SlackUser: p[2]}})
	}
	for i, p := range filterPortfolios {
		c.Portfolios = append(c.Portfolios, domain.Portfolio{Name: p[0], PortfolioSpec: domain.PortfolioSpec{Title: p[1], Manager: p[2], Channel: fmt.Sprintf("C1PF%d", i)}})
	}
	c.Boards = []domain.Board{
		{Name: "architecture-board", BoardSpec: domain.BoardSpec{Title: "Architecture Board", Members: []string{"ana", "chloe", "grace"}, Channel: "C1ARCH"}},
		{Name: "change-advisory-board", BoardSpec: domain.BoardSpec{Title: "Change Advisory Board", Members: []string{"ben", "dev", "hugo"}, Channel: "C1CAB"}},
		{Name: "operations-council", BoardSpec: domain.BoardSpec{Title: "Operations Council", Members: []string{"elena", "felix", "ana"}, Channel: "C1OPS"}},
	}
	gateBoard := map[domain.Stage]string{domain.StageDesign: "architecture-board", domain.StageTransition: "architecture-board",
		domain.StageOperate: "change-advisory-board", domain.StageImprove: "operations-council", domain.StageRetirement: "operations-council"}
	for i := 1; i < len(domain.Stages); i++ {
		to := domain.Stages[i]
		c.Tollgates = append(c.Tollgates, domain.Tollgate{Name: "tg-" + string(to), TollgateSpec: domain.TollgateSpec{
			From: domain.Stages[i-1], To: to, Board: gateBoard[to], Quorum: 2, Criteria: []string{"Reviewed"}}})
	}
	rtos := []string{"30m", "1h", "2h", "4h", "8h", "24h", "72h"}
	rpos := []string{"5m", "15m", "1h", "4h", "24h"}
	avail := []float64{99, 99.5, 99.9, 99.95}
	for i, title := range filterTitles {
		name := strings.ReplaceAll(strings.ToLower(title), " ", "-")
		s := domain.Service{Name: name, Title: title}
		s.Description = "The " + title + " service."
		s.Owner = filterPeople[rng.IntN(len(filterPeople))][0]
		s.Portfolio = filterPortfolios[rng.IntN(len(filterPortfolios))][0]
		s.Stage = domain.Stages[rng.IntN(len(domain.Stages))]
		if rng.IntN(2) == 0 {
			s.Stage = domain.StageOperate
		}
		s.Tier = 1 + rng.IntN(3)
		s.Channel = fmt.Sprintf("C1S%03d", i)
		for _, tg := range filterTags {
			if rng.IntN(4) == 0 {
				s.Tags = append(s.Tags, tg)
			}
		}
		for v := rng.IntN(3); v > 0; v-- {
			vp := filterVendors[rng.IntN(len(filterVendors))]
			if len(s.VendorProducts) > 0 && s.VendorProducts[0].Vendor == vp[0] {
				continue
			}
			s.VendorProducts = append(s.VendorProducts, domain.VendorProduct{Vendor: vp[0], Product: vp[1],
				ContractEnds: filterToday.AddDays(rng.IntN(760) - 60), AnnualCost: float64(5000 * (1 + rng.IntN(60)))})
		}
		lic := float64(1000 * (5 + rng.IntN(400)))
		infra := float64(1000 * rng.IntN(300))
		labor := float64(1000 * (10 + rng.IntN(500)))
		support := float64(1000 * rng.IntN(60))
		tco := lic + infra + labor + support
		months := []domain.MonthCost{}
		for _, m := range []domain.Month{"2026-09", "2026-10"} {
			b := float64(100 * int(tco/12/100))
			a := float64(100 * int(b*(0.85+rng.Float64()*0.4)/100))
			months = append(months, domain.MonthCost{Month: m, Budget: b, Actual: a})
		}
		prices := []float64{0, 0.05, 1.2, 2.5, 4.5, 9, 12, 25}
		s.Cost = &domain.Cost{Currency: "EUR", ChargingModel: domain.ChargingModels[rng.IntN(len(domain.ChargingModels))],
			UnitPrice: prices[rng.IntN(len(prices))], TCO: domain.TCO{Licenses: lic, Infrastructure: infra, Labor: labor, Support: support},
			Recovered: float64(1000 * int(tco*rng.Float64()*1.2/1000)), Monthly: months}
		target := avail[rng.IntN(len(avail))]
		s.SLA = []domain.SLATarget{{KPI: "availability", Target: target, Unit: "percent"}}
		meas := []domain.Measurement{{KPI: "availability", Month: "2026-10", Value: float64(9880+rng.IntN(120)) / 100}}
		if rng.IntN(2) == 0 {
			lat := float64(100 * (2 + rng.IntN(19)))
			s.SLA = append(s.SLA, domain.SLATarget{KPI: "p95-latency", Target: lat, Unit: "ms", BetterWhen: "lower"})
			meas = append(meas, domain.Measurement{KPI: "p95-latency", Month: "2026-10", Value: float64(50 * (3 + rng.IntN(50)))})
		}
		if rng.IntN(5) == 0 {
			s.SLA = append(s.SLA, domain.SLATarget{KPI: "ticket-backlog", Target: float64(20 + rng.IntN(80)), Unit: "tickets", BetterWhen: "lower"})
		}
		s.Performance = &domain.Performance{ReviewEvery: domain.Periods[rng.IntN(4)], LastReview: filterToday.AddDays(-rng.IntN(400)), Measurements: meas}
		for r := rng.IntN(3); r > 0; r-- {
			s.Roadmap = append(s.Roadmap, domain.RoadmapItem{Title: fmt.Sprintf("%s step %d", title, r), Due: filterToday.AddDays(rng.IntN(300) - 60),
				Status: domain.ItemStatuses[rng.IntN(len(domain.ItemStatuses))], Cost: float64(1000 * rng.IntN(80))})
		}
		if rng.IntN(8) > 0 {
			s.Continuity = &domain.Continuity{RTO: rtos[rng.IntN(len(rtos))], RPO: rpos[rng.IntN(len(rpos))], Plan: "https://wiki.example.com/dr/" + name,
				TestEvery: domain.Periods[rng.IntN(4)]}
			if rng.IntN(6) > 0 {
				s.Continuity.LastTest = &domain.DRTest{Date: filterToday.AddDays(-rng.IntN(400)), Result: domain.DRResults[rng.IntN(3)]}
			}
		}
		c.Services = append(c.Services, s)
	}
	return c
}

// filterEngine is an engine over the generated catalog, today =
// filterToday, answering with the built-in parser.
func filterEngine(t *testing.T) (*commands.Engine, *storage.Store, *domain.Snapshot) {
	t.Helper()
	st := storetest.New(t)
	ctx := context.Background()
	if _, err := st.Apply(ctx, filterCatalog(), "test", "generated"); err != nil {
		t.Fatalf("import generated catalog: %v", err)
	}
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	e := commands.New(st, commands.Options{Now: func() time.Time { return now }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Admins: []string{"U1ANA"}})
	e.SetQuestions(New(e))
	snap, err := st.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return e, st, snap
}
