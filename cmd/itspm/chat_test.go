package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// chatSession runs `itspm chat` with piped input, as a user would, and
// returns one reply per input line.
func chatSession(t *testing.T, dataDir string, args []string, lines ...string) []string {
	t.Helper()
	var out, errOut bytes.Buffer
	env := []string{"ITSPM_DATA_DIR=" + dataDir, "ITSPM_LOG_LEVEL=error", "ITSPM_TIMEZONE=UTC"}
	code := run(context.Background(), append([]string{"chat"}, args...),
		stdio{in: strings.NewReader(strings.Join(lines, "\n") + "\n"), out: &out, err: &errOut}, env)
	if code != 0 {
		t.Fatalf("chat exited %d: %s", code, errOut.String())
	}
	replies := strings.Split(strings.TrimSuffix(out.String(), "---\n"), "\n---\n")
	if len(replies) != len(lines) {
		t.Fatalf("got %d replies for %d lines:\n%s", len(replies), len(lines), out.String())
	}
	return replies
}

func TestChatReadCommandsOnSampleCatalog(t *testing.T) {
	tests := []struct {
		input string
		want  []string // substrings of the reply
		not   []string
	}{
		{"help", []string{"/itspm owner <service>", "/itspm dr <service>", "/itspm history <service>", "who owns payroll?"}, nil},
		{"owner payroll", []string{"Payroll is owned by Lee Chen", "lee@example.com", "Portfolio manager:", "Dana Ortiz"}, nil},
		{"owner PAY", []string{"Payroll is owned by Lee Chen"}, nil},          // alias, any case
		{"owner payrol", []string{"Payroll is owned by Lee Chen"}, nil},       // typo
		{"owner Data Warehouse", []string{"Data Warehouse is owned by"}, nil}, // title with a space
		{"owner nosuchthing", []string{"I don't know a service called"}, nil}, // unknown
		{"owner payrolx-system", []string{"Did you mean `payroll`"}, nil},     // suggestion
		{"service payroll", []string{"Payroll", "Tier 1", "Annual TCO:", "€265,000", "Next review:", "Next DR test:", "identity, hr-core", "availability ≥ 99.9 %"}, nil},
		{"cost payroll", []string{"Annual TCO: €265,000", "Licenses:", "per-user", "Recovered:", "Budget vs actual", "2026-09"}, nil},
		{"deps payroll", []string{"Depends on (", "Identity", "HR Core"}, nil},
		{"deps identity", []string{"Depended on by", "Payroll", "indirect, via"}, nil},
		{"find finance", []string{"Payroll", "ERP"}, nil},
		{"find zzzzqqq", []string{"No service matches"}, nil},
		{"roadmap payroll", []string{"Self-service payslips"}, nil},
		{"dr crm", []string{"RTO:", "RPO:", "Last test:", "Next test due:"}, nil},
		{"dr payroll", []string{"overdue"}, nil},
		{"performance payroll", []string{"availability", "p95-latency", "target"}, nil},
		{"history payroll", []string{"created Service payroll"}, nil},
		{"owner", []string{"Which service?"}, nil},
	}
	inputs := make([]string, len(tests))
	for i, tc := range tests {
		inputs[i] = tc.input
	}
	replies := chatSession(t, t.TempDir(), []string{"--demo"}, inputs...)
	for i, tc := range tests {
		for _, w := range tc.want {
			if !strings.Contains(replies[i], w) {
				t.Errorf("%q: reply lacks %q:\n%s", tc.input, w, replies[i])
			}
		}
		for _, n := range tc.not {
			if strings.Contains(replies[i], n) {
				t.Errorf("%q: reply contains %q:\n%s", tc.input, n, replies[i])
			}
		}
	}
}

func TestChatDemoIsIdempotentAndPersists(t *testing.T) {
	dir := t.TempDir()
	chatSession(t, dir, []string{"--demo"}, "help")
	// A second --demo run changes nothing, and data outlives the process.
	r := chatSession(t, dir, []string{"--demo"}, "history payroll")
	if n := strings.Count(r[0], "created Service payroll"); n != 1 {
		t.Fatalf("history after two demo imports has %d creations:\n%s", n, r[0])
	}
	if strings.Contains(r[0], "updated") {
		t.Fatalf("second demo import updated documents:\n%s", r[0])
	}
}

func TestChatDRRecordNeedsRoleAndMovesDueDate(t *testing.T) {
	dir := t.TempDir()
	chatSession(t, dir, []string{"--demo"}, "help")
	r := chatSession(t, dir, []string{"--as", "sam"}, "dr payroll record pass")
	if !strings.Contains(r[0], "Only Payroll's owner") {
		t.Fatalf("sam recorded a DR test for payroll:\n%s", r[0])
	}
	r = chatSession(t, dir, []string{"--as", "lee"}, "dr payroll record partial failover took 5h", "dr payroll", "history payroll")
	if !strings.Contains(r[0], "Recorded a partial DR test") {
		t.Fatalf("record: %s", r[0])
	}
	if !strings.Contains(r[1], "partial: failover took 5h") || strings.Contains(r[1], "overdue") {
		t.Fatalf("dr after record: %s", r[1])
	}
	if !strings.Contains(r[2], "recorded DR test: partial") {
		t.Fatalf("history lacks the DR record: %s", r[2])
	}
}

func TestChatUnknownPersonAndUsage(t *testing.T) {
	dir := t.TempDir()
	chatSession(t, dir, []string{"--demo"}, "help")
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"chat", "--as", "leee"}, stdio{in: strings.NewReader(""), out: &out, err: &errOut},
		[]string{"ITSPM_DATA_DIR=" + dir, "ITSPM_LOG_LEVEL=error"})
	if code != exitData || !strings.Contains(errOut.String(), `did you mean "lee"?`) {
		t.Fatalf("code %d, stderr %q", code, errOut.String())
	}
	code = run(context.Background(), []string{"chat", "--bogus"}, stdio{in: strings.NewReader(""), out: &out, err: &errOut}, nil)
	if code != exitUsage {
		t.Fatalf("unknown flag exit %d, want %d", code, exitUsage)
	}
}

func TestConfigErrorsNameTheVariable(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"chat"}, stdio{in: strings.NewReader(""), out: &out, err: &errOut},
		[]string{"ITSPM_TIMEZONE=Mars/Olympus", "ITSPM_LOG_LEVEL=loud", "SLACK_BOT_TOKEN=secret-token-value"})
	if code != exitData {
		t.Fatalf("exit %d, want %d", code, exitData)
	}
	for _, want := range []string{"ITSPM_TIMEZONE:", "ITSPM_LOG_LEVEL:", "SLACK_BOT_TOKEN: must be a bot token"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut.String())
		}
	}
	if strings.Contains(errOut.String(), "secret-token-value") {
		t.Errorf("stderr leaks the token: %s", errOut.String())
	}
}
