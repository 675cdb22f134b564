package questions

import "github.com/itspm/itspm/domain"

// What the LLM's tools reuse of question understanding: the same words,
// stopwords and list conditions, so that both answer alike.

// Words is text as the normalised words the parser reads.
func Words(s string) []string { return words(s) }

// Phrase is text as its normalised words joined by single spaces.
func Phrase(s string) string { return phrase(s) }

// IsStopword reports whether w carries no meaning of its own ("the", "of").
func IsStopword(w string) bool { return stopwords[w] }

// ListFilter is the part of a list question's conditions that a caller
// other than the parser sets (the LLM's list tool): AND across kinds, OR
// within one; zero values match every service.
type ListFilter struct {
	Owners, Portfolios, Vendors []string // catalog names
	Stages                      []domain.Stage
	Tiers                       []int
	OverdueDR, OverdueReview    bool
	OverBudget, MissedSLA       bool
}

// Keep reports whether s meets f on today, with the details that show
// why (as the parser's list answers give them).
func (f ListFilter) Keep(snap *domain.Snapshot, s *domain.Service, today domain.Date) (bool, []string) {
	return keepService(snap, listFilters{
		owners: f.Owners, pfs: f.Portfolios, vendors: f.Vendors, stages: f.Stages, tiers: f.Tiers,
		overdueDR: f.OverdueDR, overdueReview: f.OverdueReview, overBudget: f.OverBudget, missedSLA: f.MissedSLA,
	}, s, today)
}
