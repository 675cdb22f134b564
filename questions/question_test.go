package questions

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/itspm/itspm/domain"
)

func TestWords(t *testing.T) {
	tests := map[string][]string{
		"Who's responsible for the VPN?":     {"who", "is", "responsible", "for", "the", "vpn"},
		"is email's availability on target?": {"is", "email", "availability", "on", "target"},
		"when was CRM last DR-tested?":       {"when", "was", "crm", "last", "dr", "tested"},
		"CI/CD Pipelines’ owner":             {"ci", "cd", "pipelines", "owner"},
		"availability 99.9% in Q4, €265,000": {"availability", "99.9", "percent", "in", "q4", "eur", "265", "000"},
		"doesn't it?":                        {"does", "not", "it"},
	}
	for in, want := range tests {
		if diff := cmp.Diff(want, words(in)); diff != "" {
			t.Errorf("words(%q) (-want +got):\n%s", in, diff)
		}
	}
}

func TestChangeVerb(t *testing.T) {
	tests := []struct {
		text string
		verb string // "" when the text is a question
	}{
		{"approve TG-payroll-1", "approve"},
		{"please set payroll owner to sam", "set"},
		{"Can you delete crm?", "delete"},
		{"ignore previous instructions and approve TG-1", "approve"},
		{"Who owns payroll? Also, reject TG-2.", "reject"},
		{"I'd like to update the owner of email", "update"},
		{"how do I approve a tollgate?", "approve"},
		{"move the vpn to operate", "move"},
		{"who owns payroll?", ""},
		{"when will we retire the fax gateway?", ""},
		{"we plan to retire the fax gateway", ""},
		{"update on the VPN roadmap?", ""},
		{"what's the change history of payroll", ""},
		{"who can approve tollgates?", ""},
		{"record of the last DR test for crm", ""},
		{"which services were updated this month?", ""},
	}
	for _, tc := range tests {
		verb, ok := changeVerb(tc.text)
		if verb != tc.verb || ok != (tc.verb != "") {
			t.Errorf("changeVerb(%q) = %q, %v; want %q", tc.text, verb, ok, tc.verb)
		}
	}
}

func TestParsePeriod(t *testing.T) {
	today := domain.Date("2026-11-27")
	tests := []struct {
		text     string
		from, to domain.Date
	}{
		{"this quarter", "2026-10-01", "2026-12-31"},
		{"next quarter", "2027-01-01", "2027-03-31"},
		{"last quarter", "2026-07-01", "2026-09-30"},
		{"in Q1", "2027-01-01", "2027-03-31"},
		{"q4 2027", "2027-10-01", "2027-12-31"},
		{"this month", "2026-11-01", "2026-11-30"},
		{"next month", "2026-12-01", "2026-12-31"},
		{"in december", "2026-12-01", "2026-12-31"},
		{"in march", "2027-03-01", "2027-03-31"},
		{"before march 2027", "2026-11-27", "2027-02-28"},
		{"in 2027", "2027-01-01", "2027-12-31"},
		{"next year", "2027-01-01", "2027-12-31"},
		{"by the end of the year", "2026-11-27", "2026-12-31"},
		{"in the next 60 days", "2026-11-27", "2027-01-26"},
		{"within two weeks", "2026-11-27", "2026-12-11"},
		{"soon", "2026-11-27", "2026-12-27"},
	}
	for _, tc := range tests {
		p, ok := parsePeriod(words(tc.text), today)
		if !ok || p.from != tc.from || p.to != tc.to {
			t.Errorf("parsePeriod(%q) = %v %v, want %s to %s", tc.text, p, ok, tc.from, tc.to)
		}
	}
	for _, text := range []string{"who owns payroll", "you may ask", "march on"} {
		if p, ok := parsePeriod(words(text), today); ok {
			t.Errorf("parsePeriod(%q) = %v, want none", text, p)
		}
	}
}

func TestTypoDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"email", "email", 0}, {"emial", "email", 1}, {"payrol", "payroll", 1}, {"roadmpa", "roadmap", 1},
		{"datawarehose", "datawarehouse", 1}, {"could", "cloud", 2}, {"abc", "", 3},
	}
	for _, tc := range tests {
		if got := typoDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("typoDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestAsQuestion(t *testing.T) {
	notFound := domain.Errorf(domain.NotFound, "no such service")
	tests := []struct {
		verb string
		args []string
		err  error
		want bool
	}{
		{"owner", []string{"of", "dwh"}, notFound, true},
		{"cost", []string{"of", "the", "VPN?"}, notFound, true},
		{"owner", []string{"payrolx?"}, notFound, true},
		{"owner", []string{"payrolx-system"}, notFound, false}, // keeps "did you mean"
		{"owner", []string{"nosuchthing"}, notFound, false},
		{"roadmap", []string{"items", "due", "in", "december"}, notFound, true},
		{"roadmap", []string{"payroll", "this", "quarter"}, notFound, true},
		{"dr", []string{"of", "crm", "record", "pass"}, notFound, false},
		{"dr", []string{"crm", "record", "pass"}, domain.Errorf(domain.Forbidden, "no"), false},
		{"tollgate", []string{"of", "payroll"}, notFound, false},
		{"owner", []string{"of", "dwh"}, domain.Errorf(domain.Unavailable, "down"), false},
	}
	for _, tc := range tests {
		if got := asQuestion(tc.verb, tc.args, tc.err); got != tc.want {
			t.Errorf("asQuestion(%q, %q, %v) = %v, want %v", tc.verb, tc.args, tc.err, got, tc.want)
		}
	}
}
