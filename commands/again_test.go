package commands_test

import (
	"context"
	"strings"
	"testing"

	"github.com/itspm/itspm/commands"
)

// Only replies that running the same text again reproduces, without
// changing anything, may be paged by running it again (Reply.Again).
func TestAgainMarksOnlyReadOnlyAnswers(t *testing.T) {
	e, _ := sampleEngine(t, nil)
	admin := commands.Caller{SlackUser: "U0SAM", Source: "test"}
	tests := []struct {
		text  string
		again bool
	}{
		{"owner payroll", true},
		{"find pay", true},
		{"history payroll", true},
		{"help", true},
		{"who owns payroll?", true},
		{"dr payroll", true},
		{"dr payroll record pass restored in 40 minutes", false}, // a write: running it again records another test
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			r, err := e.Handle(context.Background(), admin, tc.text)
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if want := map[bool]string{true: tc.text}[tc.again]; r.Again != want {
				t.Errorf("Again = %q, want %q (reply: %s)", r.Again, want, strings.SplitN(commands.PlainText(r), "\n", 2)[0])
			}
		})
	}
	// A model's answer may differ when asked again: it is not paged.
	e.SetAsker(askerFunc(func(context.Context, commands.Caller, string) (commands.Reply, error) {
		return commands.Reply{Title: "Answer", Text: "Lee Chen owns Payroll."}, nil
	}))
	if r, err := e.Handle(context.Background(), admin, "who owns payroll?"); err != nil || r.Again != "" || r.Text != "Lee Chen owns Payroll." {
		t.Errorf("model answer: Again %q, text %q, err %v; want the model's answer without Again", r.Again, r.Text, err)
	}
	for _, text := range []string{"tollgate payroll improve", "approve TG-payroll-1", "reject TG-payroll-1 no", "withdraw TG-payroll-1", "dr payroll RECORD fail"} {
		f := strings.Fields(text)
		if commands.ReadOnly(strings.ToLower(f[0]), f[1:]) {
			t.Errorf("commands.ReadOnly(%q) = true; it writes", text)
		}
	}
}

type askerFunc func(ctx context.Context, c commands.Caller, question string) (commands.Reply, error)

func (f askerFunc) Ask(ctx context.Context, c commands.Caller, question string) (commands.Reply, error) {
	return f(ctx, c, question)
}
