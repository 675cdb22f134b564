package bot

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/slack-go/slack"

	"github.com/itspm/itspm/commands"
)

// serveCommand acknowledges a slash command at once; the answer follows
// through the response_url.
func (s *Server) serveCommand(w http.ResponseWriter, r *http.Request) {
	cmd, err := slack.SlashCommandParse(r)
	if err != nil || cmd.UserID == "" {
		badRequest(w, r, "bad slash command")
		return
	}
	msg, start := s.acceptCommand(r.Context(), cmd, false)
	if msg != nil {
		setOutcome(w, "busy")
		writeJSON(w, msg)
		return
	}
	ackEmpty(w)
	then(start)
}

// immediate is a message in the acknowledgement itself (HTTP body or
// Socket Mode ack payload).
type immediate struct {
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
}

// acceptCommand reserves the work of a slash command and returns what
// starts it, or the message to put in the acknowledgement when the work
// cannot be taken now. redelivered says
// whether Slack may deliver the same invocation again (Socket Mode
// redelivers unacknowledged envelopes; HTTP slash commands are never
// retried), which costs a claim in the store.
func (s *Server) acceptCommand(ctx context.Context, cmd slack.SlashCommand, redelivered bool) (*immediate, func()) {
	if rq := requestOf(ctx); rq != nil {
		rq.set("command", cmd.UserID, cmd.TeamID, cmd.ChannelID, cmd.TriggerID)
		rq.verb = commands.Verb(cmd.Text)
	}
	start, err := s.reserve(ctx, "command", func(ctx context.Context) { s.runCommand(ctx, cmd, redelivered) })
	if err != nil {
		return &immediate{ResponseType: slack.ResponseTypeEphemeral, Text: busyText(err)}, nil
	}
	return nil, start
}

func (s *Server) runCommand(ctx context.Context, cmd slack.SlashCommand, redelivered bool) {
	// trigger_id names the invocation.
	if redelivered && cmd.TriggerID != "" && !s.claim(ctx, "commands", "cmd:"+cmd.TriggerID) {
		return
	}
	c := commands.Caller{SlackUser: cmd.UserID, Source: source("/itspm", cmd.ChannelID)}
	reply := s.answer(ctx, c, cmd.Text)
	s.reply(ctx, cmd.ResponseURL, cmd.ChannelID, cmd.UserID, reply)
}

// reply answers the person who asked: through the response_url when there
// is one, else ephemerally in the channel, else in their DM.
func (s *Server) reply(ctx context.Context, responseURL, channel, user string, r commands.Reply) {
	ctx, cancel := afterwords(ctx)
	defer cancel()
	var err error
	switch {
	case responseURL != "":
		err = s.sender.Respond(ctx, responseURL, r)
	case channel != "" && !r.InChannel:
		err = s.sender.Ephemeral(ctx, channel, user, r)
	case channel != "":
		_, _, err = s.sender.Post(ctx, channel, r)
	default:
		_, _, err = s.sender.Post(ctx, user, r)
	}
	if err != nil {
		note(ctx, "reply_failed")
		s.log(ctx).Error("reply to slack failed", "user", user, "channel", channel, "err", err)
		return
	}
	s.uploadCharts(ctx, channel, user, r)
}

// afterwords gives a reply a few seconds of its own when the work's
// context has ended (timeout, shutdown) or is about to: a store call that
// timed out returns just before the deadline, and the reply would get only
// the milliseconds left. The person still learns that their request failed.
func afterwords(ctx context.Context) (context.Context, context.CancelFunc) {
	const replyTime = 3 * time.Second
	if dl, ok := ctx.Deadline(); ctx.Err() == nil && (!ok || time.Until(dl) >= replyTime) {
		return ctx, func() {}
	}
	return context.WithTimeout(context.WithoutCancel(ctx), replyTime)
}

// source describes where a request came from, for the audit trail.
func source(what, channel string) string {
	if channel == "" {
		return "slack " + what
	}
	return "slack " + what + " in " + channel
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}
