package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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

// socketEvent handles one event of the Socket Mode client.
func (s *Server) socketEvent(ctx context.Context, client *socketmode.Client, evt socketmode.Event) {
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
		start := time.Now()
		outcome := "ok"
		msg, run := s.acceptCommand(cmd, true)
		if msg != nil {
			outcome = "busy"
			s.ack(ctx, client, evt.Request, msg)
		} else {
			s.ack(ctx, client, evt.Request, nil)
		}
		observe("commands", outcome, start)
		then(run)
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok || evt.Request == nil {
			return
		}
		start := time.Now()
		ack, run := s.acceptInteraction(cb, true)
		s.ack(ctx, client, evt.Request, ack)
		observe("interactions", "ok", start)
		then(run)
	case socketmode.EventTypeEventsAPI:
		ev, ok := evt.Data.(slackevents.EventsAPIEvent)
		if !ok || evt.Request == nil {
			return
		}
		start := time.Now()
		var run func()
		if ev.Type == slackevents.CallbackEvent {
			id := ""
			if cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok {
				id = cb.EventID
			}
			var err error
			if run, err = s.acceptEvent(id, ev.InnerEvent); err != nil {
				// Unacknowledged: Slack retries (retry_attempt), and the
				// event_id claim keeps the retry from acting twice.
				observe("events", "busy", start)
				return
			}
		}
		s.ack(ctx, client, evt.Request, nil)
		observe("events", "ok", start)
		then(run)
	}
}

func (s *Server) ack(ctx context.Context, client *socketmode.Client, req *socketmode.Request, payload any) {
	if p, ok := payload.(*immediate); ok && p == nil {
		payload = nil // a typed nil would be sent as "payload": null
	}
	if err := client.AckCtx(ctx, req.EnvelopeID, payload); err != nil {
		s.logger.Warn("socket mode ack failed", "envelope", req.EnvelopeID, "err", err)
	}
}

func observe(endpoint, outcome string, start time.Time) {
	metrics.AckLatency.WithLabelValues(endpoint).Observe(time.Since(start).Seconds())
	metrics.Requests.WithLabelValues(endpoint, outcome).Inc()
}

// slogOutput sends slack-go's Socket Mode log lines to slog at debug level.
type slogOutput struct{ logger *slog.Logger }

func (o slogOutput) Output(_ int, msg string) error {
	o.logger.Debug("socketmode: " + strings.TrimSpace(msg))
	return nil
}
