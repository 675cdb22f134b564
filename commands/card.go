package commands

import (
	"fmt"

	"github.com/itspm/itspm/domain"
)

// cardExtras are the service card's sections beyond the basics: why the
// service exists (its strategy), the vendor products it runs on with their
// contract ends, and its open improvements.
func cardExtras(snap *domain.Snapshot, s *domain.Service, today domain.Date) []Section {
	var secs []Section
	if st := s.Strategy; st != nil && (st.Why != "" || st.AvailableFrom != "") {
		sec := Section{Heading: "Strategy", Text: st.Why}
		if st.AvailableFrom != "" {
			word := "Available since"
			if today.Before(st.AvailableFrom) {
				word = "Planned to be available from"
			}
			sec.Fields = []Field{{word, string(st.AvailableFrom)}}
		}
		secs = append(secs, sec)
	}
	if len(s.VendorProducts) > 0 {
		var lines []string
		for _, v := range s.VendorProducts {
			l := vendorText(v)
			if v.ContractEnds != "" {
				l += ", contract ends " + DateRel(v.ContractEnds, today)
			}
			lines = append(lines, l)
		}
		secs = append(secs, Section{Heading: "Vendor products", Lines: lines})
	}
	var open []string
	for _, it := range s.Improvements {
		if it.Status == "done" {
			continue
		}
		l := it.Title
		if it.Status != "" {
			l += " [" + it.Status + "]"
		}
		if it.Due != "" {
			l += ", due " + DateRel(it.Due, today)
		}
		if it.Owner != "" {
			l += ", " + Person(snap, it.Owner)
		}
		open = append(open, l)
	}
	if len(open) > 0 {
		secs = append(secs, Section{Heading: fmt.Sprintf("Open improvements (%d)", len(open)), Lines: open})
	}
	return secs
}
