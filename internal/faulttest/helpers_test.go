package faulttest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/itspm/itspm/bot"
	"github.com/itspm/itspm/catalog"
	"github.com/itspm/itspm/catalog/sample"
	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/internal/fakeslack"
	"github.com/itspm/itspm/internal/faultproxy"
	"github.com/itspm/itspm/internal/testclock"
	"github.com/itspm/itspm/questions"
	"github.com/itspm/itspm/storage"
	"github.com/itspm/itspm/storage/storetest"
	"github.com/itspm/itspm/tollgates"
)

const secret = "fault-test-signing-secret"

// unavailableText is what storage says (domain.Unavailable) when the store
// cannot be reached.
const unavailableText = "The catalog is unavailable right now"

// sampleUsers are the Slack users of the sample catalog.
var sampleUsers = []string{"U0DANA", "U0LEE", "U0SAM", "U0PRIYA", "U0MARCO", "U0AISHA", "U0NINA", "U0JONAS", "U0MEI", "U0TOM", "U0SOFIA", "U0OMAR", "U0RACHEL"}

func quiet() *slog.Logger {
	if os.Getenv("ITSPM_FAULT_LOGS") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// proxiedStore opens a store on database db of the test binary's embedded
// server, through a fault proxy the test controls.
func proxiedStore(t *testing.T, db string, now func() time.Time) (*storage.Store, *faultproxy.Proxy) {
	t.Helper()
	u, err := url.Parse(storetest.URI(t))
	if err != nil {
		t.Fatal(err)
	}
	p, err := faultproxy.New(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// directConnection: talk to this address only (the server reports
	// its own address, which is not the proxy's).
	st, err := storage.Open(ctx, storage.Config{
		URI: "mongodb://" + p.Addr() + "/?directConnection=true", Database: db, Logger: quiet(), Now: now,
	})
	if err != nil {
		p.Close()
		t.Fatalf("open store through the proxy: %v", err)
	}
	t.Cleanup(func() {
		p.Pass()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = st.Drop(ctx)
		_ = st.Close(ctx)
		p.Close()
	})
	return st, p
}

func loadSample(t *testing.T, st *storage.Store) {
	t.Helper()
	files, err := catalog.ReadFS(sample.FS)
	if err != nil {
		t.Fatal(err)
	}
	set, errs := catalog.Parse(files)
	if err := errs.Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Apply(context.Background(), &set.Catalog, "test", "sample"); err != nil {
		t.Fatal(err)
	}
}

func newSlack(t *testing.T) *fakeslack.Server {
	t.Helper()
	fs := fakeslack.New()
	t.Cleanup(fs.Close)
	for _, u := range sampleUsers {
		fs.AddUser(fakeslack.User{ID: u, Name: strings.ToLower(strings.TrimPrefix(u, "U0"))})
	}
	return fs
}

// replica is one itspm process's worth of pieces: engine, tollgate
// workflow, Slack sender and bot over one store.
type replica struct {
	store  *storage.Store
	engine *commands.Engine
	flow   *tollgates.Workflow
	sender *bot.Sender
	bot    *bot.Server
	srv    *httptest.Server
}

type replicaOptions struct {
	now         func() time.Time // engine and tollgates; nil: time.Now
	workers     int
	workTimeout time.Duration
	grace       time.Duration // tollgate grace; 0: default
	sender      bot.SenderOptions
	logger      *slog.Logger // the bot's; nil: quiet()
	// flowStore replaces the store of the tollgate workflow (to stop a
	// replica at a precise step).
	flowStore   tollgates.Store
	apiURL      string // Slack Web API; "": the fake's
	slackClient *http.Client
}

func newReplica(t *testing.T, st *storage.Store, fs *fakeslack.Server, o replicaOptions) *replica {
	t.Helper()
	r := &replica{store: st}
	r.engine = commands.New(st, commands.Options{Admins: []string{"U0DANA"}, Now: o.now, Logger: quiet()})
	r.engine.SetQuestions(questions.New(r.engine))
	apiURL := o.apiURL
	if apiURL == "" {
		apiURL = fs.APIURL()
	}
	so := o.sender
	if so.Logger == nil {
		so.Logger = quiet()
	}
	if so.Pace == 0 {
		so.Pace = -1
	}
	r.sender = bot.NewSender(slackClient(apiURL, o.slackClient), so)
	var fst tollgates.Store = st
	if o.flowStore != nil {
		fst = o.flowStore
	}
	r.flow = tollgates.New(r.engine, fst, r.sender, tollgates.Options{Logger: quiet(), Grace: o.grace})
	r.engine.SetWorkflow(r.flow)
	logger := o.logger
	if logger == nil {
		logger = quiet()
	}
	r.bot = bot.New(r.engine, r.sender, st, bot.Options{
		SigningSecret: secret, BotUserID: fakeslack.DefaultIdentity.BotUserID, Logger: logger,
		Workers: o.workers, WorkTimeout: o.workTimeout,
	})
	r.srv = httptest.NewServer(r.bot.Handler())
	t.Cleanup(func() {
		r.srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = r.bot.Shutdown(ctx)
	})
	return r
}

// ---- requests as Slack sends them ----

var httpClient = &http.Client{Timeout: 30 * time.Second}

var seq atomic.Int64

// ack is the bot's answer to one request.
type ack struct {
	status  int
	body    string
	elapsed time.Duration
	err     error
}

func signedPost(base, path, contentType, body string) ack {
	req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
	if err != nil {
		return ack{err: err}
	}
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", contentType)
	req.Header.Set(bot.HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(bot.HeaderSignature, bot.Sign(secret, ts, []byte(body)))
	start := time.Now()
	resp, err := httpClient.Do(req)
	if err != nil {
		return ack{err: err, elapsed: time.Since(start)}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return ack{status: resp.StatusCode, body: string(b), elapsed: time.Since(start)}
}

// command sends `/itspm text` from user to the bot at base; the answer goes
// to the fake's response_url called name.
func command(base string, fs *fakeslack.Server, user, text, name string) ack {
	form := url.Values{
		"token": {"legacy"}, "team_id": {"T0000FAKE"}, "team_domain": {"itspm-test"},
		"channel_id": {"C0GENERAL"}, "channel_name": {"general"},
		"user_id": {user}, "user_name": {strings.ToLower(strings.TrimPrefix(user, "U0"))},
		"command": {"/itspm"}, "text": {text}, "api_app_id": {"A0000APP1"},
		"response_url": {fs.ResponseURL(name)},
		"trigger_id":   {fmt.Sprintf("trigger-%d", seq.Add(1))},
	}
	return signedPost(base, "/slack/commands", "application/x-www-form-urlencoded", form.Encode())
}

func get(u string) int {
	resp, err := httpClient.Get(u)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// answer is the text of the first post to the response_url called name
// ("" when none yet).
func answer(fs *fakeslack.Server, name string) string {
	rs := fs.Responses(name)
	if len(rs) == 0 {
		return ""
	}
	return string(rs[0].Body)
}

// waitFor polls cond until it holds or timeout passes (the conditions are
// other goroutines' and processes' progress, not a schedule).
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitSlack waits on the fake Slack for cond.
func waitSlack(t *testing.T, fs *fakeslack.Server, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := fs.WaitFor(ctx, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p / 100 * float64(len(s)))
	return s[min(i, len(s)-1)]
}

// clock is a settable clock shared by replicas, which also stands in for
// the bot's sleeps and the scheduler's timers.
type clock struct{ *testclock.Clock }

func newClock(t time.Time) *clock { return &clock{testclock.New(t)} }

// sleep advances the clock instead of waiting (Retry-After, backoff).
func (c *clock) sleep(ctx context.Context, d time.Duration) error {
	if d > 0 {
		c.Add(d)
	}
	return ctx.Err()
}

// after advances the clock by d and fires at once.
func (c *clock) after(d time.Duration) <-chan time.Time {
	c.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.Now()
	return ch
}

// slackClient is the bot's Slack client; hc replaces its HTTP client (a
// short timeout for timeout tests).
func slackClient(apiURL string, hc *http.Client) *slack.Client {
	if hc == nil {
		return bot.NewClient("xoxb-fault-test", "", apiURL)
	}
	return slack.New("xoxb-fault-test", slack.OptionAPIURL(apiURL), slack.OptionHTTPClient(hc))
}

// logCounter is a slog handler counting records by message (and passing
// them on to quiet()'s handler), so tests can match silent outcomes to the
// log lines that explain them.
type logCounter struct {
	next  slog.Handler
	mu    *sync.Mutex
	count map[string]int
}

func newLogCounter() *logCounter {
	return &logCounter{next: quiet().Handler(), mu: &sync.Mutex{}, count: map[string]int{}}
}

func (h *logCounter) Enabled(context.Context, slog.Level) bool { return true }

func (h *logCounter) Handle(ctx context.Context, r slog.Record) error {
	h.mu.Lock()
	h.count[r.Message]++
	h.mu.Unlock()
	if h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

func (h *logCounter) WithAttrs(as []slog.Attr) slog.Handler {
	return &logCounter{next: h.next.WithAttrs(as), mu: h.mu, count: h.count}
}

func (h *logCounter) WithGroup(name string) slog.Handler {
	return &logCounter{next: h.next.WithGroup(name), mu: h.mu, count: h.count}
}

func (h *logCounter) n(msg string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.count[msg]
}
