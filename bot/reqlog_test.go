package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/itspm/itspm/bot"
	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/internal/fakeslack"
)

// logCapture collects JSON log records, as `itspm serve` writes them.
type logCapture struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (c *logCapture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.Write(p)
}

func (c *logCapture) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

func (c *logCapture) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(c, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type record map[string]any

func (r record) str(k string) string { s, _ := r[k].(string); return s }

func (c *logCapture) records(t *testing.T) []record {
	t.Helper()
	var out []record
	for _, line := range strings.Split(strings.TrimSpace(c.String()), "\n") {
		var r record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		out = append(out, r)
	}
	return out
}

func withMsg(rs []record, msg string) []record {
	var out []record
	for _, r := range rs {
		if r.str("msg") == msg {
			out = append(out, r)
		}
	}
	return out
}

func withReq(rs []record, req string) []record {
	var out []record
	for _, r := range rs {
		if r.str("req") == req {
			out = append(out, r)
		}
	}
	return out
}

// pick keeps the named attributes of r, for comparing with cmp.
func pick(r record, keys ...string) map[string]string {
	out := map[string]string{}
	for _, k := range keys {
		if v, ok := r[k]; ok {
			s, isStr := v.(string)
			if !isStr {
				b, _ := json.Marshal(v)
				s = string(b)
			}
			out[k] = s
		}
	}
	return out
}

var reqID = regexp.MustCompile(`^[0-9a-f]{12}$`)

// explodingEngine fails "explode" with an internal error, the way a store
// bug would surface.
type explodingEngine struct{ *commands.Engine }

func (x explodingEngine) Handle(ctx context.Context, c commands.Caller, text string) (commands.Reply, error) {
	if text == "explode" {
		return commands.Reply{}, errors.New("decode service: unexpected bson type")
	}
	return x.Engine.Handle(ctx, c, text)
}

// Every request gets one "slack request" line and each piece of work it
// started one "slack work done" line, both carrying the same req; errors
// in between carry it too. Nothing people typed, no token, signing secret
// or response_url reaches the logs.
func TestRequestAndWorkLogsCorrelate(t *testing.T) {
	logs := &logCapture{}
	e := newEnv(t, func(c *envConfig) {
		c.logger = logs.logger()
		c.engine = func(en *commands.Engine) bot.Engine { return explodingEngine{en} }
	})
	const secretWords = "zebra-secret-7"

	// A question (free text: only "question" may be logged), a command, an
	// internal error, a forged request, a DM delivered twice, a button.
	e.slashCommand("U0LEE", "who looks after the "+secretWords+" thing?", "q")
	e.slashCommand("U0SAM", "owner payroll", "owner")
	e.slashCommand("U0SAM", "explode", "boom")
	forged := signedRequest(t, e.srv.URL, "/slack/commands", formType, []byte(slashForm("U0SAM", "owner payroll", e.fake.ResponseURL("forged")).Encode()), now)
	forged.Header.Set(bot.HeaderSignature, bot.Sign("not-the-secret", now.Unix(), []byte("x")))
	if got := do(t, forged); got.status != http.StatusUnauthorized {
		t.Fatalf("forged request: status %d", got.status)
	}
	dm := map[string]any{"type": "message", "channel": "D0SAM", "channel_type": "im", "user": "U0SAM", "text": "owner " + secretWords, "ts": "1764201800.000100"}
	e.event("EvLOG1", dm)
	e.event("EvLOG1", dm, "X-Slack-Retry-Num", "1", "X-Slack-Retry-Reason", "http_timeout")
	e.interaction(blockActions("U0SAM", "run_command#2", "cost payroll", e.fake.ResponseURL("button")))
	boom := e.responses("boom", 1)[0]
	e.responses("q", 1)
	e.responses("owner", 1)
	e.responses("button", 1)
	e.shutdown()

	rs := logs.records(t)
	requests := withMsg(rs, "slack request")
	if len(requests) != 7 {
		t.Fatalf("%d request lines, want 7:\n%s", len(requests), logs)
	}
	type summary struct{ Request, Work map[string]string }
	var got []summary
	for _, r := range requests {
		req := r.str("req")
		if !reqID.MatchString(req) {
			t.Errorf("req %q is not a 12-digit hex ID", req)
		}
		if _, ok := r["ack_ms"].(float64); !ok {
			t.Errorf("request line without ack_ms: %v", r)
		}
		s := summary{Request: pick(r, "endpoint", "via", "outcome", "status", "kind", "verb", "user", "team", "channel", "retry", "reason")}
		works := withMsg(withReq(rs, req), "slack work done")
		switch len(works) {
		case 0:
		case 1:
			if _, ok := works[0]["ms"].(float64); !ok {
				t.Errorf("work line without ms: %v", works[0])
			}
			s.Work = pick(works[0], "endpoint", "user", "work", "verb", "outcome")
		default:
			t.Errorf("request %s has %d work lines, want at most 1", req, len(works))
		}
		got = append(got, s)
	}
	// The delivery and its retry race for the event's claim (the claim is
	// taken by the work, after both are acked): either may do the work.
	if len(got) == 7 && got[4].Work["outcome"] == "duplicate" {
		got[4].Work, got[5].Work = got[5].Work, got[4].Work
	}
	want := []summary{
		{
			Request: map[string]string{"endpoint": "commands", "via": "http", "outcome": "ok", "status": "200", "kind": "command", "verb": "question", "user": "U0LEE", "team": "T0000FAKE", "channel": "C0PAYROLL"},
			Work:    map[string]string{"endpoint": "commands", "user": "U0LEE", "work": "command", "verb": "question", "outcome": "ok"},
		},
		{
			Request: map[string]string{"endpoint": "commands", "via": "http", "outcome": "ok", "status": "200", "kind": "command", "verb": "owner", "user": "U0SAM", "team": "T0000FAKE", "channel": "C0PAYROLL"},
			Work:    map[string]string{"endpoint": "commands", "user": "U0SAM", "work": "command", "verb": "owner", "outcome": "ok"},
		},
		{
			Request: map[string]string{"endpoint": "commands", "via": "http", "outcome": "ok", "status": "200", "kind": "command", "verb": "question", "user": "U0SAM", "team": "T0000FAKE", "channel": "C0PAYROLL"},
			Work:    map[string]string{"endpoint": "commands", "user": "U0SAM", "work": "command", "verb": "question", "outcome": "error"},
		},
		{Request: map[string]string{"endpoint": "commands", "via": "http", "outcome": "unauthorized", "status": "401", "reason": "bad_signature"}},
		{
			Request: map[string]string{"endpoint": "events", "via": "http", "outcome": "ok", "status": "200", "kind": "message", "user": "U0SAM", "team": "T0000FAKE", "channel": "D0SAM"},
			// No such service: the person's mistake, not ours.
			Work: map[string]string{"endpoint": "events", "user": "U0SAM", "work": "dm", "verb": "owner", "outcome": "user_error"},
		},
		{
			Request: map[string]string{"endpoint": "events", "via": "http", "outcome": "ok", "status": "200", "kind": "message", "user": "U0SAM", "team": "T0000FAKE", "channel": "D0SAM", "retry": "1"},
			Work:    map[string]string{"endpoint": "events", "user": "U0SAM", "work": "dm", "outcome": "duplicate"},
		},
		{
			Request: map[string]string{"endpoint": "interactions", "via": "http", "outcome": "ok", "status": "200", "kind": "block_actions", "user": "U0SAM", "channel": "C0BOARD"},
			Work:    map[string]string{"endpoint": "interactions", "user": "U0SAM", "work": "action:run_command", "verb": "cost", "outcome": "ok"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request and work lines (-want +got):\n%s", diff)
	}
	// Slack's own delivery IDs: trigger_id, and the event_id on both
	// deliveries of the DM, which is how a retry is matched to the first.
	if a, b := requests[4].str("slack_id"), requests[5].str("slack_id"); a != "EvLOG1" || b != "EvLOG1" {
		t.Errorf("slack_id of the DM deliveries = %q, %q; want EvLOG1 twice", a, b)
	}
	if !strings.HasPrefix(requests[1].str("slack_id"), "13345224609.") {
		t.Errorf("slack_id of the command = %q, want its trigger_id", requests[1].str("slack_id"))
	}

	// The internal error is logged under the request's ID, with the
	// reference the person was shown.
	failed := withMsg(withReq(rs, requests[2].str("req")), "command failed")
	if len(failed) != 1 || failed[0].str("level") != "ERROR" || failed[0].str("ref") == "" {
		t.Fatalf("internal error lines of the request: %v", failed)
	}
	if ref := failed[0].str("ref"); !strings.Contains(blocksText(boom.Blocks), ref) {
		t.Errorf("the person was not shown reference %s:\n%s", ref, blocksText(boom.Blocks))
	}

	out := logs.String()
	for what, s := range map[string]string{
		"typed text":         secretWords,
		"signing secret":     secret,
		"bot token":          "xoxb-test",
		"verification token": "gIkuvaNzQIHg97ATvDxqgjtO",
		"response_url":       strings.TrimSuffix(e.fake.ResponseURL("x"), "x"),
	} {
		if esc, _ := json.Marshal(s); strings.Contains(out, s) || strings.Contains(out, strings.Trim(string(esc), `"`)) {
			t.Errorf("the logs contain the %s", what)
		}
	}
}

// Socket Mode envelopes are requests too, named by their envelope_id.
func TestSocketModeRequestsAreLogged(t *testing.T) {
	logs := &logCapture{}
	e, sm := socketEnv(t, func(c *envConfig) { c.logger = logs.logger() })
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	payload := map[string]string{}
	for k, v := range slashForm("U0SAM", "deps payroll", e.fake.ResponseURL("sock")) {
		payload[k] = v[0]
	}
	id, err := sm.Send(ctx, fakeslack.Envelope{Type: "slash_commands", Payload: payload, AcceptsResponsePayload: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sm.WaitAck(ctx, id); err != nil {
		t.Fatal(err)
	}
	e.responses("sock", 1)
	e.shutdown()

	rs := logs.records(t)
	requests := withMsg(rs, "slack request")
	if len(requests) != 1 {
		t.Fatalf("%d request lines, want 1:\n%s", len(requests), logs)
	}
	r := requests[0]
	wantReq := map[string]string{"endpoint": "commands", "via": "socket", "outcome": "ok", "kind": "command", "verb": "deps", "user": "U0SAM", "envelope": id}
	if diff := cmp.Diff(wantReq, pick(r, "endpoint", "via", "outcome", "kind", "verb", "user", "envelope", "status")); diff != "" {
		t.Errorf("request line (-want +got):\n%s", diff)
	}
	works := withMsg(withReq(rs, r.str("req")), "slack work done")
	if len(works) != 1 || works[0].str("outcome") != "ok" || works[0].str("verb") != "deps" {
		t.Errorf("work lines of %s: %v", r.str("req"), works)
	}
	if strings.Contains(logs.String(), strings.TrimSuffix(e.fake.ResponseURL("x"), "x")) {
		t.Error("the logs contain a response_url")
	}
}

// What the engine and the tollgate workflow log while doing a request's
// work carries the request's ID, user and channel.
func TestWorkflowLogsCarryTheRequest(t *testing.T) {
	logs := &logCapture{}
	e := newEnv(t, func(c *envConfig) {
		c.flow = true
		c.logger = logs.logger()
	})
	// The approval message cannot be posted: the workflow logs it.
	e.fake.FailNext("chat.postMessage", 1, fakeslack.ServerError{Status: 503})
	e.slashCommand("U0AISHA", "tollgate security-monitoring transition", "open")
	e.responses("open", 1)
	e.shutdown()

	rs := logs.records(t)
	requests := withMsg(rs, "slack request")
	if len(requests) != 1 {
		t.Fatalf("%d request lines, want 1:\n%s", len(requests), logs)
	}
	failed := withMsg(rs, "post tollgate approval message")
	if len(failed) != 1 {
		t.Fatalf("%d 'post tollgate approval message' lines, want 1:\n%s", len(failed), logs)
	}
	if got, want := pick(failed[0], "req", "user", "channel", "request"), map[string]string{
		"req": requests[0].str("req"), "user": "U0AISHA", "channel": "C0PAYROLL", "request": "TG-security-monitoring-1",
	}; !cmp.Equal(got, want) {
		t.Errorf("workflow line attributes %v, want %v", got, want)
	}
}
