package questions

import (
	"context"
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/itspm/itspm/commands"
)

// lineItem is what a section line lists: its words up to the first
// separator ("Analytics & BI (analytics): operate, …" → "Analytics & BI").
func lineItem(l string) string {
	l = commands.ReplaceMentions(l, nil, commands.PlainMention)
	cut := len(l)
	for _, sep := range []string{" (", ": ", "; ", ", ", " for ", " — ", " [", " · ", " ≥ ", " ≤ "} {
		if i := strings.Index(l, sep); i >= 0 && i < cut {
			cut = i
		}
	}
	return strings.TrimSpace(l[:cut])
}

// repeatedItems are the items of r's section lines that its text names too.
func repeatedItems(r commands.Reply) []string {
	text := strings.ToLower(commands.ReplaceMentions(r.Text, nil, commands.PlainMention))
	var out []string
	for _, s := range r.Sections {
		for _, l := range s.Lines {
			it := lineItem(l)
			if len([]rune(it)) < 4 {
				continue
			}
			if strings.Contains(text, strings.ToLower(it)) {
				out = append(out, it)
			}
		}
	}
	return out
}

// TestListAnswersSayEachItemOnce asks list questions, the read commands
// that list, and every question of the evaluation set, and fails when an
// answer names an item in its text and again as a line of its sections
// (issue 12: one reply model, one rendering — a summary line, then the
// items). A list question's summary names no item at all; any other answer
// may lead with one fact about one item ("Email's availability was 99.86%
// …" above the performance card) but never repeats two.
func TestListAnswersSayEachItemOnce(t *testing.T) {
	data, err := os.ReadFile("testdata/eval.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cases []evalCase
	if err := yaml.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	texts := []string{
		"which services are in operate?", "which vendor contracts end soon?", "which contracts end in 2027?",
		"what's due this quarter?", "which roadmap items are overdue?", "what's on the roadmap for payroll?",
		"tell me about the workplace portfolio", "who is lee?", "which services does lee own?",
		"what depends on identity?", "what does payroll depend on?", "what breaks if the network goes down?",
		"which tier 1 services depend on the network?", "what's overdue?", "list all services",
		"find data", "deps identity", "roadmap payroll", "portfolio workplace", "tollgates", "metrics", "help",
		"who is on the design authority?", "which services use SAP?", "what do we buy from Microsoft?",
		"which finance services are tier 1", "which services failed their last DR test?", "when does the SAP contract end",
	}
	lists := len(texts)
	for _, c := range cases {
		texts = append(texts, c.Q)
	}
	e, _ := sampleEngine(t, nil)
	lee := commands.Caller{SlackUser: "U0LEE", Source: "test"}
	for i, q := range texts {
		r, err := e.Handle(context.Background(), lee, q)
		if err != nil {
			continue
		}
		if rep := repeatedItems(r); len(rep) > 1 || len(rep) == 1 && i < lists {
			t.Errorf("%q names %q in its text and again in its sections:\n%s", q, rep, indent(commands.PlainText(r)))
		}
	}
}
