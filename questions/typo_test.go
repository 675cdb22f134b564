package questions

import (
	"context"
	"testing"
)

// The entity finder matches multi-word titles word by word, each word
// within one typo per five letters, even when a word of the title is a
// word of the question language ("data") (issue 12 item 5).
func TestScanMisspeltTitles(t *testing.T) {
	_, st := sampleEngine(t, nil)
	snap, err := st.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	x := newEntityIndex(snap)
	tests := []struct{ q, want string }{
		{"who owns the data warehuse?", "data-warehouse"},
		{"who owns the dta warehuse?", "data-warehouse"},
		{"who owns vidoe conferensing?", "video-conferencing"},
		{"what does the vidoe conferensng cost", "video-conferencing"},
		{"is the custmer portl live", "customer-portal"},
		{"who runs the identiy and singel sign on", "identity"},
		{"when is the next dr test for the datacentre hostng", "datacenter-hosting"},
		{"who owns the quantum computer", ""},
		{"which services need more data", ""},
	}
	for _, tc := range tests {
		got := ""
		for _, m := range x.scan(words(tc.q)) {
			if m.kind == kService && !m.weak {
				got = m.name
				break
			}
		}
		if got != tc.want {
			t.Errorf("%q names service %q, want %q", tc.q, got, tc.want)
		}
	}
}
