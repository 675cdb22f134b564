package commands

import (
	"fmt"

	"github.com/itspm/itspm/domain"
)

// maxHomeButtons bounds the reminder buttons on the App Home.
const maxHomeButtons = 20

// homeContractWindow is how far ahead the App Home lists vendor contracts
// ending (the contract-renewals job's default window).
const homeContractWindow = 90

// dueForYou is the App Home's "Due for you": the reminders' buttons for
// the reviews, DR tests and roadmap items of list that are due (as
// upcoming lists them), and the vendor contracts ending within
// homeContractWindow days or ended, with a button to open the service.
func dueForYou(list []*domain.Service, today domain.Date) (contracts []string, actions []Action) {
	soon := func(d domain.Due) bool { return d.Overdue || d.Never || d.Days <= homeHorizon }
	for _, s := range list {
		if s.IsRetired() {
			continue
		}
		if d, ok := s.NextReview(today); ok && soon(d) {
			actions = append(actions, ReviewActions(s)...)
		}
		if d, ok := s.NextDRTest(today); ok && soon(d) {
			actions = append(actions, DRActions(s)...)
		}
		for _, it := range s.Roadmap {
			if it.Status != "done" && it.Due.Valid() && today.DaysUntil(it.Due) <= homeHorizon {
				actions = append(actions, RoadmapActions(s, it)...)
			}
		}
		open := false
		for _, vp := range s.VendorProducts {
			if vp.ContractEnds.Valid() && today.DaysUntil(vp.ContractEnds) <= homeContractWindow {
				contracts = append(contracts, fmt.Sprintf("Contract of %s: %s %s, ends %s", s.Label(), vp.Vendor, vp.Product, DateRel(vp.ContractEnds, today)))
				open = true
			}
		}
		if open {
			actions = append(actions, Action{Label: "Open service: " + s.Label(), Command: "service " + s.Name})
		}
	}
	if len(actions) > maxHomeButtons {
		actions = actions[:maxHomeButtons]
	}
	return contracts, actions
}
