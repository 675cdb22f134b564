package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/itspm/itspm/metrics"
)

// RunSocketMode receives Slack's requests over a Socket Mode WebSocket
// (the sender's client needs the app-level token) and hands them to the
// same handlers as the HTTP endpoints, until ctx ends. Each envelope is
// acknowledged as soon as its work is queued; an envelope whose work is
// refused (busy) is left unacknowledged so Slack delivers it again.
// slack-go reconnects by itself; an error is returned only when Slack
// refuses the token.
func (s *Server) RunSocketMode(ctx context.Context) error {
	client := socketmode.New(s.sender.API(), socketmode.OptionLog(slogOutput{s.logger}))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- client.RunContext(ctx) }()
	for {
		select {
		case <-ctx.Done():
			<-errc
			return nil
		case err := <-errc:
			if ctx.Err() != nil || errors.Is(err, context.Canceled) {
				return nil
			}
			return fmt.Errorf("socket mode: %w", err)
		case evt := <-client.Events:
			s.socketEvent(ctx, client, evt)
		}
	}
}

// socketEvent handles one event of the Socket Mode client. A panic (a
// payload nobody foresaw) is logged and the envelope left unacknowledged,
// instead of ending the process.
func (s *Server) socketEvent(ctx context.Context, client *socketmode.Client, evt socketmode.Event) {
	defer func() {
		if p := recover(); p != nil {
			s.logger.Error("panic handling socket mode envelope", "type", string(evt.Type), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
	}()
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		s.logger.Debug("socket mode connecting")
	case socketmode.EventTypeConnected:
		s.logger.Info("socket mode connected")
	case socketmode.EventTypeConnectionError:
		s.logger.Warn("socket mode connection failed; retrying", "err", fmt.Sprint(evt.Data))
	case socketmode.EventTypeInvalidAuth:
		s.logger.Error("socket mode: Slack refused SLACK_APP_TOKEN")
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok || evt.Request == nil {
			return
		}
		rq, rctx := s.socketRequest(ctx, "commands", evt.Request)
		outcome := "ok"
		msg, run := s.acceptCommand(rctx, cmd, true)
		if msg != nil {
			outcome = "busy"
			s.ack(rctx, client, evt.Request, msg)
		} else {
			s.ack(rctx, client, evt.Request, nil)
		}
		s.observe(rq, outcome)
		then(run)
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok || evt.Request == nil {
			return
		}
		rq, rctx := s.socketRequest(ctx, "interactions", evt.Request)
		ack, run := s.acceptInteraction(rctx, cb, true)
		s.ack(rctx, client, evt.Request, ack)
		s.observe(rq, "ok")
		then(run)
	case socketmode.EventTypeEventsAPI:
		ev, ok := evt.Data.(slackevents.EventsAPIEvent)
		if !ok || evt.Request == nil {
			return
		}
		rq, rctx := s.socketRequest(ctx, "events", evt.Request)
		var run func()
		outcome := "ignored"
		if ev.Type == slackevents.CallbackEvent {
			var err error
			if run, err = s.acceptEvent(rctx, ev); err != nil {
				// Unacknowledged: Slack retries (retry_attempt), and the
				// event_id claim keeps the retry from acting twice.
				s.observe(rq, "busy")
				return
			}
			outcome = "ok"
		} else {
			rq.set(clip(ev.Type, 32), "", "", "", "")
		}
		s.ack(rctx, client, evt.Request, nil)
		s.observe(rq, outcome)
		then(run)
	}
}

// socketRequest starts the log record of an envelope, naming it by its
// envelope_id (Slack redelivers an unacknowledged envelope under the same).
func (s *Server) socketRequest(ctx context.Context, endpoint string, req *socketmode.Request) (*request, context.Context) {
	rq := s.newRequest(endpoint, "socket")
	rq.envelope = clip(req.EnvelopeID, 64)
	if req.RetryAttempt > 0 {
		rq.retry = retryNum(strconv.Itoa(req.RetryAttempt))
	}
	return rq, withRequest(ctx, rq)
}

func (s *Server) ack(ctx context.Context, client *socketmode.Client, req *socketmode.Request, payload any) {
	if p, ok := payload.(*immediate); ok && p == nil {
		payload = nil // a typed nil would be sent as "payload": null
	}
	if err := client.AckCtx(ctx, req.EnvelopeID, payload); err != nil {
		s.log(ctx).Warn("socket mode ack failed", "err", err)
	}
}

// observe records an acknowledged envelope: metrics and its log line.
func (s *Server) observe(rq *request, outcome string) {
	ack := time.Since(rq.start)
	metrics.AckLatency.WithLabelValues(rq.endpoint).Observe(ack.Seconds())
	metrics.Requests.WithLabelValues(rq.endpoint, outcome).Inc()
	rq.logAck(outcome, 0, ack)
}

// slogOutput sends slack-go's Socket Mode log lines to slog at debug level.
type slogOutput struct{ logger *slog.Logger }

func (o slogOutput) Output(_ int, msg string) error {
	o.logger.Debug("socketmode: " + strings.TrimSpace(msg))
	return nil
}
