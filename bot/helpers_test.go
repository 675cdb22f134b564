package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/itspm/itspm/bot"
	"github.com/itspm/itspm/catalog"
	"github.com/itspm/itspm/catalog/sample"
	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/internal/fakeslack"
	"github.com/itspm/itspm/questions"
	"github.com/itspm/itspm/storage"
	"github.com/itspm/itspm/storage/storetest"
	"github.com/itspm/itspm/tollgates"
)

// Slack's documented example signing secret.
const secret = "8f742231b10e8888abcd99yyyzzz85a5"

// now is the tests' fixed clock: verification, engine dates.
var now = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return now }

// quietLogger keeps test output readable; errors still show.
func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
}

// loadSample imports the sample catalog into st, and returns nothing: the
// store's snapshot is what the engine reads.
func loadSample(t testing.TB, st *storage.Store) {
	t.Helper()
	files, err := catalog.ReadFS(sample.FS)
	if err != nil {
		t.Fatalf("read sample: %v", err)
	}
	set, errs := catalog.Parse(files)
	if err := errs.Err(); err != nil {
		t.Fatalf("parse sample: %v", err)
	}
	if _, err := st.Apply(context.Background(), &set.Catalog, "test", "sample"); err != nil {
		t.Fatalf("import sample: %v", err)
	}
}

// sleepLog replaces the sender's waits: it records them and returns at
// once, so tests see Retry-After honoured without waiting.
type sleepLog struct {
	mu sync.Mutex
	ds []time.Duration
}

func (l *sleepLog) sleep(ctx context.Context, d time.Duration) error {
	if d > 0 {
		l.mu.Lock()
		l.ds = append(l.ds, d)
		l.mu.Unlock()
	}
	return ctx.Err()
}

func (l *sleepLog) waits() []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]time.Duration(nil), l.ds...)
}

// env is one bot over real HTTP, with the fake Slack, a real embedded
// store holding the sample catalog, and the real engine.
type env struct {
	t      *testing.T
	fake   *fakeslack.Server
	store  *storage.Store
	engine *commands.Engine
	sender *bot.Sender
	bot    *bot.Server
	srv    *httptest.Server
	sleeps *sleepLog
}

type envConfig struct {
	engine  func(*commands.Engine) bot.Engine // wraps the engine
	store   bot.Store                         // replaces the store given to the bot
	workers int
	head    time.Duration // the bot's HeadStart
	apiURL  func(*fakeslack.Server) string
	app     string       // app-level token
	flow    bool         // wire the tollgate workflow, delivering through the sender
	logger  *slog.Logger // the bot's and the sender's; nil: quietLogger
	render  func(commands.Chart) ([]byte, error)
}

func newEnv(t *testing.T, opts ...func(*envConfig)) *env {
	t.Helper()
	var cfg envConfig
	for _, o := range opts {
		o(&cfg)
	}
	fake := fakeslack.New()
	t.Cleanup(fake.Close)
	st := storetest.New(t)
	loadSample(t, st)
	snap, err := st.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range snap.People {
		if p.SlackUser != "" {
			fake.AddUser(fakeslack.User{ID: p.SlackUser, Name: p.Name, RealName: p.Label(), Email: p.Email})
		}
	}
	e := &env{t: t, fake: fake, store: st, sleeps: &sleepLog{}}
	e.engine = commands.New(st, commands.Options{Now: fixedNow, Logger: quietLogger()})
	e.engine.SetQuestions(questions.New(e.engine))
	var engine bot.Engine = e.engine
	if cfg.engine != nil {
		engine = cfg.engine(e.engine)
	}
	apiURL := fake.APIURL()
	if cfg.apiURL != nil {
		apiURL = cfg.apiURL(fake)
	}
	logger := cfg.logger
	if logger == nil {
		logger = quietLogger()
	}
	e.sender = bot.NewSender(bot.NewClient("xoxb-test", cfg.app, apiURL), bot.SenderOptions{
		Logger: logger, Pace: -1, Sleep: e.sleeps.sleep,
	})
	if cfg.flow {
		e.engine.SetWorkflow(tollgates.New(e.engine, st, e.sender, tollgates.Options{Logger: quietLogger()}))
	}
	var store bot.Store = st
	if cfg.store != nil {
		store = cfg.store
	}
	e.bot = bot.New(engine, e.sender, store, bot.Options{
		SigningSecret: secret, BotUserID: fakeslack.DefaultIdentity.BotUserID,
		Logger: logger, Now: fixedNow, Workers: cfg.workers, HeadStart: cfg.head, RenderChart: cfg.render,
	})
	e.srv = httptest.NewServer(e.bot.Handler())
	t.Cleanup(func() {
		e.srv.Close()
		e.shutdown()
	})
	return e
}

// shutdown drains the bot's acknowledged work: after it, every effect of
// the requests sent so far is visible in the fake.
func (e *env) shutdown() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.bot.Shutdown(ctx); err != nil {
		e.t.Errorf("shutdown: %v", err)
	}
}

// signedRequest builds a request signed like Slack's.
func signedRequest(t testing.TB, base, path, contentType string, body []byte, ts time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set(bot.HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set(bot.HeaderSignature, bot.Sign(secret, ts.Unix(), body))
	return req
}

// reply is an HTTP answer read in full.
type reply struct {
	status  int
	body    string
	header  http.Header
	elapsed time.Duration
}

func do(t testing.TB, req *http.Request) reply {
	t.Helper()
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, body: string(b), header: resp.Header, elapsed: time.Since(start)}
}

func (e *env) post(path, contentType string, body []byte, header ...string) reply {
	e.t.Helper()
	req := signedRequest(e.t, e.srv.URL, path, contentType, body, now)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return do(e.t, req)
}

const formType = "application/x-www-form-urlencoded"

// slashCommand posts /itspm text as user, answering to ResponseURL(name).
func (e *env) slashCommand(user, text, responseName string) reply {
	e.t.Helper()
	return e.post("/slack/commands", formType, []byte(slashForm(user, text, e.fake.ResponseURL(responseName)).Encode()))
}

var triggerSeq struct {
	sync.Mutex
	n int
}

func nextTrigger() string {
	triggerSeq.Lock()
	defer triggerSeq.Unlock()
	triggerSeq.n++
	return fmt.Sprintf("13345224609.738474920.%08x", triggerSeq.n)
}

// slashForm is a slash command body as Slack sends it.
func slashForm(user, text, responseURL string) url.Values {
	return url.Values{
		"token":        {"gIkuvaNzQIHg97ATvDxqgjtO"},
		"team_id":      {"T0000FAKE"},
		"team_domain":  {"itspm-test"},
		"channel_id":   {"C0PAYROLL"},
		"channel_name": {"payroll"},
		"user_id":      {user},
		"user_name":    {"someone"},
		"command":      {"/itspm"},
		"text":         {text},
		"api_app_id":   {"A0000APP1"},
		"response_url": {responseURL},
		"trigger_id":   {nextTrigger()},
	}
}

// interaction posts a payload= form, as Slack sends interactions.
func (e *env) interaction(payload any) reply {
	e.t.Helper()
	b, err := json.Marshal(payload)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.post("/slack/interactions", formType, []byte(url.Values{"payload": {string(b)}}.Encode()))
}

// event posts an Events API callback.
func (e *env) event(eventID string, inner map[string]any, header ...string) reply {
	e.t.Helper()
	b, err := json.Marshal(eventCallback(eventID, inner))
	if err != nil {
		e.t.Fatal(err)
	}
	return e.post("/slack/events", "application/json", b, header...)
}

func eventCallback(eventID string, inner map[string]any) map[string]any {
	return map[string]any{
		"token":        "XXYYZZ",
		"team_id":      "T0000FAKE",
		"api_app_id":   "A0000APP1",
		"event":        inner,
		"type":         "event_callback",
		"event_id":     eventID,
		"event_time":   now.Unix(),
		"authed_users": []string{fakeslack.DefaultIdentity.BotUserID},
	}
}

// wait waits for cond on the fake, failing the test after 10 s.
func (e *env) wait(what string, cond func() bool) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.fake.WaitFor(ctx, cond); err != nil {
		e.t.Fatalf("waiting for %s: %v", what, err)
	}
}

// responses waits for n posts to the response_url called name.
func (e *env) responses(name string, n int) []fakeslack.Response {
	e.t.Helper()
	e.wait("response_url "+name, func() bool { return len(e.fake.Responses(name)) >= n })
	return e.fake.Responses(name)
}

// blocksText flattens rendered blocks into their visible text.
func blocksText(raw json.RawMessage) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return ""
	}
	var b strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				if s, ok := c.(string); ok {
					if k == "text" {
						b.WriteString(s)
						b.WriteByte('\n')
					}
					continue
				}
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(v)
	return b.String()
}

func decodeBlocks(t testing.TB, raw []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("blocks: %v", err)
	}
	return out
}
