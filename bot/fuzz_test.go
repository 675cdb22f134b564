package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/itspm/itspm/bot"
	"github.com/itspm/itspm/catalog"
	"github.com/itspm/itspm/catalog/sample"
	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/questions"
	"github.com/itspm/itspm/storage/storetest"
	"github.com/itspm/itspm/tollgates"
)

// Hostile input: whatever a correctly signed request carries, the bot
// answers 200 or 400 within 2 s, its background work ends, nothing panics,
// and nothing it sends to Slack holds live markup (<!channel>, a forged
// <@…>, a link) or breaks Block Kit's limits. The requests go through the
// real Handler, engine (with the tollgate workflow) and embedded store;
// Slack is a transport that answers every call at once and checks it.
//
// go test runs the seeds (and any inputs kept under testdata/fuzz); to
// fuzz, one target at a time:
//
//	go test -run XXX -fuzz FuzzSlashCommand -fuzztime 90s -fuzzminimizetime 3s ./bot/
//
// Inputs that fail are written to testdata/fuzz/<target>/: fix the bug and
// keep the file, so it stays a regression seed.

// fuzzBot is what a fuzz target shares between inputs.
type fuzzBot struct {
	store  bot.Store
	engine *commands.Engine
	sender *bot.Sender
	sink   *slackSink
	watch  *panicWatch
}

func newFuzzBot(f *testing.F) *fuzzBot {
	f.Helper()
	sink := &slackSink{}
	watch := &panicWatch{}
	logger := slog.New(watch)
	api := slack.New("xoxb-fuzz", slack.OptionAPIURL("http://slack.invalid/api/"), slack.OptionHTTPClient(&http.Client{Transport: sink}))
	sender := bot.NewSender(api, bot.SenderOptions{
		Logger: logger, Pace: -1, HTTPClient: &http.Client{Transport: sink},
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
	})
	fb := &fuzzBot{sender: sender, sink: sink, watch: watch}
	opts := commands.Options{Now: fixedNow, Logger: logger, Admins: []string{"U0DANA"}}
	if fuzzing() {
		// Fuzzing explores by coverage, and the database's background
		// work makes coverage noisy: every input looks new. So fuzzing runs
		// over the sample catalog in memory; the seeds and the inputs kept
		// in testdata (plain go test) run over the real store.
		mem := newMemStore(f)
		fb.engine, fb.store = commands.New(mem, opts), mem
		fb.engine.SetQuestions(questions.New(fb.engine))
		return fb
	}
	st := storetest.New(f)
	loadSample(f, st)
	fb.engine, fb.store = commands.New(st, opts), st
	fb.engine.SetQuestions(questions.New(fb.engine))
	fb.engine.SetWorkflow(tollgates.New(fb.engine, st, sender, tollgates.Options{Logger: logger}))
	return fb
}

// fuzzing reports whether the test binary runs with -fuzz.
func fuzzing() bool {
	fl := flag.Lookup("test.fuzz")
	return fl != nil && fl.Value.String() != ""
}

// memStore is the sample catalog in memory: commands.Store and bot.Store.
type memStore struct {
	snap   *domain.Snapshot
	mu     sync.Mutex
	claims map[string]bool
}

func newMemStore(t testing.TB) *memStore {
	files, err := catalog.ReadFS(sample.FS)
	if err != nil {
		t.Fatal(err)
	}
	set, errs := catalog.Parse(files)
	if err := errs.Err(); err != nil {
		t.Fatal(err)
	}
	s := domain.NewSnapshot(&set.Catalog)
	return &memStore{snap: s, claims: map[string]bool{}}
}

func (m *memStore) Snapshot(context.Context) (*domain.Snapshot, error) { return m.snap, nil }
func (m *memStore) History(context.Context, string, int) ([]domain.AuditEntry, error) {
	return nil, nil
}

// UpdateService applies change to a copy and keeps nothing: inputs stay
// independent of each other.
func (m *memStore) UpdateService(_ context.Context, name string, _ domain.AuditEntry, change func(*domain.Service) error) (*domain.Service, error) {
	s, ok := m.snap.Services[name]
	if !ok {
		return nil, domain.Errorf(domain.NotFound, "There is no service %q.", name)
	}
	c := *s
	return &c, change(&c)
}

func (m *memStore) Ping(context.Context) error { return nil }

func (m *memStore) ClaimEvent(_ context.Context, key string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.claims) > 10000 {
		clear(m.claims)
	}
	first := !m.claims[key]
	m.claims[key] = true
	return first, nil
}

// maxAck is the longest a request may take to be answered (Slack's limit
// is 3 s).
const maxAck = 2 * time.Second

// serve sends body, signed, to path through a fresh Server, waits for the
// work it started, and checks everything the bot did.
func (fb *fuzzBot) serve(t *testing.T, path, contentType string, body []byte) int {
	t.Helper()
	srv := bot.New(fb.engine, fb.sender, fb.store, bot.Options{
		SigningSecret: secret, BotUserID: "U0000BOT1", Logger: slog.New(fb.watch), Now: fixedNow,
		WorkTimeout: 10 * time.Second,
	})
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set(bot.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(bot.HeaderSignature, bot.Sign(secret, now.Unix(), body))
	rec := httptest.NewRecorder()
	start := time.Now()
	srv.Handler().ServeHTTP(rec, req)
	if d := time.Since(start); d > maxAck {
		t.Errorf("acknowledged after %v (limit %v)", d, maxAck)
	}
	switch rec.Code {
	case http.StatusOK, http.StatusBadRequest:
	default:
		t.Errorf("status %d %q, want 200 or 400", rec.Code, rec.Body.String())
	}
	if rec.Code == http.StatusOK && strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		fb.sink.check(t, "acknowledgement", rec.Body.Bytes())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Errorf("work did not end: %v", err)
	}
	if p := fb.watch.take(); p != "" {
		t.Errorf("panic: %s", p)
	}
	if v := fb.sink.take(); v != "" {
		t.Error(v)
	}
	return rec.Code
}

// panicWatch is the fuzz targets' log handler: it drops everything but
// remembers panics.
type panicWatch struct {
	mu     sync.Mutex
	panics []string
}

func (w *panicWatch) Enabled(context.Context, slog.Level) bool { return true }
func (w *panicWatch) WithAttrs([]slog.Attr) slog.Handler       { return w }
func (w *panicWatch) WithGroup(string) slog.Handler            { return w }
func (w *panicWatch) Handle(_ context.Context, r slog.Record) error {
	if !strings.Contains(r.Message, "panic") {
		return nil
	}
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "panic" || a.Key == "stack" {
			fmt.Fprintf(&b, "\n%s: %s", a.Key, a.Value)
		}
		return true
	})
	w.mu.Lock()
	w.panics = append(w.panics, b.String())
	w.mu.Unlock()
	return nil
}

func (w *panicWatch) take() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := strings.Join(w.panics, "\n")
	w.panics = nil
	return s
}

// slackSink answers every Web API call and response_url post at once, and
// checks what the bot sent.
type slackSink struct {
	mu         sync.Mutex
	violations []string
}

func (s *slackSink) RoundTrip(r *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(r.Body)
	_ = r.Body.Close()
	answer := `{"ok":true}`
	if r.URL.Host == "slack.invalid" {
		method := strings.TrimPrefix(r.URL.Path, "/api/")
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			s.checkJSONish(method, body)
		} else {
			form, _ := url.ParseQuery(string(body))
			if t := form.Get("text"); t != "" {
				s.checkMrkdwn(method+" text", t)
			}
			for _, k := range []string{"blocks", "view"} {
				if v := form.Get(k); v != "" {
					s.checkJSONish(method+" "+k, []byte(v))
				}
			}
		}
		switch method {
		case "chat.postMessage":
			answer = `{"ok":true,"channel":"C0FUZZ","ts":"1764201600.000100"}`
		case "chat.postEphemeral":
			answer = `{"ok":true,"message_ts":"1764201600.000100"}`
		case "conversations.open":
			answer = `{"ok":true,"channel":{"id":"D0FUZZ"}}`
		case "views.open", "views.publish", "views.update":
			answer = `{"ok":true,"view":{"id":"V0FUZZ"}}`
		case "auth.test":
			answer = `{"ok":true,"user_id":"U0000BOT1"}`
		case "users.lookupByEmail":
			answer = `{"ok":true,"user":{"id":"U0FUZZ"}}`
		}
	} else {
		// A response_url: JSON with text and blocks.
		s.checkJSONish("response_url", body)
		answer = "ok"
	}
	return &http.Response{
		StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(answer)), Request: r,
	}, nil
}

func (s *slackSink) fail(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.violations) < 10 {
		s.violations = append(s.violations, fmt.Sprintf(format, args...))
	}
}

func (s *slackSink) take() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := strings.Join(s.violations, "\n")
	s.violations = nil
	return v
}

// check is checkJSONish for a synchronous answer, failing t directly.
func (s *slackSink) check(t *testing.T, what string, body []byte) {
	t.Helper()
	s.checkJSONish(what, body)
	if v := s.take(); v != "" {
		t.Error(v)
	}
}

// checkJSONish checks every JSON value in body: blocks within Slack's
// limits, mrkdwn texts without live markup.
func (s *slackSink) checkJSONish(what string, body []byte) {
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		var v any
		if err := dec.Decode(&v); err != nil {
			return
		}
		s.walk(what, v)
	}
}

func (s *slackSink) walk(what string, v any) {
	switch x := v.(type) {
	case map[string]any:
		if blocks, ok := x["blocks"].([]any); ok && len(blocks) > bot.MaxViewBlocks {
			s.fail("%s: %d blocks", what, len(blocks))
		}
		if x["type"] == "mrkdwn" {
			text, _ := x["text"].(string)
			s.checkMrkdwn(what, text)
		}
		if t, ok := x["text"].(string); ok && x["type"] == nil {
			s.checkMrkdwn(what+" fallback", t) // a message's top-level text
		}
		for _, c := range x {
			s.walk(what, c)
		}
	case []any:
		for _, c := range x {
			s.walk(what, c)
		}
	}
}

// markup is anything Slack would parse in mrkdwn: <…> sequences.
var (
	markup      = regexp.MustCompile(`<[^>]*>?`)
	liveMention = regexp.MustCompile(`^<@[UW][A-Z0-9]+>$`)
)

func (s *slackSink) checkMrkdwn(what, text string) {
	if n := utf8.RuneCountInString(text); n > 3000 {
		s.fail("%s: mrkdwn text of %d runes", what, n)
	}
	if !utf8.ValidString(text) {
		s.fail("%s: invalid UTF-8", what)
	}
	for _, m := range markup.FindAllString(text, -1) {
		if !liveMention.MatchString(m) {
			s.fail("%s: live markup %q in %q", what, m, clipForLog(text))
		}
	}
}

func clipForLog(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// ---- the targets ----

func FuzzSlashCommand(f *testing.F) {
	form := func(user, text string) string {
		v := slashForm(user, text, "https://hooks.slack.com/commands/T0000FAKE/1/fuzz")
		v.Set("trigger_id", "13345224609.738474920.fuzz")
		return v.Encode()
	}
	for _, seed := range []string{
		form("U0LEE", "owner payroll"),
		form("U0SAM", ""),
		form("U0DANA", "service payroll"),
		form("U0DANA", "cost payroll"),
		form("U0DANA", "deps identity"),
		form("U0DANA", "find finance"),
		form("U0DANA", "roadmap payroll"),
		form("U0DANA", "dr payroll record pass <!channel> drill"),
		form("U0LEE", "tollgate payroll improve"),
		form("U0LEE", "tollgates mine"),
		form("U0LEE", "approve TG-payroll-1 <@U0SAM> *ok*"),
		form("U0LEE", "reject TG-payroll-1 <https://evil|click>"),
		form("U0LEE", "history payroll"),
		form("U0LEE", "who owns payroll?"),
		form("U0LEE", "owner \uE000U1><!channel|x\uE001"),
		form("U0LEE", "find \uE000<!here>|\uE001"),
		form("U0LEE", "owner \xff\xfe"),
		form("U0LEE", strings.Repeat("find a ", 700)),
		form("", "owner payroll"),
		// Hostile IDs reach the store: a tollgate request's requester.
		form("U0LEE\xff\x00$x.y", "tollgate payroll improve"),
		form(strings.Repeat("U", 5000), "tollgates mine"),
		"user_id=U0LEE&text=%ZZ",
		"user_id=U0LEE&text=owner+payroll&text=cost+payroll",
		"user_id=U0LEE&response_url=%00&text=help",
		"user_id=U0LEE&response_url=ftp%3A%2F%2Fx&channel_id=C1&text=help",
		"user_id=U0LEE;text=help",
		"",
	} {
		f.Add(seed)
	}
	fb := newFuzzBot(f)
	f.Fuzz(func(t *testing.T, body string) {
		fb.serve(t, "/slack/commands", formType, []byte(body))
	})
}

func FuzzInteractionPayload(f *testing.F) {
	js := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		return string(b)
	}
	view := func(callback, private string, values map[string]any) map[string]any {
		return map[string]any{
			"type": "view_submission", "user": map[string]any{"id": "U0LEE"}, "trigger_id": "t.1",
			"team": map[string]any{"id": "T0000FAKE"},
			"view": map[string]any{"id": "V1", "hash": "h1", "callback_id": callback, "private_metadata": private, "state": map[string]any{"values": values}},
		}
	}
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	for _, seed := range []string{
		js(blockActions("U0SAM", "run_command#2", "cost payroll", "https://hooks.slack.com/actions/T0000FAKE/1/fuzz")),
		js(blockActions("U0DANA", "tollgate_approve", "TG-payroll-1", "https://hooks.slack.com/actions/T0000FAKE/1/fuzz")),
		js(blockActions("U0DANA", "tollgate_reject#3", "TG-payroll-1 <!channel>", "")),
		js(blockActions("U0DANA", "run_command", "owner \uE000U1><!channel|x\uE001", "")),
		js(blockActions("U0DANA", "unknown_action", "x", "")),
		js(view(bot.CallbackTollgateReject, "TG-payroll-1", map[string]any{"reason": map[string]any{"reason": map[string]any{"type": "plain_text_input", "value": "DR plan <!here> missing & *late*"}}})),
		js(view(bot.CallbackTollgateReject, "TG-payroll-1", map[string]any{})),
		js(view(bot.CallbackFind, "", map[string]any{"query": map[string]any{"query": map[string]any{"type": "plain_text_input", "value": "finance"}}})),
		js(view("other", "", nil)),
		js(map[string]any{"type": "shortcut", "callback_id": bot.CallbackFind, "trigger_id": "t.2", "user": map[string]any{"id": "U0LEE"}}),
		js(map[string]any{"type": "message_action", "callback_id": "x", "user": map[string]any{"id": "U0LEE"}}),
		js(map[string]any{"type": "block_actions", "user": map[string]any{"id": "U0LEE"}, "actions": []any{nil, 1, "x"}}),
		js(map[string]any{"type": "view_submission", "user": map[string]any{"id": "U0LEE"}, "view": map[string]any{"blocks": []any{map[string]any{"type": "section", "text": 7}}}}),
		`{"type":"block_actions","user":{"id":"U0LEE"},"actions":[{"action_id":"run_command","value":"\xff\xfe help"}]}`,
		`{"type":"block_actions","user":{"id":"U0LEE"},"message":{"blocks":` + deep + `}}`,
		`{"type":"view_submission","user":{"id":"U0LEE"},"view":{"callback_id":"itspm_find","state":{"values":{"query":{"query":{"value":"` + strings.Repeat("x", 200000) + `"}}}}}}`,
		deep,
		`null`, `[]`, `"x"`, `{}`, `{"type":null}`, "\xff",
	} {
		f.Add(seed)
	}
	fb := newFuzzBot(f)
	f.Fuzz(func(t *testing.T, payload string) {
		fb.serve(t, "/slack/interactions", formType, []byte(url.Values{"payload": {payload}}.Encode()))
	})
}

func FuzzEvent(f *testing.F) {
	js := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		return string(b)
	}
	deep := strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000)
	for _, seed := range []string{
		`{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`,
		js(eventCallback("EvF1", map[string]any{"type": "app_mention", "user": "U0LEE", "text": "<@U0000BOT1> owner payroll", "ts": "1764201600.000100", "channel": "C0PAYROLL"})),
		js(eventCallback("EvF2", map[string]any{"type": "message", "channel_type": "im", "channel": "D0LEE", "user": "U0LEE", "text": "who owns <#C1|payroll>? &lt;!channel&gt;", "ts": "1764201600.000200"})),
		js(eventCallback("EvF3", map[string]any{"type": "app_home_opened", "user": "U0LEE", "tab": "home"})),
		js(eventCallback("EvF4", map[string]any{"type": "message", "channel_type": "im", "channel": "D0LEE", "user": "U0LEE", "subtype": "message_changed"})),
		js(eventCallback("EvF5", map[string]any{"type": "app_mention", "user": "U0LEE", "text": "<@U0000BOT1> find \uE000U1><!channel|x\uE001", "channel": "C0PAYROLL", "thread_ts": "1.2"})),
		js(eventCallback("EvF6", map[string]any{"type": "reaction_added", "user": "U0LEE"})),
		js(eventCallback("", map[string]any{"type": "message", "channel_type": "im", "user": "U0LEE", "text": strings.Repeat("<@U0LEE|x>", 2000)})),
		js(eventCallback("EvF7", nil)),
		// Hostile event IDs reach the store as claim keys.
		js(eventCallback(strings.Repeat("E", 200000), map[string]any{"type": "app_home_opened", "user": "U0LEE"})),
		js(eventCallback("Ev\x00$.{}", map[string]any{"type": "app_home_opened", "user": "U0LEE"})),
		`{"type":"event_callback","event_id":"Ev\ud800","event":{"type":"app_home_opened","user":"U0LEE\u0000"}}`,
		`{"type":"event_callback","event":{"type":"message","channel_type":"im","user":"U0LEE","text":"\xff"},"event_id":"EvF8"}`,
		`{"type":"event_callback","event":[1,2]}`,
		`{"type":"event_callback","event":{"type":7}}`,
		`{"type":"app_rate_limited","minute_rate_limited":1518467820}`,
		`{"type":"url_verification"}`,
		`{"type":"url_verification","challenge":{"x":1}}`,
		`{"type":"x"}`,
		deep, `null`, `[]`, `{}`, "\xff", "",
	} {
		f.Add(seed)
	}
	fb := newFuzzBot(f)
	f.Fuzz(func(t *testing.T, body string) {
		fb.serve(t, "/slack/events", "application/json", []byte(body))
	})
}
