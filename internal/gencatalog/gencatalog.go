// Package gencatalog generates large, valid, realistic catalogs for
// benchmarks and load tests (10,000 services in a second).
package gencatalog

import (
	"fmt"
	"math/rand/v2"

	"github.com/itspm/itspm/domain"
)

// Generate returns a valid catalog of n services (plus people, portfolios,
// boards and a tollgate for every stage transition), deterministic for a
// seed. Relative to today, about a tenth of the services have an overdue DR
// test, a review due, or a roadmap item due within two weeks.
func Generate(n int, seed uint64, today domain.Date) *domain.Catalog {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	c := &domain.Catalog{}
	people := max(10, n/50)
	for i := 0; i < people; i++ {
		c.People = append(c.People, domain.Person{Name: fmt.Sprintf("person-%d", i), PersonSpec: domain.PersonSpec{
			DisplayName: fmt.Sprintf("Person %d", i), Email: fmt.Sprintf("person%d@example.com", i), SlackUser: fmt.Sprintf("U%07d", i),
		}})
	}
	portfolios := 10
	for i := 0; i < portfolios; i++ {
		c.Portfolios = append(c.Portfolios, domain.Portfolio{Name: fmt.Sprintf("portfolio-%d", i), PortfolioSpec: domain.PortfolioSpec{
			Title: fmt.Sprintf("Portfolio %d", i), Manager: c.People[i].Name, Channel: fmt.Sprintf("C0PF%04d", i),
		}})
	}
	c.Boards = []domain.Board{{Name: "board", BoardSpec: domain.BoardSpec{Title: "Board", Members: []string{"person-0", "person-1", "person-2", "person-3"}, Channel: "C0BOARD"}}}
	for i := 1; i < len(domain.Stages); i++ {
		c.Tollgates = append(c.Tollgates, domain.Tollgate{Name: "tg-" + string(domain.Stages[i]), TollgateSpec: domain.TollgateSpec{
			From: domain.Stages[i-1], To: domain.Stages[i], Board: "board", Quorum: 2, Criteria: []string{"Reviewed"},
		}})
	}
	periods := domain.Periods
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("svc-%05d", i)
		s := domain.Service{Name: name, Title: fmt.Sprintf("Service %05d", i), Aliases: []string{fmt.Sprintf("s%05d", i)}, Tags: []string{"generated", fmt.Sprintf("group-%d", i%20)}}
		s.Description = fmt.Sprintf("Generated service number %d.", i)
		s.Owner = c.People[rng.IntN(people)].Name
		s.Portfolio = c.Portfolios[rng.IntN(portfolios)].Name
		s.Stage = domain.Stages[min(rng.IntN(8), 5)]
		if rng.IntN(3) > 0 {
			s.Stage = domain.StageOperate
		}
		s.Tier = 1 + rng.IntN(3)
		s.Channel = fmt.Sprintf("C0S%06d", i)
		for d := 0; d < 3 && i > 0; d++ {
			dep := fmt.Sprintf("svc-%05d", rng.IntN(i))
			if !contains(s.DependsOn, dep) {
				s.DependsOn = append(s.DependsOn, dep)
			}
		}
		lic := float64(1000 * (1 + rng.IntN(100)))
		s.Cost = &domain.Cost{Currency: "EUR", ChargingModel: domain.ChargingModels[rng.IntN(len(domain.ChargingModels))], UnitPrice: 4.5,
			TCO:       domain.TCO{Licenses: lic, Infrastructure: lic / 2, Labor: lic, Support: lic / 10},
			Recovered: lic * 2,
			Monthly: []domain.MonthCost{
				{Month: "2026-09", Budget: lic / 4, Actual: lic / 4 * (0.9 + rng.Float64()/5)},
				{Month: "2026-10", Budget: lic / 4, Actual: lic / 4 * (0.9 + rng.Float64()/5)},
			}}
		s.SLA = []domain.SLATarget{{KPI: "availability", Target: 99.9, Unit: "percent"}, {KPI: "p95-latency", Target: 800, Unit: "ms", BetterWhen: "lower"}}
		s.Performance = &domain.Performance{ReviewEvery: periods[rng.IntN(4)], LastReview: today.AddDays(-rng.IntN(400)),
			Measurements: []domain.Measurement{{KPI: "availability", Month: "2026-10", Value: 99.5 + rng.Float64()/2}, {KPI: "p95-latency", Month: "2026-10", Value: float64(500 + rng.IntN(500))}}}
		s.Roadmap = []domain.RoadmapItem{{Title: "Upgrade", Due: today.AddDays(rng.IntN(150) - 30), Status: domain.ItemStatuses[rng.IntN(4)], Cost: 5000}}
		s.Continuity = &domain.Continuity{RTO: "4h", RPO: "15m", Plan: "https://wiki.example.com/dr/" + name, TestEvery: periods[rng.IntN(4)],
			LastTest: &domain.DRTest{Date: today.AddDays(-rng.IntN(400)), Result: domain.DRResults[rng.IntN(3)]}}
		c.Services = append(c.Services, s)
	}
	return c
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
