// Package bot connects the command engine to Slack: it verifies and
// acknowledges inbound requests (HTTP endpoints or Socket Mode), runs the
// work in a bounded pool, renders replies as Block Kit and sends everything
// outbound through one Sender.
package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/metrics"
)

// Engine is what the bot asks for answers; *commands.Engine implements it.
type Engine interface {
	Handle(ctx context.Context, c commands.Caller, text string) (commands.Reply, error)
	Vote(ctx context.Context, c commands.Caller, requestID string, approve bool, comment string) (commands.Reply, error)
	Home(ctx context.Context, c commands.Caller) (commands.Reply, error)
}

// Store is what the bot needs from storage: readiness, and "once" for
// retried deliveries. *storage.Store implements it.
type Store interface {
	Ping(ctx context.Context) error
	ClaimEvent(ctx context.Context, key string) (first bool, err error)
}

// Options configure a Server.
type Options struct {
	// SigningSecret verifies /slack/* requests. Empty (Socket Mode only):
	// every /slack/* request is refused with 401.
	SigningSecret string
	// BotUserID is the bot's own Slack user, whose messages are ignored
	// (see Sender.AuthTest).
	BotUserID string
	Logger    *slog.Logger
	Now       func() time.Time
	// Workers bounds the requests being worked on at once; more get a
	// "busy" answer. 0 means 256: at 200 requests/s with Slack answering
	// in ~300 ms, some 60 are in flight.
	Workers int
	// WorkTimeout bounds one request's work, detached from the HTTP
	// request that brought it. 0 means 25 s.
	WorkTimeout time.Duration
	// HeadStart is how long a request's work waits after its
	// acknowledgement was flushed. 0 means DefaultHeadStart; negative
	// means none.
	HeadStart time.Duration
	// RenderChart draws a reply's chart as a PNG (jobs.RenderCostChart);
	// nil: replies go without their charts.
	RenderChart func(commands.Chart) ([]byte, error)
	// Reminders finds the reminder a button was clicked on, to update it
	// in place (jobs.Reminders). nil: reminders are not updated.
	Reminders ReminderSource
}

// DefaultHeadStart lets an acknowledgement leave before its work takes the
// CPU. Work started the instant the ack is flushed competes with the ack's
// delivery, the connection going back to read Slack's next request and
// whatever else shares the machine: measured at 200 requests/s on two
// cores, the ack p50 was 1.34–1.44× a bare handler's with no head start and
// 1.12–1.20× with 0.5 ms. Half a millisecond is nothing beside Slack's own
// round trips to the response_url.
const DefaultHeadStart = 500 * time.Microsecond

// Server handles Slack's requests.
type Server struct {
	engine    Engine
	sender    *Sender
	store     Store
	verifier  *Verifier
	logger    *slog.Logger
	now       func() time.Time
	botUser   string
	timeout   time.Duration
	head      time.Duration // see Options.HeadStart
	render    func(commands.Chart) ([]byte, error)
	reminders ReminderSource

	sem    chan struct{} // one slot per running piece of work
	notice chan struct{} // slots for "busy" notices
	wg     sync.WaitGroup
	mu     sync.Mutex // guards closed and wg.Add against Shutdown
	closed bool
	base   context.Context // parent of all work; cancelled when Shutdown gives up
	cancel context.CancelFunc
}

// New returns a Server answering with engine and delivering with sender.
func New(engine Engine, sender *Sender, store Store, o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Workers <= 0 {
		o.Workers = 256
	}
	if o.WorkTimeout <= 0 {
		o.WorkTimeout = 25 * time.Second
	}
	if o.HeadStart == 0 {
		o.HeadStart = DefaultHeadStart
	}
	base, cancel := context.WithCancel(context.Background())
	s := &Server{
		engine: engine, sender: sender, store: store, logger: o.Logger, now: o.Now,
		botUser: o.BotUserID, timeout: o.WorkTimeout, head: max(o.HeadStart, 0), render: o.RenderChart, reminders: o.Reminders,
		sem: make(chan struct{}, o.Workers), notice: make(chan struct{}, 8),
		base: base, cancel: cancel,
	}
	if o.SigningSecret != "" {
		s.verifier = &Verifier{Secret: o.SigningSecret, Now: o.Now}
	}
	return s
}

// Routes are the HTTP endpoints of SPEC section 4 (the manifest test checks
// the Slack app manifest against them).
var Routes = []string{
	"POST /slack/commands",
	"POST /slack/interactions",
	"POST /slack/events",
	"GET /healthz",
	"GET /readyz",
	"GET /metrics",
}

// Handler serves the endpoints of SPEC section 4.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /slack/commands", s.slack("commands", s.serveCommand))
	mux.Handle("POST /slack/interactions", s.slack("interactions", s.serveInteraction))
	mux.Handle("POST /slack/events", s.slack("events", s.serveEvent))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", s.serveReady)
	mux.Handle("GET /metrics", metrics.Handler())
	return mux
}

func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("store unavailable\n"))
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

// slack wraps a /slack/* handler: signature check first (401 and nothing
// else on failure), then the handler, timing the acknowledgement and
// logging the request's line (see reqlog.go).
func (s *Server) slack(endpoint string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rq := s.newRequest(endpoint, "http")
		rq.retry = retryNum(r.Header.Get("X-Slack-Retry-Num"))
		rec := &statusRecorder{ResponseWriter: w}
		if err := s.verify(r); err != nil {
			rq.reason = refusal(err)
			rec.Header().Set("Content-Type", "text/plain; charset=utf-8")
			rec.Header().Set("X-Content-Type-Options", "nosniff")
			rec.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(rec, "invalid signature")
		} else {
			s.guard(rq, rec, func() { h(rec, r.WithContext(withRequest(r.Context(), rq))) })
		}
		ack := time.Since(rq.start)
		metrics.AckLatency.WithLabelValues(endpoint).Observe(ack.Seconds())
		outcome := rec.outcome
		if outcome == "" {
			switch {
			case rec.status == http.StatusUnauthorized:
				outcome = "unauthorized"
			case rec.status == http.StatusBadRequest:
				outcome = "bad_request"
			case rec.status >= 500:
				outcome = "error"
			default:
				outcome = "ok"
			}
		}
		metrics.Requests.WithLabelValues(endpoint, outcome).Inc()
		rq.logAck(outcome, rec.status, ack)
	})
}

// guard runs a request handler, turning a panic (a payload nobody
// foresaw) into a logged 500 for that request alone.
func (s *Server) guard(rq *request, w *statusRecorder, h func()) {
	defer func() {
		if p := recover(); p != nil {
			rq.logger().Error("panic handling slack request", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			w.outcome = "error"
			if w.status == 0 {
				w.WriteHeader(http.StatusInternalServerError)
			}
		}
	}()
	h()
}

// errNoSecret refuses HTTP requests when only Socket Mode is configured.
var errNoSecret = errors.New("no signing secret configured")

// verify checks r's signature and restores its body for the handler.
func (s *Server) verify(r *http.Request) error {
	if s.verifier == nil {
		return errNoSecret
	}
	body, err := s.verifier.Verify(r)
	if err != nil {
		return err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return nil
}

// refusal names why a request was refused, for its log line.
func refusal(err error) string {
	for _, e := range []struct {
		err  error
		name string
	}{
		{ErrMissingHeaders, "missing_headers"}, {ErrStaleTimestamp, "stale_timestamp"},
		{ErrBadSignature, "bad_signature"}, {ErrBodyTooLarge, "body_too_large"}, {errNoSecret, "no_signing_secret"},
	} {
		if errors.Is(err, e.err) {
			return e.name
		}
	}
	return "read_body"
}

// badRequest answers 400 and notes why for the request's log line.
func badRequest(w http.ResponseWriter, r *http.Request, reason string) {
	if rq := requestOf(r.Context()); rq != nil {
		rq.reason = reason
	}
	http.Error(w, reason, http.StatusBadRequest)
}

// statusRecorder notes the status a handler wrote, and lets it name a
// more precise outcome for the metrics (busy).
type statusRecorder struct {
	http.ResponseWriter
	status  int
	outcome string
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (Flush).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func setOutcome(w http.ResponseWriter, outcome string) {
	if rec, ok := w.(*statusRecorder); ok {
		rec.outcome = outcome
	}
}

// ---- work pool ----

// errBusy and errClosed are why spawn refused work.
var (
	errBusy   = errors.New("busy")
	errClosed = errors.New("shutting down")
)

// busyText is what the user sees when spawn refuses.
func busyText(err error) string {
	if errors.Is(err, errClosed) {
		return "itspm is restarting; please try again in a moment."
	}
	return "itspm is busy right now; please try again in a moment."
}

// reserve takes a slot in the pool for fn and returns what starts it. The
// request handlers write (and flush) their acknowledgement between the two,
// and the work waits out the head start, so the acknowledgement never
// waits for the CPU its own work takes. The returned start must be called
// exactly once. ctx is the request's: the work logs under its ID, but runs
// detached from it (s.base, s.timeout).
func (s *Server) reserve(ctx context.Context, kind string, fn func(ctx context.Context)) (start func(), err error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, errClosed
	}
	select {
	case s.sem <- struct{}{}:
	default:
		s.mu.Unlock()
		s.log(ctx).Warn("work pool full", "work", kind)
		return nil, errBusy
	}
	s.wg.Add(1)
	s.mu.Unlock()
	return func() {
		// After the ack: the work's logger (a copy of the request's
		// attributes) is made here, still on the request's goroutine.
		w := s.newWork(ctx, kind)
		work := func() {
			defer s.wg.Done()
			defer func() { <-s.sem }()
			s.run(w, fn)
		}
		if s.head > 0 {
			time.AfterFunc(s.head, work)
			return
		}
		go func() {
			// A new goroutine runs next on this P; yield once so whatever
			// the acknowledgement just woke (the connection's reader, the
			// next request) goes first.
			runtime.Gosched()
			work()
		}()
	}, nil
}

// newWork describes a piece of work of the request in ctx.
func (s *Server) newWork(ctx context.Context, kind string) *work {
	logger := s.logger
	if rq := requestOf(ctx); rq != nil {
		logger = rq.logger()
	}
	return &work{kind: kind, logger: logger, outcome: "ok"}
}

// then starts the work reserved while handling a request (nil: none).
func then(starts ...func()) {
	for _, f := range starts {
		if f != nil {
			f()
		}
	}
}

// ackEmpty writes an empty 200 and pushes it to the client at once, before
// the request's work starts.
func ackEmpty(w http.ResponseWriter) {
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	_ = http.NewResponseController(w).Flush()
}

// spawnNotice runs a small "busy" notice outside the main pool, from a few
// slots of its own; with those taken too the notice is dropped.
func (s *Server) spawnNotice(ctx context.Context, fn func(ctx context.Context)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case s.notice <- struct{}{}:
	default:
		return
	}
	s.wg.Add(1)
	w := s.newWork(ctx, "notice")
	go func() {
		defer s.wg.Done()
		defer func() { <-s.notice }()
		s.run(w, fn)
	}()
}

// run does one piece of work under its own timeout and writes its line.
func (s *Server) run(w *work, fn func(ctx context.Context)) {
	ctx, cancel := context.WithTimeout(s.base, s.timeout)
	defer cancel()
	ctx = commands.WithLogger(context.WithValue(ctx, workKey{}, w), w.logger)
	w.start = time.Now()
	defer func() {
		if p := recover(); p != nil {
			w.note("panic")
			w.logger.Error("panic in slack work", "work", w.kind, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			w.note("timeout")
		}
		w.done()
	}()
	fn(ctx)
}

// Shutdown stops accepting work and waits for the work already
// acknowledged. When ctx ends first, the remaining work is cancelled and
// ctx's error returned.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		s.cancel()
		return nil
	case <-ctx.Done():
		s.cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
		return fmt.Errorf("slack work still running at shutdown: %w", ctx.Err())
	}
}

// claim reports whether the delivery named key is new. When the store
// cannot tell, the work goes ahead: answering twice beats not answering.
func (s *Server) claim(ctx context.Context, endpoint, key string) bool {
	first, err := s.store.ClaimEvent(ctx, key)
	if err != nil {
		s.log(ctx).Warn("dedupe unavailable; handling anyway", "key", clip(key, 128), "err", err)
		return true
	}
	if !first {
		note(ctx, "duplicate")
		metrics.Requests.WithLabelValues(endpoint, "duplicate").Inc()
		s.log(ctx).Debug("duplicate delivery ignored", "key", clip(key, 128))
	}
	return first
}

// answer runs text through the engine, turning errors into a reply.
func (s *Server) answer(ctx context.Context, c commands.Caller, text string) commands.Reply {
	if w := workOf(ctx); w != nil && w.verb == "" {
		w.verb = commands.Verb(text)
	}
	r, err := s.engine.Handle(ctx, c, text)
	if err != nil {
		note(ctx, outcomeOf(err))
		return commands.ErrorReply(s.log(ctx), err)
	}
	noteReply(ctx, r)
	return r
}
