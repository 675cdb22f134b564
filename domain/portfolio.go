package domain

import (
	"sort"
)

// PortfolioView is what `portfolio <name>` shows: the services by stage,
// money summed per currency (a catalog may mix currencies, which are never
// added together), budget against actual by month, contracts ending soon
// and open tollgates. Unlike the metrics it includes services in
// retirement: they still cost money until they are gone.
type PortfolioView struct {
	Portfolio *Portfolio
	ByStage   []StageServices
	Services  int
	Retired   int
	Money     []CurrencyTotals // largest TCO first
	Contracts []ContractEnd    // ending within the window, soonest first
	Open      []TollgateRequest
}

// StageServices are the services of one stage, sorted by name.
type StageServices struct {
	Stage    Stage
	Services []string
}

// CurrencyTotals are the portfolio's sums in one currency.
type CurrencyTotals struct {
	Currency  string
	TCO       float64
	Recovered float64
	Months    []MonthCost // summed per month, oldest first, the last BudgetMonths months
	// NoActual counts service-months with a budget but no actual yet; their
	// budget is in Budget and nothing in Actual.
	NoActual int
}

// Recovery is Recovered / TCO (ok false without TCO).
func (c CurrencyTotals) Recovery() (float64, bool) {
	if c.TCO == 0 {
		return 0, false
	}
	return c.Recovered / c.TCO, true
}

// ContractEnd is a vendor contract ending soon.
type ContractEnd struct {
	Service string
	VendorProduct
	Days int // from today
}

// ContractsEnding lists the contracts of the services ending between today
// and today+window days (both included), soonest first.
func ContractsEnding(svcs []*Service, today Date, window int) []ContractEnd {
	if window <= 0 {
		window = DefaultContractWindowDays
	}
	until := today.AddDays(window)
	var out []ContractEnd
	for _, s := range svcs {
		for _, v := range s.VendorProducts {
			if v.ContractEnds.Valid() && !v.ContractEnds.Before(today) && !until.Before(v.ContractEnds) {
				out = append(out, ContractEnd{Service: s.Name, VendorProduct: v, Days: today.DaysUntil(v.ContractEnds)})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].ContractEnds != out[j].ContractEnds {
			return out[i].ContractEnds < out[j].ContractEnds
		}
		return out[i].Service < out[j].Service
	})
	return out
}

// ViewPortfolio builds the view of portfolio name. open are the open
// tollgate requests (of any service; those of the portfolio are kept).
func ViewPortfolio(snap *Snapshot, name string, today Date, window int, open []TollgateRequest) PortfolioView {
	v := PortfolioView{Portfolio: snap.Portfolios[name]}
	var svcs []*Service
	byStage := map[Stage][]string{}
	for _, n := range snap.ServiceNames() {
		s := snap.Services[n]
		if s.Portfolio != name {
			continue
		}
		svcs = append(svcs, s)
		v.Services++
		if s.IsRetired() {
			v.Retired++
		}
		byStage[s.Stage] = append(byStage[s.Stage], s.Name)
	}
	for _, st := range Stages {
		if len(byStage[st]) > 0 {
			v.ByStage = append(v.ByStage, StageServices{Stage: st, Services: byStage[st]})
		}
		delete(byStage, st)
	}
	for _, st := range sortedKeys(byStageString(byStage)) { // stages not in the lifecycle (unset)
		v.ByStage = append(v.ByStage, StageServices{Stage: Stage(st), Services: byStage[Stage(st)]})
	}
	v.Money = SumCosts(svcs, today)
	v.Contracts = ContractsEnding(svcs, today, window)
	for _, r := range open {
		if s, ok := snap.Services[r.Service]; ok && s.Portfolio == name {
			v.Open = append(v.Open, r)
		}
	}
	sort.SliceStable(v.Open, func(i, j int) bool { return v.Open[i].OpenedAt.Before(v.Open[j].OpenedAt) })
	return v
}

func byStageString(m map[Stage][]string) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[string(k)] = true
	}
	return out
}

// SumCosts sums TCO, recovery and the months of the last BudgetMonths
// (through today's month) per currency, the currency with the largest TCO
// first (ties by name). Services without a currency count as "".
func SumCosts(svcs []*Service, today Date) []CurrencyTotals {
	from := MonthOf(today.AddMonths(-(BudgetMonths - 1)))
	to := MonthOf(today)
	byCur := map[string]*CurrencyTotals{}
	months := map[string]map[Month]*MonthCost{}
	for _, s := range svcs {
		if s.Cost == nil {
			continue
		}
		cur := s.Cost.Currency
		t, ok := byCur[cur]
		if !ok {
			t = &CurrencyTotals{Currency: cur}
			byCur[cur] = t
			months[cur] = map[Month]*MonthCost{}
		}
		t.TCO += s.Cost.TCO.Total()
		t.Recovered += s.Cost.Recovered
		for _, mc := range s.Cost.Monthly {
			if mc.Month < from || mc.Month > to {
				continue
			}
			sum, ok := months[cur][mc.Month]
			if !ok {
				sum = &MonthCost{Month: mc.Month}
				months[cur][mc.Month] = sum
			}
			sum.Budget += mc.Budget
			sum.Actual += mc.Actual
			if mc.Actual == 0 && mc.Budget > 0 {
				t.NoActual++
			}
		}
	}
	var out []CurrencyTotals
	for cur, t := range byCur {
		for _, m := range months[cur] {
			t.Months = append(t.Months, *m)
		}
		sort.Slice(t.Months, func(i, j int) bool { return t.Months[i].Month < t.Months[j].Month })
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].TCO != out[j].TCO {
			return out[i].TCO > out[j].TCO
		}
		return out[i].Currency < out[j].Currency
	})
	return out
}
