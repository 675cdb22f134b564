package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/itspm/itspm/bot"
	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/internal/fakeopenai"
	"github.com/itspm/itspm/internal/fakeslack"
	"github.com/itspm/itspm/jobs"
	"github.com/itspm/itspm/storage"
	"github.com/itspm/itspm/storage/embedded"
)

// The secrets of the end-to-end run: distinctive values, so a grep of the
// process's output for them cannot match anything by accident.
const (
	e2eBotToken = "xoxb-4242-e2e-process-bot-token-7c1d"
	e2eSigning  = "e2e-signing-secret-3b9f0a6d2e"
	e2eOpenAI   = "sk-e2e-openai-key-5a7e9c1b3d"
)

// TestServeProcess runs the real binary as operators do: `itspm serve` as a
// process against a fake Slack and a fake OpenAI, with the sample catalog.
// It checks health and readiness, slash commands answered through their
// response_url, a tollgate approved by button, /metrics after that traffic,
// SIGTERM in the middle of load (exit 0, every acknowledged command still
// answered), and that no secret or response_url appears in the logs.
func TestServeProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the itspm binary and runs it as a process")
	}
	bin := buildItspm(t)
	slack := fakeslack.New()
	t.Cleanup(slack.Close)
	slack.SetToken(e2eBotToken) // every Web API call must carry exactly this token
	for _, u := range []string{"U0DANA", "U0LEE", "U0SAM", "U0PRIYA", "U0MARCO", "U0AISHA", "U0NINA", "U0JONAS", "U0MEI", "U0TOM", "U0SOFIA", "U0OMAR", "U0RACHEL"} {
		slack.AddUser(fakeslack.User{ID: u, Name: strings.ToLower(strings.TrimPrefix(u, "U0"))})
	}
	llm := fakeopenai.New(e2eOpenAI)
	t.Cleanup(llm.Close)
	llm.Script(
		// The first question meets a refused key whose error echoes it,
		// as OpenAI's does: the bot falls back and must not log the text.
		fakeopenai.Step{Status: http.StatusUnauthorized, Message: "Incorrect API key provided: " + e2eOpenAI + "."},
		fakeopenai.Step{Content: "Lee Chen owns Payroll, HR Core and Expense Management.", Usage: &fakeopenai.Usage{Prompt: 420, Completion: 17}},
	)
	dataDir := t.TempDir()
	addr := freeAddr(t)
	env := []string{
		"ITSPM_HTTP_ADDR=" + addr,
		"ITSPM_DATA_DIR=" + dataDir,
		"SLACK_BOT_TOKEN=" + e2eBotToken,
		"SLACK_SIGNING_SECRET=" + e2eSigning,
		"SLACK_API_URL=" + slack.APIURL(),
		"OPENAI_API_KEY=" + e2eOpenAI,
		"OPENAI_BASE_URL=" + llm.BaseURL(),
		"ITSPM_ADMINS=U0DANA",
		"ITSPM_LOG_FORMAT=json",
		"ITSPM_LOG_LEVEL=debug", // the most verbose logs are the ones that must not leak
		"ITSPM_TIMEZONE=UTC",
	}
	logs := &syncBuffer{}

	// The sample catalog, imported the way `make demo` does.
	demo := exec.Command(bin, "chat", "--demo")
	demo.Dir, demo.Env = t.TempDir(), env
	demo.Stdin, demo.Stdout, demo.Stderr = strings.NewReader(""), logs, logs
	if err := demo.Run(); err != nil {
		t.Fatalf("itspm chat --demo: %v\n%s", err, logs)
	}

	// The cluster was down for two days: the daily continuity-tests job last
	// ran (as scheduled) two days ago. serve catches up the latest missed
	// occurrence at start-up (always within the 24-hour window; after 09:00
	// the one before it is recorded as missed), so a job runs without
	// waiting for a schedule.
	lastRun := time.Now().UTC().Truncate(24 * time.Hour).Add(-48*time.Hour + 9*time.Hour)
	seedJobRun(t, dataDir, domain.JobRun{
		ID: jobs.OccurrenceID("continuity-tests", lastRun), Job: "continuity-tests", At: lastRun,
		Status: domain.JobOK, Instance: "replica-gone", StartedAt: lastRun, FinishedAt: lastRun,
	})

	// Slack rate-limits the first post: the job's delivery waits out
	// Retry-After and is sent once.
	slack.FailNext("chat.postMessage", 1, fakeslack.RateLimited{RetryAfter: time.Second})

	p := startItspm(t, bin, env, logs, "serve")
	base := "http://" + addr
	waitUntil(t, 60*time.Second, p, func() bool { return httpStatus(base+"/healthz") == http.StatusOK })
	c := &slackClient{base: base, slack: slack}

	t.Run("health", func(t *testing.T) {
		for _, path := range []string{"/healthz", "/readyz"} {
			if got := httpStatus(base + path); got != http.StatusOK {
				t.Errorf("GET %s = %d, want 200", path, got)
			}
		}
	})

	t.Run("slash commands", func(t *testing.T) {
		tests := []struct{ user, text, want string }{
			{"U0DANA", "owner payroll", "Lee Chen"},
			{"U0LEE", "service payroll", "Payroll"},
			{"U0SAM", "cost email", "Annual TCO"},
			{"U0DANA", "help", "owner"},
		}
		var wg sync.WaitGroup
		for i, tc := range tests {
			wg.Add(1)
			go func() {
				defer wg.Done()
				name := fmt.Sprintf("cmd-%d", i)
				start := time.Now()
				status, err := c.command(tc.user, tc.text, name)
				if err != nil || status != http.StatusOK {
					t.Errorf("/itspm %s: status %d, %v", tc.text, status, err)
					return
				}
				if d := time.Since(start); d > 3*time.Second {
					t.Errorf("/itspm %s: acknowledged after %v; Slack gives up at 3 s", tc.text, d)
				}
			}()
		}
		wg.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := slack.WaitFor(ctx, func() bool {
			for i := range tests {
				if len(slack.Responses(fmt.Sprintf("cmd-%d", i))) == 0 {
					return false
				}
			}
			return true
		})
		if err != nil {
			t.Fatalf("not every command was answered through its response_url: %v", err)
		}
		for i, tc := range tests {
			r := slack.Responses(fmt.Sprintf("cmd-%d", i))
			if body := string(r[0].Body); !strings.Contains(body, tc.want) {
				t.Errorf("/itspm %s: answer lacks %q: %s", tc.text, tc.want, body)
			}
		}
		// A forged request is refused and does nothing.
		if got := c.forged(); got != http.StatusUnauthorized {
			t.Errorf("unsigned request: status %d, want 401", got)
		}
	})

	t.Run("questions", func(t *testing.T) {
		// One at a time: each consumes the next scripted LLM response.
		for i, q := range []struct{ text, want string }{
			{"who owns payroll?", "Lee Chen"},                         // LLM refused: the built-in parser answers
			{"which services does lee own?", "Lee Chen owns Payroll"}, // the LLM's answer
		} {
			name := fmt.Sprintf("question-%d", i)
			if status, err := c.command("U0SAM", q.text, name); err != nil || status != http.StatusOK {
				t.Fatalf("/itspm %s: status %d, %v", q.text, status, err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			err := slack.WaitFor(ctx, func() bool { return len(slack.Responses(name)) > 0 })
			cancel()
			if err != nil {
				t.Fatalf("/itspm %s: no answer: %v", q.text, err)
			}
			if body := string(slack.Responses(name)[0].Body); !strings.Contains(body, q.want) {
				t.Errorf("/itspm %s: answer lacks %q: %s", q.text, q.want, body)
			}
		}
		if got := len(llm.Requests()); got != 2 {
			t.Errorf("the LLM got %d requests, want 2", got)
		}
		if p := llm.Problems(); len(p) > 0 {
			t.Errorf("requests the real API would reject: %v", p)
		}
	})

	t.Run("tollgate by button", func(t *testing.T) {
		// wifi (owner marco) operate → improve: design-authority, quorum 1.
		if status, err := c.command("U0MARCO", "tollgate wifi improve", "tg-open"); err != nil || status != http.StatusOK {
			t.Fatalf("tollgate: status %d, %v", status, err)
		}
		var msg fakeslack.Message
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := slack.WaitFor(ctx, func() bool {
			for _, m := range slack.Messages("C0BOARD") {
				if strings.Contains(strings.ToLower(string(m.Blocks)+m.Text), "wifi") && len(buttons(m.Blocks)) > 0 {
					msg = m
					return true
				}
			}
			return false
		})
		if err != nil {
			t.Fatalf("no tollgate request with buttons in the board channel: %v\nmessages: %+v\nresponse: %+v", err, slack.Messages("C0BOARD"), slack.Responses("tg-open"))
		}
		approve, ok := findButton(buttons(msg.Blocks), "approve")
		if !ok {
			t.Fatalf("no Approve button in %s", msg.Blocks)
		}
		if status := c.click("U0LEE", "C0BOARD", msg.TS, approve, "tg-vote"); status != http.StatusOK {
			t.Fatalf("approve click: status %d", status)
		}
		err = slack.WaitFor(ctx, func() bool {
			m, _ := slack.Message("C0BOARD", msg.TS)
			return m.Edited() && len(buttons(m.Blocks)) == 0
		})
		if err != nil {
			m, _ := slack.Message("C0BOARD", msg.TS)
			t.Fatalf("the request message was not updated to its decision: %v\n%s", err, m.Blocks)
		}
	})

	t.Run("caught-up job", func(t *testing.T) {
		waitUntil(t, 60*time.Second, p, func() bool {
			body := httpGet(t, base+"/metrics")
			return strings.Contains(body, `itspm_job_runs_total{job="continuity-tests",outcome="ok"}`) &&
				strings.Contains(body, `itspm_deliveries_total{outcome="sent"}`)
		})
		// Its records carry the occurrence, the correlation key shared by
		// every replica.
		var found bool
		for _, line := range strings.Split(logs.String(), "\n") {
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) != nil || rec["msg"] != "jobs: run finished" || rec["job"] != "continuity-tests" {
				continue
			}
			occ, _ := rec["occurrence"].(string)
			found = found || strings.HasPrefix(occ, "continuity-tests@")
		}
		if !found {
			t.Errorf("no \"jobs: run finished\" record with job and occurrence attributes:\n%s", logs.tail(30))
		}
	})

	t.Run("metrics", func(t *testing.T) {
		body := httpGet(t, base+"/metrics")
		for _, series := range []string{
			`itspm_requests_total{endpoint=`,
			`itspm_requests_total{endpoint="commands",outcome="ok"}`,
			`outcome="unauthorized"`,
			`itspm_ack_latency_seconds_bucket{`,
			`itspm_ack_latency_seconds_count{`,
			`itspm_slack_api_calls_total{`,
			`itspm_tollgate_votes_total{`,
			`itspm_tollgate_decisions_total{outcome="approved"}`,
			`itspm_llm_requests_total{outcome="fallback"}`,
			`itspm_llm_requests_total{outcome="ok"}`,
			`itspm_llm_tokens_total{kind="prompt"}`,
			`itspm_job_runs_total{job="continuity-tests",outcome="ok"}`,
			`itspm_deliveries_total{outcome="sent"}`,
			`itspm_slack_rate_limited_total{method="chat.postMessage"}`,
			`itspm_slack_api_calls_total{method="chat.postMessage",outcome="ratelimited"}`,
			`go_goroutines`,
			`process_resident_memory_bytes`,
		} {
			if !strings.Contains(body, series) {
				t.Errorf("/metrics lacks %s", series)
			}
		}
		if t.Failed() {
			t.Logf("/metrics:\n%s", itspmLines(body))
		}
	})

	t.Run("SIGTERM under load", func(t *testing.T) {
		// Slow answers keep acknowledged work in flight when the signal
		// arrives; senders keep sending until the listener is gone.
		slack.SetLatency(fakeslack.MethodResponseURL, 300*time.Millisecond)
		const senders, perSender = 6, 8
		var (
			mu      sync.Mutex
			acked   []string
			refused int
			slow    []string
		)
		ackedCount := func() int {
			mu.Lock()
			defer mu.Unlock()
			return len(acked)
		}
		var wg sync.WaitGroup
		for w := range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perSender {
					name := fmt.Sprintf("load-%d-%d", w, i)
					start := time.Now()
					status, err := c.command("U0DANA", "owner payroll", name)
					mu.Lock()
					if err == nil && status == http.StatusOK {
						acked = append(acked, name)
						if d := time.Since(start); d > 3*time.Second {
							slow = append(slow, fmt.Sprintf("%s: %v", name, d))
						}
					} else {
						refused++
					}
					mu.Unlock()
				}
			}()
		}
		waitUntil(t, 30*time.Second, p, func() bool { return ackedCount() >= 12 })
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if code := p.wait(t, 90*time.Second); code != 0 {
			t.Errorf("serve exited %d after SIGTERM, want 0\n%s", code, logs.tail(40))
		}
		var lost, wrong []string
		for _, name := range acked {
			r := slack.Responses(name)
			switch {
			case len(r) == 0:
				lost = append(lost, name)
			case !strings.Contains(string(r[0].Body), "Lee Chen"):
				wrong = append(wrong, fmt.Sprintf("%s: %s", name, r[0].Body))
			}
		}
		if len(lost) > 0 {
			t.Errorf("%d of %d acknowledged commands were never answered: %v", len(lost), len(acked), lost)
		}
		if len(wrong) > 0 {
			t.Errorf("acknowledged commands answered with something else than their answer: %v", wrong)
		}
		if len(slow) > 0 {
			t.Errorf("acknowledgements slower than Slack's 3 s: %v", slow)
		}
		t.Logf("%d commands acknowledged (all answered), %d refused after SIGTERM", len(acked), refused)
	})

	t.Run("logs", func(t *testing.T) {
		out := logs.String()
		if !strings.Contains(out, `"level"`) {
			t.Fatalf("no JSON log records in the output:\n%s", logs.tail(20))
		}
		// JSON format: every line the server wrote is one JSON object.
		for i, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if strings.HasPrefix(line, "{") && !json.Valid([]byte(line)) {
				t.Errorf("log line %d is not valid JSON: %s", i+1, line)
			}
		}
		secrets := map[string]string{
			"SLACK_BOT_TOKEN":      e2eBotToken,
			"SLACK_SIGNING_SECRET": e2eSigning,
			"OPENAI_API_KEY":       e2eOpenAI,
			"response_url host":    slack.ResponseURL(""),
		}
		for _, name := range []string{"cmd-0", "load-0", "tg-open", "tg-vote"} {
			secrets["response_url "+name] = slack.ResponseURL(name)
		}
		for what, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("the logs contain the %s", what)
			}
			// Also escaped forms (JSON escapes "/" only optionally).
			if esc, _ := json.Marshal(s); strings.Contains(out, strings.Trim(string(esc), `"`)) {
				t.Errorf("the logs contain the %s (JSON-escaped)", what)
			}
		}
	})

	t.Run("schema version", func(t *testing.T) {
		// Operators upgrade and (by mistake) downgrade binaries over one
		// database: an older layout is migrated forward, a newer one refused.
		tests := []struct {
			version  int
			wantCode int
			wantErr  string
		}{
			{storage.SchemaVersion + 1, exitData, "written by a newer itspm"},
			{0, exitOK, ""},
		}
		for _, tc := range tests {
			setSchemaVersion(t, dataDir, tc.version)
			var out, errOut bytes.Buffer
			cmd := exec.Command(bin, "export")
			cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = t.TempDir(), env, &out, &errOut
			code := 0
			if err := cmd.Run(); err != nil {
				var ee *exec.ExitError
				if !errors.As(err, &ee) {
					t.Fatal(err)
				}
				code = ee.ExitCode()
			}
			if code != tc.wantCode || !strings.Contains(errOut.String(), tc.wantErr) {
				t.Errorf("schema %d: export exited %d (%q), want %d with %q", tc.version, code, errOut.String(), tc.wantCode, tc.wantErr)
			}
			if tc.wantCode == exitOK {
				if got := schemaVersion(t, dataDir); got != storage.SchemaVersion {
					t.Errorf("schema %d: after start-up the database says %d, want %d", tc.version, got, storage.SchemaVersion)
				}
				if !strings.Contains(out.String(), "kind: Service") {
					t.Errorf("schema %d: export after migration has no services", tc.version)
				}
			}
		}
	})
}

// seedJobRun records a scheduled occurrence, as a replica that has since
// gone would have.
func seedJobRun(t *testing.T, dir string, r domain.JobRun) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := storage.Open(ctx, storage.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(context.Background())
	if n, err := st.RecordJobRuns(ctx, []domain.JobRun{r}); err != nil || n != 1 {
		t.Fatalf("seed job run: %d, %v", n, err)
	}
}

// setSchemaVersion rewrites the schema record of the embedded store in dir.
func setSchemaVersion(t *testing.T, dir string, v int) {
	t.Helper()
	withMeta(t, dir, func(ctx context.Context, meta *mongo.Collection) {
		if _, err := meta.UpdateOne(ctx, bson.D{{Key: "_id", Value: "schema"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "version", Value: v}}}}); err != nil {
			t.Fatal(err)
		}
	})
}

func schemaVersion(t *testing.T, dir string) (v int) {
	t.Helper()
	withMeta(t, dir, func(ctx context.Context, meta *mongo.Collection) {
		var doc struct {
			Version int `bson:"version"`
		}
		if err := meta.FindOne(ctx, bson.D{{Key: "_id", Value: "schema"}}).Decode(&doc); err != nil {
			t.Fatal(err)
		}
		v = doc.Version
	})
	return v
}

// withMeta connects to the embedded store in dir with the plain driver:
// storage.Open would migrate (or refuse) the database under test.
func withMeta(t *testing.T, dir string, f func(context.Context, *mongo.Collection)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, err := embedded.Start(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	client, err := mongo.Connect(options.Client().ApplyURI(srv.URI()))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(context.Background())
	f(ctx, client.Database("itspm").Collection("meta"))
}

// buildItspm compiles this package into a temporary directory.
func buildItspm(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "itspm")
	// The toolchain running this test builds the binary.
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		gobin = "go"
	}
	cmd := exec.Command(gobin, "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is a running itspm.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	code int
	logs *syncBuffer
}

func startItspm(t *testing.T, bin string, env []string, logs *syncBuffer, args ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Env = t.TempDir(), env
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, done: make(chan struct{}), logs: logs}
	go func() {
		err := cmd.Wait()
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee):
			p.code = ee.ExitCode()
		default:
			p.code = -1
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// wait returns the exit code, failing if the process outlives timeout.
func (p *process) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(timeout):
		t.Fatalf("itspm still running %v after SIGTERM\n%s", timeout, p.logs.tail(40))
		return -1
	}
}

// waitUntil polls cond (process start-up and in-flight requests are not
// clock-driven, so there is nothing to inject); it fails early if the
// process exits.
func waitUntil(t *testing.T, timeout time.Duration, p *process, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		select {
		case <-p.done:
			t.Fatalf("itspm exited with %d\n%s", p.code, p.logs.tail(40))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v\n%s", timeout, p.logs.tail(40))
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

func httpStatus(u string) int {
	resp, err := httpClient.Get(u)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func httpGet(t *testing.T, u string) string {
	t.Helper()
	resp, err := httpClient.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", u, resp.StatusCode, err)
	}
	return string(b)
}

// slackClient sends requests the way Slack does: form-encoded and signed.
type slackClient struct {
	base  string
	slack *fakeslack.Server
	seq   atomic.Int64
}

func (c *slackClient) post(path string, form url.Values, secret string) (int, error) {
	body := form.Encode()
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(bot.HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(bot.HeaderSignature, bot.Sign(secret, ts, []byte(body)))
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// command sends `/itspm text` from user; the answer goes to the response_url
// recorded under name.
func (c *slackClient) command(user, text, name string) (int, error) {
	return c.post("/slack/commands", url.Values{
		"token": {"legacy-verification-token"}, "team_id": {"T0ITSPM"}, "team_domain": {"itspm"},
		"channel_id": {"C0GENERAL"}, "channel_name": {"general"},
		"user_id": {user}, "user_name": {strings.ToLower(strings.TrimPrefix(user, "U0"))},
		"command": {"/itspm"}, "text": {text}, "api_app_id": {"A0ITSPM"},
		"response_url": {c.slack.ResponseURL(name)},
		"trigger_id":   {fmt.Sprintf("trigger-%d", c.seq.Add(1))},
	}, e2eSigning)
}

// forged sends a command signed with the wrong secret.
func (c *slackClient) forged() int {
	status, _ := c.post("/slack/commands", url.Values{
		"user_id": {"U0DANA"}, "command": {"/itspm"}, "text": {"help"},
		"response_url": {c.slack.ResponseURL("forged")},
	}, "not-the-signing-secret")
	return status
}

// click sends a block_actions interaction for button b on message ts.
func (c *slackClient) click(user, channel, ts string, b button, name string) int {
	payload, _ := json.Marshal(map[string]any{
		"type":         "block_actions",
		"team":         map[string]any{"id": "T0ITSPM", "domain": "itspm"},
		"user":         map[string]any{"id": user, "username": strings.ToLower(strings.TrimPrefix(user, "U0")), "team_id": "T0ITSPM"},
		"api_app_id":   "A0ITSPM",
		"trigger_id":   fmt.Sprintf("trigger-%d", c.seq.Add(1)),
		"container":    map[string]any{"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": false},
		"channel":      map[string]any{"id": channel, "name": "board"},
		"message":      map[string]any{"type": "message", "ts": ts, "text": ""},
		"response_url": c.slack.ResponseURL(name),
		"actions": []map[string]any{{
			"type": "button", "action_id": b.ActionID, "block_id": b.BlockID, "value": b.Value,
			"text":      map[string]any{"type": "plain_text", "text": b.Text},
			"action_ts": fmt.Sprintf("%d.000100", time.Now().Unix()),
		}},
	})
	status, _ := c.post("/slack/interactions", url.Values{"payload": {string(payload)}}, e2eSigning)
	return status
}

type button struct {
	BlockID, ActionID, Value, Text string
}

// buttons lists the buttons in a message's Block Kit JSON.
func buttons(blocks json.RawMessage) []button {
	var bs []struct {
		Type     string `json:"type"`
		BlockID  string `json:"block_id"`
		Elements []struct {
			Type     string `json:"type"`
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
			Text     struct {
				Text string `json:"text"`
			} `json:"text"`
		} `json:"elements"`
	}
	_ = json.Unmarshal(blocks, &bs)
	var out []button
	for _, b := range bs {
		if b.Type != "actions" {
			continue
		}
		for _, e := range b.Elements {
			if e.Type == "button" {
				out = append(out, button{b.BlockID, e.ActionID, e.Value, e.Text.Text})
			}
		}
	}
	return out
}

func findButton(bs []button, word string) (button, bool) {
	for _, b := range bs {
		if strings.Contains(strings.ToLower(b.ActionID+" "+b.Text), word) {
			return b, true
		}
	}
	return button{}, false
}

// syncBuffer collects a process's output from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// tail is the last n lines, for failure messages.
func (b *syncBuffer) tail(n int) string {
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// itspmLines keeps the itspm_ series of a /metrics page.
func itspmLines(body string) string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "itspm_") {
			out = append(out, sc.Text())
		}
	}
	return strings.Join(out, "\n")
}
