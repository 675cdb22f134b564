package jobs

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
)

// ContractRenewals is the job of SPEC section 9.
const ContractRenewals = "contract-renewals"

// ContractWindow is how many days ahead a vendor contract's end is
// reminded of by default (ITSPM_CONTRACT_WINDOW_DAYS).
const ContractWindow = 90

// contractRenewalsJob is the job with its window in days.
func contractRenewalsJob(window int) Job {
	if window <= 0 {
		window = ContractWindow
	}
	return Job{Name: ContractRenewals, Schedule: "0 9 * * MON",
		Description: fmt.Sprintf("vendor contracts ending within %d days or ended: one digest per owner, copied to the portfolio manager", window),
		Collect: func(ctx context.Context, src Source, occ Occurrence) ([]Message, error) {
			snap, err := src.Snapshot(ctx)
			if err != nil {
				return nil, fmt.Errorf("read the catalog: %w", err)
			}
			return ContractMessages(snap, snapshotToday(occ), window), nil
		}}
}

// BuiltinWith is Builtin with the contract-renewals window set (days; 0:
// ContractWindow).
func BuiltinWith(contractWindow int) []Job {
	out := Builtin()
	for i := range out {
		if out[i].Name == ContractRenewals {
			out[i] = contractRenewalsJob(contractWindow)
		}
	}
	return out
}

type contractItem struct {
	svc  *domain.Service
	vp   domain.VendorProduct
	days int // until the end; negative when ended
}

// ContractMessages selects vendor contracts of services not in retirement
// that end within window days or have ended, and returns one digest per
// service owner and one per portfolio manager (of the contracts of their
// portfolios' services owned by others).
func ContractMessages(snap *domain.Snapshot, today domain.Date, window int) []Message {
	owned := map[string][]contractItem{}
	managed := map[string][]contractItem{}
	for _, name := range snap.ServiceNames() {
		s := snap.Services[name]
		if s.IsRetired() {
			continue
		}
		for _, vp := range s.VendorProducts {
			if !vp.ContractEnds.Valid() {
				continue
			}
			days := today.DaysUntil(vp.ContractEnds)
			if days > window {
				continue
			}
			it := contractItem{svc: s, vp: vp, days: days}
			if s.Owner != "" {
				owned[s.Owner] = append(owned[s.Owner], it)
			}
			if pf, ok := snap.Portfolios[s.Portfolio]; ok && pf.Manager != "" && pf.Manager != s.Owner {
				managed[pf.Manager] = append(managed[pf.Manager], it)
			}
		}
	}
	people := map[string]bool{}
	for p := range owned {
		people[p] = true
	}
	for p := range managed {
		people[p] = true
	}
	var out []Message
	for _, p := range sortedKeys(people) {
		out = append(out, Message{To: slackUser(snap, p), Reply: contractDigest(snap, today, window, owned[p], managed[p])})
	}
	return out
}

func contractDigest(snap *domain.Snapshot, today domain.Date, window int, owned, managed []contractItem) commands.Reply {
	bySoonest := func(l []contractItem) {
		sort.SliceStable(l, func(i, j int) bool { return l[i].days < l[j].days })
	}
	bySoonest(owned)
	bySoonest(managed)
	n := len(owned) + len(managed)
	r := commands.Reply{Title: "Vendor contracts to renew: " + plural(n, "contract", "contracts")}
	r.Text = fmt.Sprintf("These vendor contracts end within %d days or have ended. Decide whether to renew, renegotiate or exit, and put the decision on the service's roadmap.", window)
	var secs []commands.Section
	var actions []commands.Action
	seen := map[string]bool{}
	add := func(heading string, list []contractItem) {
		var lines []string
		for i, it := range list {
			if i == maxDigestItems {
				lines = append(lines, fmt.Sprintf("…and %d more", len(list)-i))
				break
			}
			when := "ends " + commands.DateRel(it.vp.ContractEnds, today)
			if it.days < 0 {
				when = "ENDED " + commands.DateRel(it.vp.ContractEnds, today)
			}
			l := fmt.Sprintf("%s: %s %s, %s", serviceHeading(it.svc), it.vp.Vendor, strings.TrimSpace(it.vp.Product), when)
			if it.vp.AnnualCost > 0 {
				cur := "EUR"
				if it.svc.Cost != nil && it.svc.Cost.Currency != "" {
					cur = it.svc.Cost.Currency
				}
				l += ", " + commands.Money(cur, it.vp.AnnualCost) + " a year"
			}
			if heading != "" {
				l += ", owner " + commands.Person(snap, it.svc.Owner)
			}
			lines = append(lines, l)
			if !seen[it.svc.Name] {
				seen[it.svc.Name] = true
				actions = append(actions, commands.Action{Label: "Open service: " + it.svc.Label(), Command: "service " + it.svc.Name})
			}
		}
		secs = append(secs, commands.Section{Heading: heading, Lines: lines})
	}
	var why []string
	if len(owned) > 0 {
		add("", owned)
		why = append(why, "you own these services")
	}
	if len(managed) > 0 {
		add("In portfolios you manage (copy)", managed)
		why = append(why, "you manage the portfolio of the others")
	}
	r.Sections = secs
	r.Actions = capItemActions(actions)
	r.Context = footer(ContractRenewals, today, "You get this because "+strings.Join(why, " and ")+"; it repeats weekly while a contract stays in the window.")
	return r
}
