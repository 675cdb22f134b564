package questions

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/itspm/itspm/commands"
)

// evalCase is one question of testdata/eval.yaml.
type evalCase struct {
	Q      string   `yaml:"q"`
	Expect []string `yaml:"expect"`
	Reject []string `yaml:"reject"`
	Kind   string   `yaml:"kind"`
}

// TestEvaluation asks the built-in parser every question of the evaluation
// set, through the engine as a user would (so questions that start like a
// command take the same path), and fails when fewer than 90% are right.
func TestEvaluation(t *testing.T) {
	data, err := os.ReadFile("testdata/eval.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cases []evalCase
	if err := yaml.Unmarshal(data, &cases); err != nil {
		t.Fatalf("parse eval.yaml: %v", err)
	}
	if len(cases) < 80 {
		t.Fatalf("the evaluation set has %d questions; it needs at least 80", len(cases))
	}
	e, _ := sampleEngine(t, nil)
	ctx := context.Background()
	lee := commands.Caller{SlackUser: "U0LEE", Source: "eval"}
	type tally struct{ ok, n int }
	byKind := map[string]*tally{}
	passed := 0
	var failures []string
	for _, c := range cases {
		if len(c.Expect) == 0 {
			t.Errorf("%q has no expected fact", c.Q)
		}
		r, err := e.Handle(ctx, lee, c.Q)
		got := ""
		if err != nil {
			got = "error: " + commands.ErrorReply(nil, err).Text
		} else {
			got = commands.PlainText(r)
		}
		low := strings.ToLower(got)
		var problems []string
		for _, x := range c.Expect {
			if !strings.Contains(low, strings.ToLower(x)) {
				problems = append(problems, fmt.Sprintf("missing %q", x))
			}
		}
		for _, x := range c.Reject {
			if strings.Contains(low, strings.ToLower(x)) {
				problems = append(problems, fmt.Sprintf("has %q", x))
			}
		}
		k := byKind[c.Kind]
		if k == nil {
			k = &tally{}
			byKind[c.Kind] = k
		}
		k.n++
		if len(problems) == 0 {
			passed++
			k.ok++
			continue
		}
		failures = append(failures, fmt.Sprintf("%q: %s\n%s", c.Q, strings.Join(problems, ", "), indent(got)))
	}
	kinds := make([]string, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var per []string
	for _, k := range kinds {
		per = append(per, fmt.Sprintf("%s %d/%d", k, byKind[k].ok, byKind[k].n))
	}
	accuracy := float64(passed) / float64(len(cases))
	t.Logf("built-in parser accuracy: %d/%d = %.1f%% (%s)", passed, len(cases), 100*accuracy, strings.Join(per, ", "))
	for _, f := range failures {
		t.Logf("wrong answer to %s", f)
	}
	if accuracy < 0.9 {
		t.Errorf("accuracy %.1f%% is below 90%%", 100*accuracy)
	}
}

func indent(s string) string {
	return "    | " + strings.ReplaceAll(s, "\n", "\n    | ")
}
