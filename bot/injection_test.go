package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/itspm/itspm/bot"
	"github.com/itspm/itspm/catalog"
	"github.com/itspm/itspm/catalog/sample"
	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
)

// hostile is catalog text that would ping, mention, link and format if
// Slack parsed it.
const hostile = "<!channel> <@U123> <https://evil|click> &amp; *bold*"

// What hostile must look like in mrkdwn: every control character escaped.
// (Slack has no escape for * and _; formatting cannot ping or link.)
var hostileEscaped = []string{"&lt;!channel&gt;", "&lt;@U123&gt;", "&lt;https://evil|click&gt;", "&amp;amp;", "*bold*"}

// loadHostile re-imports the sample catalog with hostile text in a
// person's name and in every free-text field of payroll.
func loadHostile(t *testing.T, e *env) {
	t.Helper()
	files, err := catalog.ReadFS(sample.FS)
	if err != nil {
		t.Fatal(err)
	}
	set, errs := catalog.Parse(files)
	if err := errs.Err(); err != nil {
		t.Fatal(err)
	}
	cat := &set.Catalog
	for i := range cat.People {
		if cat.People[i].Name == "lee" {
			cat.People[i].DisplayName = "Lee " + hostile
		}
	}
	found := false
	for i := range cat.Services {
		s := &cat.Services[i]
		if s.Name != "payroll" {
			continue
		}
		found = true
		s.Title = "Payroll " + hostile
		s.Description = "Pays people. " + hostile
		if s.Strategy == nil {
			s.Strategy = &domain.Strategy{}
		}
		s.Strategy.Why = hostile
		for j := range s.VendorProducts {
			s.VendorProducts[j].Product = hostile
		}
		for j := range s.Roadmap {
			s.Roadmap[j].Title = hostile
		}
		if s.Continuity != nil {
			s.Continuity.Plan = hostile
		}
		for j := range s.Improvements {
			s.Improvements[j].Title = hostile
		}
	}
	if !found {
		t.Fatal("sample has no payroll")
	}
	if errs := cat.Validate(); len(errs) > 0 {
		t.Fatalf("hostile catalog invalid: %v", errs)
	}
	if _, err := e.store.Apply(context.Background(), cat, "test", "hostile"); err != nil {
		t.Fatal(err)
	}
}

// Catalog text reaches Slack escaped in every reply that shows it:
// slash command answers, button answers, DMs, mentions and the App Home.
func TestCatalogMarkupIsEscapedInEveryReply(t *testing.T) {
	e := newEnv(t)
	loadHostile(t, e)
	check := &slackSink{}
	var all strings.Builder
	inspect := func(what, text string, blocks json.RawMessage) {
		t.Helper()
		check.checkMrkdwn(what+" text", text)
		check.checkJSONish(what, blocks)
		all.WriteString(blocksText(blocks))
		if v := check.take(); v != "" {
			t.Error(v)
		}
	}
	for i, cmd := range []string{
		"service payroll", "owner payroll", "cost payroll", "deps payroll", "deps identity", "find pays people",
		"roadmap payroll", "dr payroll", "performance payroll", "history payroll", "who owns payroll?",
		"which services does lee own?", "what does payroll depend on?", "services in stage operate", "tollgate payroll improve",
	} {
		name := "r" + strconv.Itoa(i)
		if got := e.slashCommand("U0DANA", cmd, name); got.status != http.StatusOK {
			t.Fatalf("%s: status %d", cmd, got.status)
		}
		r := e.responses(name, 1)[0]
		inspect(cmd, r.Text, r.Blocks)
	}
	e.interaction(blockActions("U0DANA", "run_command", "service payroll", e.fake.ResponseURL("button")))
	r := e.responses("button", 1)[0]
	inspect("button", r.Text, r.Blocks)
	e.event("EvINJ1", map[string]any{"type": "message", "channel": "D0DANA", "channel_type": "im", "user": "U0DANA", "text": "service payroll", "ts": "1764201800.000100"})
	e.event("EvINJ2", map[string]any{"type": "app_mention", "channel": "C0PAYROLL", "user": "U0DANA", "text": "<@U0000BOT1> owner payroll", "ts": "1764201800.000200"})
	e.event("EvINJ3", map[string]any{"type": "app_home_opened", "user": "U0LEE", "tab": "home"})
	e.shutdown()
	msgs := e.fake.Messages("")
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want the DM and the mention answers", len(msgs))
	}
	for _, m := range msgs {
		inspect("message in "+m.Channel, m.Text, m.Blocks)
	}
	home := e.fake.Published("U0LEE")
	if len(home) != 1 {
		t.Fatalf("%d App Home views, want 1", len(home))
	}
	inspect("app home", "", home[0].Blocks)

	text := all.String()
	for _, want := range hostileEscaped {
		if !strings.Contains(text, want) {
			t.Errorf("no reply shows %q", want)
		}
	}
	// Headers are plain_text (never parsed): the title shows verbatim.
	if !strings.Contains(text, "Payroll "+hostile) {
		t.Errorf("no header shows the title verbatim")
	}
}

// A mention token can only come from typed text (the catalog refuses
// private-use characters); one whose user is not a Slack user ID renders
// as its escaped label, never as markup.
func TestForgedMentionTokensRenderAsText(t *testing.T) {
	forged := []string{
		commands.Mention("U1><!channel", "x"),
		commands.Mention("!here", "<!here>"),
		commands.Mention("U0LEE|", "y"),
		commands.Mention("u0lee", "z"),
		"\uE000U1><!everyone\uE001",
	}
	r := commands.Reply{
		Title:    strings.Join(forged, " "),
		Text:     strings.Join(forged, " "),
		Sections: []commands.Section{{Heading: forged[0], Fields: []commands.Field{{Label: forged[1], Value: forged[2]}}, Lines: forged}},
		Context:  forged[3],
	}
	blocks, fallback := bot.Render(r)
	raw, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	check := &slackSink{}
	check.checkJSONish("blocks", raw)
	check.checkMrkdwn("fallback", fallback)
	if v := check.take(); v != "" {
		t.Error(v)
	}
	// A real one still renders as a mention.
	blocks, _ = bot.Render(commands.Reply{Text: commands.Mention("U0LEE", "Lee") + " " + commands.Mention("W0ENT1", "Ent")})
	raw, _ = json.Marshal(blocks)
	if text := blocksText(raw); !strings.Contains(text, "<@U0LEE> <@W0ENT1>") {
		t.Errorf("real mentions not rendered: %s", text)
	}
}

// Limits of signed requests, on one bot: a request replayed more than five
// minutes after it was signed is refused and has no effect (within the
// window it is accepted: the trigger_id and event_id claims are for that);
// a body over 1 MiB is refused with 401 at once, before any parsing, on
// every endpoint, even when correctly signed; 1 MiB itself is read.
func TestSignedRequestLimits(t *testing.T) {
	e := newEnv(t)
	t.Run("replay", func(t *testing.T) {
		var clock atomic.Int64
		srv := bot.New(e.engine, e.sender, e.store, bot.Options{
			SigningSecret: secret, Logger: quietLogger(),
			Now: func() time.Time { return time.Unix(clock.Load(), 0) },
		})
		h := srv.Handler()
		body := []byte(slashForm("U0LEE", "owner payroll", e.fake.ResponseURL("replay")).Encode())
		captured := signedRequest(t, "http://itspm.test", "/slack/commands", formType, body, now)
		tests := []struct {
			after time.Duration
			want  int
		}{
			{0, http.StatusOK},
			{5 * time.Minute, http.StatusOK},
			{5*time.Minute + time.Second, http.StatusUnauthorized},
			{time.Hour, http.StatusUnauthorized},
			{-5*time.Minute - time.Second, http.StatusUnauthorized}, // a clock running behind the request
		}
		for _, tc := range tests {
			clock.Store(now.Add(tc.after).Unix())
			req := captured.Clone(context.Background())
			req.Body = io.NopCloser(bytes.NewReader(body))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Errorf("replayed %v later: status %d, want %d", tc.after, rec.Code, tc.want)
			}
		}
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := len(e.fake.Responses("replay")); n != 2 {
			t.Errorf("%d answers, want 2 (the two requests inside the window)", n)
		}
	})
	big := func(n int) []byte {
		b := []byte("user_id=U0LEE&text=" + strings.Repeat("a", n))
		return b[:n]
	}
	tests := []struct {
		name string
		path string
		size int
		want int
	}{
		{"2 MiB", "/slack/commands", 2 << 20, http.StatusUnauthorized},
		{"2 MiB", "/slack/interactions", 2 << 20, http.StatusUnauthorized},
		{"2 MiB", "/slack/events", 2 << 20, http.StatusUnauthorized},
		{"1 MiB + 1", "/slack/commands", bot.MaxBodyBytes + 1, http.StatusUnauthorized},
		{"1 MiB", "/slack/commands", bot.MaxBodyBytes, http.StatusOK},
		{"1 MiB", "/slack/events", bot.MaxBodyBytes, http.StatusBadRequest}, // read, then no event
	}
	// In process: what a client does with an early answer to a body it is
	// still sending is not the bot's business.
	h := e.bot.Handler()
	for _, tc := range tests {
		t.Run("body "+tc.path+" "+tc.name, func(t *testing.T) {
			req := signedRequest(t, "http://itspm.test", tc.path, formType, big(tc.size), now)
			rec := httptest.NewRecorder()
			start := time.Now()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Errorf("status %d, want %d", rec.Code, tc.want)
			}
			if d := time.Since(start); d > maxAck {
				t.Errorf("answered after %v", d)
			}
		})
	}
}
