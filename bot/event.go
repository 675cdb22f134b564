package bot

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"

	"github.com/slack-go/slack/slackevents"

	"github.com/itspm/itspm/commands"
)

// BotEvents are the Events API events the bot subscribes to (the manifest
// test checks the manifest's bot_events against them).
var BotEvents = []string{"app_home_opened", "app_mention", "message.im"}

// serveEvent answers the Events API: the url_verification handshake, and
// event callbacks acknowledged at once and handled in the background. A
// retried delivery (X-Slack-Retry-Num) is acknowledged like the first; the
// event_id claim makes it take effect once.
func (s *Server) serveEvent(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		badRequest(w, r, "read body")
		return
	}
	rq := requestOf(r.Context())
	ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		// A well-formed callback whose inner event we cannot parse is
		// acknowledged anyway: otherwise Slack retries it for hours.
		var outer struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(body, &outer) != nil || outer.Type == "" {
			badRequest(w, r, "bad event")
			return
		}
		rq.set(clip(outer.Type, 32), "", "", "", "")
		s.log(r.Context()).Debug("unparsed event ignored", "type", clip(outer.Type, 64), "err", err)
		setOutcome(w, "ignored")
		w.WriteHeader(http.StatusOK)
		return
	}
	switch ev.Type {
	case slackevents.URLVerification:
		rq.set("url_verification", "", "", "", "")
		v, ok := ev.Data.(*slackevents.EventsAPIURLVerificationEvent)
		if !ok {
			badRequest(w, r, "bad url_verification")
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, v.Challenge)
	case slackevents.CallbackEvent:
		start, err := s.acceptEvent(r.Context(), ev)
		if err != nil {
			// Not taken: let Slack deliver it again later (or to another
			// replica).
			setOutcome(w, "busy")
			w.Header().Set("Retry-After", "1")
			http.Error(w, busyText(err), http.StatusServiceUnavailable)
			return
		}
		ackEmpty(w)
		then(start)
	default:
		rq.set(clip(ev.Type, 32), "", "", "", "")
		setOutcome(w, "ignored")
		w.WriteHeader(http.StatusOK)
	}
}

// acceptEvent reserves the work of an event callback and returns what
// starts it. It returns an error only when the work was refused (busy or
// shutting down); events the bot does not act on are accepted and dropped.
func (s *Server) acceptEvent(ctx context.Context, ev slackevents.EventsAPIEvent) (func(), error) {
	eventID := ""
	if cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok && cb != nil {
		eventID = cb.EventID
	}
	rq := requestOf(ctx)
	rq.set(clip(ev.InnerEvent.Type, 32), "", ev.TeamID, "", eventID)
	var work func(ctx context.Context)
	kind := "event"
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.AppMentionEvent:
		rq.set("", e.User, "", e.Channel, "")
		if e.BotID != "" || e.User == "" || e.User == s.botUser || e.Edited != nil {
			return nil, nil
		}
		kind = "mention"
		thread := e.ThreadTimeStamp
		if thread == "" {
			thread = e.TimeStamp
		}
		work = func(ctx context.Context) {
			c := commands.Caller{SlackUser: e.User, Source: source("mention", e.Channel)}
			text := e.Text
			if s.botUser == "" {
				// Own ID unknown: the mention that triggered the event leads.
				text = leadingMention.ReplaceAllString(text, "")
			}
			s.postAnswer(ctx, e.Channel, thread, s.answer(ctx, c, cleanText(text, s.botUser)))
		}
	case *slackevents.MessageEvent:
		// Only plain messages people write in the bot's DM: no edits,
		// deletions, joins or bot posts (including our own).
		rq.set("", e.User, "", e.Channel, "")
		if e.ChannelType != "im" || e.SubType != "" || e.BotID != "" || e.User == "" || e.User == s.botUser {
			return nil, nil
		}
		kind = "dm"
		work = func(ctx context.Context) {
			c := commands.Caller{SlackUser: e.User, Source: source("DM", "")}
			// In a DM the answer follows inline, or in the thread the
			// message was written in.
			s.postAnswer(ctx, e.Channel, e.ThreadTimeStamp, s.answer(ctx, c, cleanText(e.Text, s.botUser)))
		}
	case *slackevents.AppHomeOpenedEvent:
		rq.set("", e.User, "", "", "")
		if e.Tab != "" && e.Tab != "home" {
			return nil, nil
		}
		kind = "home"
		work = func(ctx context.Context) { s.publishHome(ctx, e.User) }
	default:
		return nil, nil
	}
	return s.reserve(ctx, kind, func(ctx context.Context) {
		if eventID != "" && !s.claim(ctx, "events", "event:"+eventID) {
			return
		}
		work(ctx)
	})
}

func (s *Server) postAnswer(ctx context.Context, channel, thread string, r commands.Reply) {
	ctx, cancel := afterwords(ctx)
	defer cancel()
	if _, _, err := s.sender.PostThread(ctx, channel, thread, r); err != nil {
		note(ctx, "reply_failed")
		s.log(ctx).Error("answer in slack failed", "channel", channel, "err", err)
		return
	}
	s.uploadCharts(ctx, channel, "", r)
}

// publishHome renders the App Home of user.
func (s *Server) publishHome(ctx context.Context, user string) {
	r, err := s.engine.Home(ctx, commands.Caller{SlackUser: user, Source: "slack home"})
	if err != nil {
		note(ctx, outcomeOf(err))
		r = commands.ErrorReply(s.log(ctx), err)
	}
	if err := s.sender.PublishHome(ctx, user, r); err != nil {
		note(ctx, "reply_failed")
		s.log(ctx).Error("publish app home failed", "user", user, "err", err)
	}
}

// slackMarkup matches Slack's <…> message markup: mentions, channels,
// links and special mentions.
var slackMarkup = regexp.MustCompile(`<([^<>]*)>`)

var leadingMention = regexp.MustCompile(`^\s*<@[A-Z0-9]+(\|[^>]*)?>`)

// cleanText turns message text as Slack sends it back into what the person
// typed: the bot's own mention removed, links and channel names as their
// labels, and the &amp; &lt; &gt; escapes undone. Other user mentions stay
// <@U…> so questions about people can resolve them.
func cleanText(text, botUser string) string {
	text = slackMarkup.ReplaceAllStringFunc(text, func(m string) string {
		inner := m[1 : len(m)-1]
		switch {
		case botUser != "" && (inner == "@"+botUser || strings.HasPrefix(inner, "@"+botUser+"|")):
			return ""
		case strings.HasPrefix(inner, "@"):
			user, _, _ := strings.Cut(inner, "|")
			return "<" + user + ">"
		case strings.HasPrefix(inner, "#"), strings.HasPrefix(inner, "!"):
			if _, label, ok := strings.Cut(inner, "|"); ok {
				return label
			}
			return ""
		default:
			if _, label, ok := strings.Cut(inner, "|"); ok {
				return label
			}
			return inner
		}
	})
	text = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(text)
	return strings.Join(strings.Fields(text), " ")
}
