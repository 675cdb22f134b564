package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
)

// Request correlation. Every Slack request (an HTTP call or a Socket Mode
// envelope) gets a short random ID, logged as `req` on the request's own
// line ("slack request": endpoint, outcome, ack latency), on the line of
// each piece of work it started ("slack work done": duration, outcome) and
// on every error in between, including the Sender's. What people typed is
// never logged, only the command verb (commands.Verb); nor are tokens,
// the signing secret or response_urls.

// request is one Slack request as the logs see it. The handler that parses
// the payload fills in who and what; it is only touched by the goroutine
// handling the request.
type request struct {
	id       string // the `req` attribute
	endpoint string // commands, interactions, events
	via      string // http or socket
	start    time.Time
	base     *slog.Logger

	kind     string // payload type: command, block_actions, view_submission, app_mention…
	verb     string // command verb, for slash commands
	user     string
	team     string
	channel  string
	slackID  string // Slack's own ID of the payload: trigger_id or event_id
	envelope string // Socket Mode envelope_id
	retry    string // Slack's retry number, when it is one
	reason   string // why it was refused (401, 400)
}

// newRequestID returns 12 hex digits: unique enough among the requests of
// a few days' logs, short enough to type into a search box.
func newRequestID() string {
	return fmt.Sprintf("%012x", rand.Uint64()&(1<<48-1))
}

func (s *Server) newRequest(endpoint, via string) *request {
	return &request{id: newRequestID(), endpoint: endpoint, via: via, start: time.Now(), base: s.logger}
}

// attrs are the request's correlation attributes, empty ones left out.
func (r *request) attrs() []any {
	a := []any{"req", r.id, "endpoint", r.endpoint}
	for _, kv := range [...][2]string{{"user", r.user}, {"team", r.team}, {"channel", r.channel}} {
		if kv[1] != "" {
			a = append(a, kv[0], kv[1])
		}
	}
	return a
}

// logger logs with the request's correlation attributes.
func (r *request) logger() *slog.Logger { return r.base.With(r.attrs()...) }

// logAck writes the request's one line: how it was acknowledged and how
// fast. status is the HTTP status (0 over Socket Mode).
func (r *request) logAck(outcome string, status int, ack time.Duration) {
	attrs := []slog.Attr{
		slog.String("via", r.via),
		slog.String("outcome", outcome),
		slog.Float64("ack_ms", millis(ack)),
	}
	if status != 0 {
		attrs = append(attrs, slog.Int("status", status))
	}
	for _, kv := range [...][2]string{{"kind", r.kind}, {"verb", r.verb}, {"slack_id", r.slackID}, {"envelope", r.envelope}, {"retry", r.retry}, {"reason", r.reason}} {
		if kv[1] != "" {
			attrs = append(attrs, slog.String(kv[0], kv[1]))
		}
	}
	level := slog.LevelInfo
	if outcome == "busy" || outcome == "error" {
		level = slog.LevelWarn
	}
	r.logger().LogAttrs(context.Background(), level, "slack request", attrs...)
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// set records who sent the request and what it is; empty values leave
// what is known.
func (r *request) set(kind, user, team, channel, slackID string) {
	if r == nil {
		return
	}
	for _, f := range [...]struct {
		dst *string
		v   string
	}{{&r.kind, kind}, {&r.user, user}, {&r.team, team}, {&r.channel, channel}, {&r.slackID, slackID}} {
		if f.v != "" {
			*f.dst = clip(f.v, 64) // IDs; clipped because a payload may say anything
		}
	}
}

// work is one piece of background work a request started.
type work struct {
	kind    string // command, action:tollgate_approve, mention…
	verb    string
	logger  *slog.Logger
	start   time.Time
	outcome string
}

// Work outcomes, from best to worst; a piece of work ends with the worst
// outcome noted while it ran.
var outcomeRank = map[string]int{
	"ok": 0, "user_error": 1, "duplicate": 2, "error": 3, "reply_failed": 4, "timeout": 5, "panic": 6,
}

func (w *work) note(outcome string) {
	if outcomeRank[outcome] > outcomeRank[w.outcome] {
		w.outcome = outcome
	}
}

// done writes the work's line.
func (w *work) done() {
	attrs := []slog.Attr{
		slog.String("work", w.kind),
		slog.String("outcome", w.outcome),
		slog.Float64("ms", millis(time.Since(w.start))),
	}
	if w.verb != "" {
		attrs = append(attrs, slog.String("verb", w.verb))
	}
	level := slog.LevelInfo
	if outcomeRank[w.outcome] > outcomeRank["duplicate"] {
		level = slog.LevelWarn
	}
	w.logger.LogAttrs(context.Background(), level, "slack work done", attrs...)
}

type requestKey struct{}
type workKey struct{}

func withRequest(ctx context.Context, r *request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

// requestOf is the request being acknowledged in ctx (nil: none).
func requestOf(ctx context.Context) *request {
	r, _ := ctx.Value(requestKey{}).(*request)
	return r
}

func workOf(ctx context.Context) *work {
	w, _ := ctx.Value(workKey{}).(*work)
	return w
}

// loggerFrom is the logger of the work or request in ctx, with its
// correlation attributes, else fallback.
func loggerFrom(ctx context.Context, fallback *slog.Logger) *slog.Logger {
	if w := workOf(ctx); w != nil {
		return w.logger
	}
	if r := requestOf(ctx); r != nil {
		return r.logger()
	}
	return fallback
}

func (s *Server) log(ctx context.Context) *slog.Logger { return loggerFrom(ctx, s.logger) }

// note records an outcome of the work in ctx, if any.
func note(ctx context.Context, outcome string) {
	if w := workOf(ctx); w != nil {
		w.note(outcome)
	}
}

// outcomeOf classifies an engine error for the work's line: the person's
// mistake (not found, not allowed…), or ours.
func outcomeOf(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	var de *domain.Error
	if errors.As(err, &de) && de.Code != domain.Internal && de.Code != domain.Unavailable {
		return "user_error"
	}
	return "error"
}

// noteReply records what a reply says about the work.
func noteReply(ctx context.Context, r commands.Reply) {
	if r.Error {
		note(ctx, "user_error")
	}
}

// retryNum keeps a retry header to what it should be: a small number.
func retryNum(s string) string {
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n < 1000 {
		return strconv.Itoa(n)
	}
	if s == "" {
		return ""
	}
	return "?"
}
