package bot_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/itspm/itspm/bot"
	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
)

func TestSlashCommandAcksThenAnswersOnResponseURL(t *testing.T) {
	e := newEnv(t)
	// Slow Slack must not slow the acknowledgement.
	e.fake.SetLatency("response_url", 200*time.Millisecond)
	got := e.slashCommand("U0SAM", "owner payroll", "owner")
	if got.status != http.StatusOK || got.body != "" {
		t.Fatalf("ack = %d %q, want 200 and an empty body", got.status, got.body)
	}
	if got.elapsed > time.Second {
		t.Errorf("ack took %v, want well under Slack's 3 s", got.elapsed)
	}
	resp := e.responses("owner", 1)[0]
	if resp.ResponseType != "ephemeral" || resp.ReplaceOriginal {
		t.Errorf("response_type %q replace_original %v, want ephemeral and false", resp.ResponseType, resp.ReplaceOriginal)
	}
	text := blocksText(resp.Blocks)
	for _, want := range []string{"Who owns Payroll", "<@U0LEE>", "lee@example.com"} {
		if !strings.Contains(text, want) {
			t.Errorf("answer lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(resp.Text, "Lee Chen") {
		t.Errorf("fallback text %q lacks the owner's name", resp.Text)
	}
}

func TestEmptySlashCommandShowsHelp(t *testing.T) {
	e := newEnv(t)
	if got := e.slashCommand("U0SAM", "", "help"); got.status != http.StatusOK {
		t.Fatalf("ack = %d", got.status)
	}
	if text := blocksText(e.responses("help", 1)[0].Blocks); !strings.Contains(text, "/itspm owner") {
		t.Errorf("help lacks the owner command:\n%s", text)
	}
}

func TestVerificationFailuresAre401AndDoNothing(t *testing.T) {
	e := newEnv(t)
	body := []byte(slashForm("U0LEE", "owner payroll", e.fake.ResponseURL("x")).Encode())
	ts := strconv.FormatInt(now.Unix(), 10)
	good := bot.Sign(secret, now.Unix(), body)
	tests := []struct {
		name string
		edit func(r *http.Request)
	}{
		{"no headers", func(r *http.Request) { r.Header.Del(bot.HeaderSignature); r.Header.Del(bot.HeaderTimestamp) }},
		{"no signature", func(r *http.Request) { r.Header.Del(bot.HeaderSignature) }},
		{"no timestamp", func(r *http.Request) { r.Header.Del(bot.HeaderTimestamp) }},
		{"stale timestamp", func(r *http.Request) {
			old := now.Add(-6 * time.Minute).Unix()
			r.Header.Set(bot.HeaderTimestamp, strconv.FormatInt(old, 10))
			r.Header.Set(bot.HeaderSignature, bot.Sign(secret, old, body))
		}},
		{"future timestamp", func(r *http.Request) {
			ahead := now.Add(6 * time.Minute).Unix()
			r.Header.Set(bot.HeaderTimestamp, strconv.FormatInt(ahead, 10))
			r.Header.Set(bot.HeaderSignature, bot.Sign(secret, ahead, body))
		}},
		{"garbage timestamp", func(r *http.Request) { r.Header.Set(bot.HeaderTimestamp, "soon") }},
		{"wrong secret", func(r *http.Request) { r.Header.Set(bot.HeaderSignature, bot.Sign("other-secret", now.Unix(), body)) }},
		{"bad signature", func(r *http.Request) { r.Header.Set(bot.HeaderSignature, "v0=deadbeef") }},
		{"signature of another timestamp", func(r *http.Request) { r.Header.Set(bot.HeaderTimestamp, strconv.FormatInt(now.Unix()-1, 10)) }},
	}
	for _, path := range []string{"/slack/commands", "/slack/interactions", "/slack/events"} {
		for _, tc := range tests {
			t.Run(path+"/"+tc.name, func(t *testing.T) {
				req := signedRequest(t, e.srv.URL, path, formType, body, now)
				req.Header.Set(bot.HeaderTimestamp, ts)
				req.Header.Set(bot.HeaderSignature, good)
				tc.edit(req)
				if got := do(t, req); got.status != http.StatusUnauthorized {
					t.Errorf("status %d, want 401", got.status)
				}
			})
		}
		t.Run(path+"/body altered", func(t *testing.T) {
			altered := []byte(strings.Replace(string(body), "payroll", "payroli", 1))
			req := signedRequest(t, e.srv.URL, path, formType, altered, now)
			req.Header.Set(bot.HeaderSignature, good)
			if got := do(t, req); got.status != http.StatusUnauthorized {
				t.Errorf("status %d, want 401", got.status)
			}
		})
	}
	e.shutdown()
	if calls := e.fake.Calls(""); len(calls) != 0 {
		t.Errorf("refused requests reached Slack: %d calls, first %s", len(calls), calls[0].Method)
	}
	// Nothing was claimed either: the same invocation is still new.
	form, _ := url.ParseQuery(string(body))
	first, err := e.store.ClaimEvent(context.Background(), "cmd:"+form.Get("trigger_id"))
	if err != nil || !first {
		t.Errorf("claim after refused requests = %v, %v; want a first claim", first, err)
	}
}

func TestRunCommandButton(t *testing.T) {
	e := newEnv(t)
	// A block_actions payload as Slack documents it, for a button the bot
	// rendered (second run_command button of its message).
	payload := map[string]any{
		"type":                  "block_actions",
		"user":                  map[string]any{"id": "U0SAM", "username": "sam", "name": "sam", "team_id": "T0000FAKE"},
		"api_app_id":            "A0000APP1",
		"token":                 "9s8d9as89d8as9d8as989",
		"container":             map[string]any{"type": "message", "message_ts": "1764201600.000100", "channel_id": "C0PAYROLL", "is_ephemeral": true},
		"trigger_id":            nextTrigger(),
		"team":                  map[string]any{"id": "T0000FAKE", "domain": "itspm-test"},
		"enterprise":            nil,
		"is_enterprise_install": false,
		"channel":               map[string]any{"id": "C0PAYROLL", "name": "payroll"},
		"state":                 map[string]any{"values": map[string]any{}},
		"response_url":          e.fake.ResponseURL("button"),
		"actions": []any{map[string]any{
			"action_id": "run_command#2",
			"block_id":  "=qXel",
			"text":      map[string]any{"type": "plain_text", "text": "Cost", "emoji": true},
			"value":     "cost payroll",
			"type":      "button",
			"action_ts": "1764201605.123456",
		}},
	}
	if got := e.interaction(payload); got.status != http.StatusOK || got.body != "" {
		t.Fatalf("ack = %d %q", got.status, got.body)
	}
	resp := e.responses("button", 1)[0]
	if resp.ResponseType != "ephemeral" || resp.ReplaceOriginal {
		t.Errorf("response_type %q replace_original %v, want an ephemeral answer leaving the message", resp.ResponseType, resp.ReplaceOriginal)
	}
	if text := blocksText(resp.Blocks); !strings.Contains(text, "Cost of Payroll") {
		t.Errorf("answer is not the cost card:\n%s", text)
	}
}

// voteRecorder stands in for the tollgate workflow behind Vote.
type voteRecorder struct {
	*commands.Engine
	mu    sync.Mutex
	votes []string
}

func (v *voteRecorder) Vote(_ context.Context, c commands.Caller, id string, approve bool, comment string) (commands.Reply, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.votes = append(v.votes, c.SlackUser+" "+id+" "+strconv.FormatBool(approve)+" "+comment)
	if id == "TG-missing" {
		return commands.Reply{}, domain.Errorf(domain.NotFound, "No tollgate request TG-missing.")
	}
	return commands.Reply{Text: "Vote recorded on " + id + "."}, nil
}

func (v *voteRecorder) recorded() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.votes...)
}

func blockActions(user, action, value, responseURL string) map[string]any {
	return map[string]any{
		"type":         "block_actions",
		"user":         map[string]any{"id": user},
		"trigger_id":   nextTrigger(),
		"container":    map[string]any{"type": "message", "channel_id": "C0BOARD", "message_ts": "1764201600.000100"},
		"channel":      map[string]any{"id": "C0BOARD"},
		"response_url": responseURL,
		"actions":      []any{map[string]any{"action_id": action, "block_id": "tg", "value": value, "type": "button"}},
	}
}

func TestTollgateButtonsAndRejectModal(t *testing.T) {
	rec := &voteRecorder{}
	e := newEnv(t, func(c *envConfig) {
		c.engine = func(en *commands.Engine) bot.Engine { rec.Engine = en; return rec }
	})

	// Approve: the vote, then an ephemeral answer to the clicker.
	e.interaction(blockActions("U0LEE", "tollgate_approve", "TG-payroll-1", e.fake.ResponseURL("approve")))
	if resp := e.responses("approve", 1)[0]; resp.ResponseType != "ephemeral" || resp.ReplaceOriginal || !strings.Contains(resp.Text, "Vote recorded on TG-payroll-1") {
		t.Errorf("approve answer = %+v", resp)
	}
	// A refused vote explains itself the same way.
	e.interaction(blockActions("U0LEE", "tollgate_approve", "TG-missing", e.fake.ResponseURL("missing")))
	if resp := e.responses("missing", 1)[0]; !strings.Contains(resp.Text, "No tollgate request TG-missing") {
		t.Errorf("refusal = %q", resp.Text)
	}

	// Reject: a modal asking for the reason.
	e.interaction(blockActions("U0SAM", "tollgate_reject", "TG-payroll-1", e.fake.ResponseURL("reject")))
	e.wait("reject modal", func() bool { return len(e.fake.Opened()) == 1 })
	modal := e.fake.Opened()[0]
	if modal.CallbackID != "tollgate_reject" || modal.PrivateMetadata != "TG-payroll-1" {
		t.Fatalf("modal callback %q metadata %q", modal.CallbackID, modal.PrivateMetadata)
	}

	submit := func(reason string) reply {
		return e.interaction(map[string]any{
			"type":       "view_submission",
			"user":       map[string]any{"id": "U0SAM"},
			"trigger_id": nextTrigger(),
			"view": map[string]any{
				"id": modal.ID, "type": "modal", "callback_id": "tollgate_reject", "private_metadata": "TG-payroll-1", "hash": modal.Hash,
				"state": map[string]any{"values": map[string]any{"reason": map[string]any{"reason": map[string]any{"type": "plain_text_input", "value": reason}}}},
			},
		})
	}
	// No reason: the modal stays open with an error under the input.
	got := submit("   ")
	want := `{"response_action":"errors","errors":{"reason":"Please give a reason"}}`
	if got.status != http.StatusOK || got.body != want {
		t.Errorf("empty reason answered %d %s, want %s", got.status, got.body, want)
	}
	// With a reason: the vote, and the result in the voter's DM.
	if got := submit("DR plan missing"); got.status != http.StatusOK || got.body != "" {
		t.Errorf("submission answered %d %q, want 200 and nothing (modal closes)", got.status, got.body)
	}
	e.wait("DM with the result", func() bool { return len(e.fake.Messages("U0SAM")) == 1 })

	e.shutdown()
	wantVotes := []string{
		"U0LEE TG-payroll-1 true ",
		"U0LEE TG-missing true ",
		"U0SAM TG-payroll-1 false DR plan missing",
	}
	if got := rec.recorded(); strings.Join(got, "\n") != strings.Join(wantVotes, "\n") {
		t.Errorf("votes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantVotes, "\n"))
	}
}

func TestUnknownInteractionsAreAcknowledged(t *testing.T) {
	e := newEnv(t)
	for _, p := range []map[string]any{
		{"type": "block_actions", "user": map[string]any{"id": "U0LEE"}, "actions": []any{map[string]any{"action_id": "something_else", "value": "x", "type": "button"}}},
		{"type": "view_closed", "user": map[string]any{"id": "U0LEE"}},
		{"type": "message_action", "user": map[string]any{"id": "U0LEE"}, "callback_id": "nope"},
	} {
		if got := e.interaction(p); got.status != http.StatusOK {
			t.Errorf("%v: status %d", p["type"], got.status)
		}
	}
	if got := e.post("/slack/interactions", formType, []byte("payload=%7Bnot+json")); got.status != http.StatusBadRequest {
		t.Errorf("malformed payload: status %d, want 400", got.status)
	}
	e.shutdown()
	if calls := e.fake.Calls(""); len(calls) != 0 {
		t.Errorf("unknown interactions caused %d Slack calls", len(calls))
	}
}

func TestFindShortcutOpensModalAndAnswersInDM(t *testing.T) {
	e := newEnv(t)
	e.interaction(map[string]any{"type": "shortcut", "callback_id": "itspm_find", "trigger_id": nextTrigger(), "user": map[string]any{"id": "U0LEE"}})
	e.wait("find modal", func() bool { return len(e.fake.Opened()) == 1 })
	v := e.fake.Opened()[0]
	if v.CallbackID != "itspm_find" {
		t.Fatalf("modal %q", v.CallbackID)
	}
	e.interaction(map[string]any{"type": "view_submission", "user": map[string]any{"id": "U0LEE"}, "trigger_id": nextTrigger(),
		"view": map[string]any{"id": v.ID, "callback_id": "itspm_find", "state": map[string]any{"values": map[string]any{"query": map[string]any{"query": map[string]any{"value": "payroll"}}}}}})
	e.wait("find answer", func() bool { return len(e.fake.Messages("U0LEE")) == 1 })
	if text := blocksText(e.fake.Messages("U0LEE")[0].Blocks); !strings.Contains(text, "Payroll") {
		t.Errorf("find answer lacks Payroll:\n%s", text)
	}
}

func TestURLVerification(t *testing.T) {
	e := newEnv(t)
	got := e.post("/slack/events", "application/json", []byte(`{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`))
	if got.status != http.StatusOK || got.body != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("challenge answer = %d %q", got.status, got.body)
	}
}

func TestRetriedEventTakesEffectOnce(t *testing.T) {
	e := newEnv(t)
	mention := map[string]any{
		"type": "app_mention", "user": "U0SAM", "text": "<@U0000BOT1> owner payroll", "ts": "1764201700.000100",
		"channel": "C0PAYROLL", "event_ts": "1764201700.000100",
	}
	first := e.event("Ev0PAYROLL1", mention)
	retry := e.event("Ev0PAYROLL1", mention, "X-Slack-Retry-Num", "1", "X-Slack-Retry-Reason", "http_timeout")
	again := e.event("Ev0PAYROLL1", mention, "X-Slack-Retry-Num", "2", "X-Slack-Retry-Reason", "http_timeout")
	for i, got := range []reply{first, retry, again} {
		if got.status != http.StatusOK {
			t.Errorf("delivery %d: status %d", i, got.status)
		}
	}
	e.shutdown() // every acknowledged delivery has been worked on
	msgs := e.fake.Messages("C0PAYROLL")
	if len(msgs) != 1 {
		t.Fatalf("%d answers posted, want 1", len(msgs))
	}
	if msgs[0].ThreadTS != "1764201700.000100" {
		t.Errorf("answer thread_ts %q, want the mention's ts", msgs[0].ThreadTS)
	}
	if text := blocksText(msgs[0].Blocks); !strings.Contains(text, "<@U0LEE>") {
		t.Errorf("answer lacks the owner:\n%s", text)
	}
}

func TestDirectMessages(t *testing.T) {
	e := newEnv(t)
	dm := func(fields map[string]any) map[string]any {
		m := map[string]any{"type": "message", "channel": "D0SAM", "channel_type": "im", "user": "U0SAM", "text": "who owns payroll?", "ts": "1764201800.000100", "event_ts": "1764201800.000100"}
		for k, v := range fields {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name   string
		event  map[string]any
		answer bool
	}{
		{"question", dm(nil), true},
		{"from a bot", dm(map[string]any{"bot_id": "B0OTHER", "ts": "1764201800.000200"}), false},
		{"own message", dm(map[string]any{"user": "U0000BOT1", "ts": "1764201800.000300"}), false},
		{"edited", dm(map[string]any{"subtype": "message_changed", "ts": "1764201800.000400"}), false},
		{"channel message", dm(map[string]any{"channel_type": "channel", "channel": "C0PAYROLL", "ts": "1764201800.000500"}), false},
	}
	for i, tc := range tests {
		if got := e.event("EvDM"+strconv.Itoa(i), tc.event); got.status != http.StatusOK {
			t.Errorf("%s: status %d", tc.name, got.status)
		}
	}
	e.shutdown()
	msgs := e.fake.Messages("")
	if len(msgs) != 1 {
		t.Fatalf("%d answers, want 1 (only the person's question)", len(msgs))
	}
	if msgs[0].Channel != "D0SAM" || msgs[0].ThreadTS != "" {
		t.Errorf("answer in %s thread %q, want inline in D0SAM", msgs[0].Channel, msgs[0].ThreadTS)
	}
	if text := blocksText(msgs[0].Blocks); !strings.Contains(text, "Lee Chen") && !strings.Contains(text, "<@U0LEE>") {
		t.Errorf("answer lacks the owner:\n%s", text)
	}
}

func TestAppHomePublishesForKnownUser(t *testing.T) {
	e := newEnv(t)
	if got := e.event("EvHOME1", map[string]any{"type": "app_home_opened", "user": "U0LEE", "channel": "D0LEE", "tab": "home", "event_ts": "1764201900.000100"}); got.status != http.StatusOK {
		t.Fatalf("status %d", got.status)
	}
	e.event("EvHOME2", map[string]any{"type": "app_home_opened", "user": "U0STRANGER", "channel": "D0X", "tab": "home", "event_ts": "1764201900.000200"})
	e.event("EvHOME3", map[string]any{"type": "app_home_opened", "user": "U0LEE", "channel": "D0LEE", "tab": "messages", "event_ts": "1764201900.000300"})
	e.shutdown()
	views := e.fake.Published("U0LEE")
	if len(views) != 1 {
		t.Fatalf("%d home views published for U0LEE, want 1", len(views))
	}
	text := blocksText(views[0].Blocks)
	for _, want := range []string{"Hello, Lee Chen", "Services you own", "Payroll", "Coming up"} {
		if !strings.Contains(text, want) {
			t.Errorf("home lacks %q:\n%s", want, text)
		}
	}
	if v := e.fake.Published("U0STRANGER"); len(v) != 1 || !strings.Contains(blocksText(v[0].Blocks), "not in the catalog") {
		t.Errorf("stranger's home = %+v", v)
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	down := &flakyStore{err: errors.New("connection refused")}
	tests := []struct {
		name  string
		store bot.Store
		ready int
	}{
		{"store up", nil, http.StatusOK},
		{"store down", down, http.StatusServiceUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *envConfig) { c.store = tc.store })
			get := func(path string) reply {
				req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
				return do(t, req)
			}
			if got := get("/healthz"); got.status != http.StatusOK {
				t.Errorf("/healthz = %d", got.status)
			}
			if got := get("/readyz"); got.status != tc.ready {
				t.Errorf("/readyz = %d, want %d", got.status, tc.ready)
			}
			e.slashCommand("U0LEE", "help", "m")
			if got := get("/metrics"); got.status != http.StatusOK || !strings.Contains(got.body, `itspm_requests_total{endpoint="commands",outcome="ok"}`) || !strings.Contains(got.body, "itspm_ack_latency_seconds_bucket") {
				t.Errorf("/metrics = %d, lacking request series", got.status)
			}
		})
	}
}

// flakyStore is a store whose every call fails.
type flakyStore struct{ err error }

func (f *flakyStore) Ping(context.Context) error { return f.err }
func (f *flakyStore) ClaimEvent(context.Context, string) (bool, error) {
	return false, f.err
}
