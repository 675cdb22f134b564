package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/itspm/itspm/internal/fakeslack"
)

// itspmRun runs the CLI in-process and returns exit code, stdout and stderr.
func itspmRun(env []string, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, stdio{in: strings.NewReader(""), out: &out, err: &errOut}, env)
	return code, out.String(), errOut.String()
}

// demoDir is a data directory holding the sample catalog.
func demoDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	if code, _, errOut := itspmRun(jobsEnv(dir), "chat", "--demo"); code != 0 {
		t.Fatalf("chat --demo exited %d: %s", code, errOut)
	}
	return dir
}

func jobsEnv(dir string, extra ...string) []string {
	return append([]string{"ITSPM_DATA_DIR=" + dir, "ITSPM_LOG_LEVEL=error", "ITSPM_TIMEZONE=Europe/Berlin"}, extra...)
}

const atT = "2026-11-27T08:00:00Z" // 09:00 in Berlin

func TestJobsRunDryRunPrintsAndRecordsNothing(t *testing.T) {
	dir := demoDir(t)
	code, out, errOut := itspmRun(jobsEnv(dir), "jobs", "run", "continuity-tests", "--at", atT)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"Dry run (SLACK_BOT_TOKEN is not set): continuity-tests@2026-11-27T08:00:00Z would send 12 messages",
		"→ to U0LEE:", "`dr payroll record pass`", "Overdue in your portfolio", "Sent by the continuity-tests job for 2026-11-27",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if code, out, errOut := itspmRun(jobsEnv(dir), "jobs", "run", "janitor", "--at", atT); code != 0 || !strings.Contains(out, "janitor@2026-11-27T08:00:00Z: done.") {
		t.Errorf("janitor run: exit %d, %s %s", code, out, errOut)
	}
	code, out, errOut = itspmRun(jobsEnv(dir), "jobs", "list")
	if code != 0 {
		t.Fatalf("jobs list exit %d: %s", code, errOut)
	}
	if !regexp.MustCompile(`continuity-tests\s+0 9 \* \* \*\s+Europe/Berlin\s+never\s+`).MatchString(out) {
		t.Errorf("a dry run was recorded, or the list is wrong:\n%s", out)
	}
}

// TestJobsRunTwiceConcurrently: two `itspm jobs run continuity-tests --at
// T` at once, on one data directory, against a fake Slack: each reminder
// is posted once; a third run finds the occurrence done.
func TestJobsRunTwiceConcurrently(t *testing.T) {
	dir := demoDir(t)
	slack := fakeslack.New()
	defer slack.Close()
	people := []string{"dana", "lee", "sam", "priya", "marco", "aisha", "nina", "jonas", "mei", "tom", "sofia", "omar", "rachel"}
	for _, p := range people {
		slack.AddUser(fakeslack.User{ID: "U0" + strings.ToUpper(p), Name: p})
	}
	env := jobsEnv(dir, "SLACK_BOT_TOKEN=xoxb-test", "SLACK_API_URL="+slack.APIURL())
	var wg sync.WaitGroup
	outs := make([]string, 2)
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, out, errOut := itspmRun(env, "jobs", "run", "continuity-tests", "--at", atT)
			if code != 0 {
				t.Errorf("run %d exited %d: %s", i, code, errOut)
			}
			outs[i] = out
		}()
	}
	wg.Wait()
	ran := 0
	for _, out := range outs {
		if strings.Contains(out, "12 messages enqueued") {
			ran++
		} else if !strings.Contains(out, "already ran") {
			t.Errorf("unexpected output: %s", out)
		}
	}
	if ran != 1 {
		t.Errorf("%d runs enqueued the messages, want 1:\n%s", ran, strings.Join(outs, "\n"))
	}
	posts := map[string]int{}
	total := 0
	for _, p := range people {
		for _, m := range slack.Messages(fakeslack.DMChannel("U0" + strings.ToUpper(p))) {
			if strings.Contains(string(m.Blocks)+m.Text, "continuity-tests job for 2026-11-27") {
				posts[p]++
				total++
			}
		}
	}
	for p, n := range posts {
		if n != 1 {
			t.Errorf("%s got %d reminders, want 1", p, n)
		}
	}
	if total != 12 {
		t.Errorf("%d reminders posted, want 12: %v", total, posts)
	}

	code, out, _ := itspmRun(env, "jobs", "run", "continuity-tests", "--at", atT)
	if code != 0 || !strings.Contains(out, "already ran (ok") {
		t.Errorf("third run: exit %d, %s", code, out)
	}
	code, out, _ = itspmRun(env, "jobs", "list")
	if code != 0 || !regexp.MustCompile(`continuity-tests .* 2026-11-27 09:00 CET ok \(12 messages\) \[jobs run\]`).MatchString(out) {
		t.Errorf("jobs list: exit %d\n%s", code, out)
	}
}

func TestJobsUsageAndConfigErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	tests := []struct {
		args []string
		env  []string
		code int
		want string
	}{
		{[]string{"jobs"}, nil, exitUsage, "jobs needs a subcommand"},
		{[]string{"jobs", "run"}, nil, exitUsage, "jobs run needs one job name"},
		{[]string{"jobs", "run", "continuity-tests", "--at", "tomorrow"}, nil, exitUsage, `--at "tomorrow" is not an RFC 3339 time`},
		{[]string{"jobs", "frobnicate"}, nil, exitUsage, "unknown jobs subcommand"},
		{[]string{"jobs", "run", "no-such-job", "--at", atT}, nil, exitData, `There is no job "no-such-job"`},
		{[]string{"jobs", "list"}, []string{"ITSPM_SCHEDULE_CONTINUITY_TESTS=TZ="}, exitData, "ITSPM_SCHEDULE_CONTINUITY_TESTS: "},
		{[]string{"jobs", "list"}, []string{"ITSPM_SCHEDULE_ROADMAP_REMINDERS=0 25 * * *"}, exitData, "ITSPM_SCHEDULE_ROADMAP_REMINDERS: "},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.args, tt.env), func(t *testing.T) {
			code, _, errOut := itspmRun(jobsEnv(dir, tt.env...), tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, tt.code, tt.want)
			}
		})
	}
}
