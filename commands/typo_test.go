package commands_test

import (
	"context"
	"testing"

	"github.com/itspm/itspm/commands"
)

func TestWordTypos(t *testing.T) {
	tests := []struct {
		typed, title []string
		want         int
		ok           bool
	}{
		{[]string{"data", "warehuse"}, []string{"data", "warehouse"}, 1, true},
		{[]string{"dta", "warehuse"}, []string{"data", "warehouse"}, 2, true},
		{[]string{"vidoe", "conferensing"}, []string{"video", "conferencing"}, 2, true},
		{[]string{"vidoe", "conferensng"}, []string{"video", "conferencing"}, 3, true}, // 12 letters allow two
		{[]string{"vdieo", "conference"}, []string{"video", "conferencing"}, 0, false}, // "conference" is three off
		{[]string{"fix", "gateway"}, []string{"fax", "gateway"}, 0, false},             // no typo in three letters
		{[]string{"data"}, []string{"data", "warehouse"}, 0, false},
		{[]string{"core", "network"}, []string{"core", "network"}, 0, true},
	}
	for _, tc := range tests {
		got, ok := commands.WordTypos(tc.typed, tc.title)
		if got != tc.want || ok != tc.ok {
			t.Errorf("WordTypos(%q, %q) = %d, %v; want %d, %v", tc.typed, tc.title, got, ok, tc.want, tc.ok)
		}
	}
}

// Resolve matches multi-word titles word by word, each word with one typo
// per five letters (issue 12 item 5).
func TestResolveMisspeltTitles(t *testing.T) {
	_, st := sampleEngine(t, nil)
	snap, err := st.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ ref, want string }{
		{"data warehuse", "data-warehouse"},
		{"the data warehuse", "data-warehouse"},
		{"dta warehuse", "data-warehouse"},
		{"vidoe conferensing", "video-conferencing"},
		{"vidoe conferensng", "video-conferencing"},
		{"custmer portl", "customer-portal"},
		{"Identiy & Singel Sign-On", "identity"},
		{"payrol", "payroll"},
		{"quantum computer", ""},
		{"data house", ""},
	}
	for _, tc := range tests {
		s, err := commands.Resolve(snap, tc.ref)
		got := ""
		if err == nil {
			got = s.Name
		}
		if got != tc.want {
			t.Errorf("Resolve(%q) = %q (%v), want %q", tc.ref, got, err, tc.want)
		}
	}
}
