// Package bot connects the command engine to Slack: it verifies and
// acknowledges inbound requests (HTTP endpoints or Socket Mode), runs the
// work in a bounded pool, renders replies as Block Kit and sends everything
// outbound through one Sender.
package bot

import (
	"context"
	"errors"
	"fmt"
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
}

// Server handles Slack's requests.
type Server struct {
	engine   Engine
	sender   *Sender
	store    Store
	verifier *Verifier
	logger   *slog.Logger
	now      func() time.Time
	botUser  string
	timeout  time.Duration

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
	base, cancel := context.WithCancel(context.Background())
	s := &Server{
		engine: engine, sender: sender, store: store, logger: o.Logger, now: o.Now,
		botUser: o.BotUserID, timeout: o.WorkTimeout,
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
// else on failure), then the handler, timing the acknowledgement.
func (s *Server) slack(endpoint string, h http.HandlerFunc) http.Handler {
	var inner http.Handler = h
	if s.verifier != nil {
		inner = s.verifier.Middleware(h)
	} else {
		inner = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "invalid signature", http.StatusUnauthorized)
		})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		inner.ServeHTTP(rec, r)
		metrics.AckLatency.WithLabelValues(endpoint).Observe(time.Since(start).Seconds())
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
	})
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

// spawn runs fn in the background with its own timeout, unless the pool is
// full or shutting down. Acknowledged work is tracked so Shutdown can wait
// for it.
func (s *Server) spawn(kind string, fn func(ctx context.Context)) error {
	start, err := s.reserve(kind, fn)
	if err != nil {
		return err
	}
	start()
	return nil
}

// reserve takes a slot in the pool for fn and returns what starts it. The
// request handlers write (and flush) their acknowledgement between the two,
// so the acknowledgement never waits for the CPU its own work takes. The
// returned start must be called exactly once.
func (s *Server) reserve(kind string, fn func(ctx context.Context)) (start func(), err error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, errClosed
	}
	select {
	case s.sem <- struct{}{}:
	default:
		s.mu.Unlock()
		s.logger.Warn("work pool full", "kind", kind)
		return nil, errBusy
	}
	s.wg.Add(1)
	s.mu.Unlock()
	return func() {
		go func() {
			// A new goroutine runs next on this P; yield once so whatever
			// the acknowledgement just woke (the connection's reader, the
			// next request) goes first.
			runtime.Gosched()
			defer s.wg.Done()
			defer func() { <-s.sem }()
			s.run(kind, fn)
		}()
	}, nil
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
func (s *Server) spawnNotice(fn func(ctx context.Context)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case s.notice <- struct{}{}:
	default:
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() { <-s.notice }()
		s.run("notice", fn)
	}()
}

func (s *Server) run(kind string, fn func(ctx context.Context)) {
	defer func() {
		if p := recover(); p != nil {
			s.logger.Error("panic in slack work", "kind", kind, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
	}()
	ctx, cancel := context.WithTimeout(s.base, s.timeout)
	defer cancel()
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
		s.logger.Warn("dedupe unavailable; handling anyway", "key", key, "err", err)
		return true
	}
	if !first {
		metrics.Requests.WithLabelValues(endpoint, "duplicate").Inc()
		s.logger.Info("duplicate delivery ignored", "key", key)
	}
	return first
}

// answer runs text through the engine, turning errors into a reply.
func (s *Server) answer(ctx context.Context, c commands.Caller, text string) commands.Reply {
	r, err := s.engine.Handle(ctx, c, text)
	if err != nil {
		return commands.ErrorReply(s.logger, err)
	}
	return r
}
