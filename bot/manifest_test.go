package bot_test

import (
	"context"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/itspm/itspm/bot"
	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/internal/fakeslack"
)

const manifestPath = "../deploy/slack/manifest.yml"

type manifest struct {
	Features struct {
		AppHome struct {
			HomeTab     bool `yaml:"home_tab_enabled"`
			MessagesTab bool `yaml:"messages_tab_enabled"`
			ReadOnly    bool `yaml:"messages_tab_read_only_enabled"`
		} `yaml:"app_home"`
		SlashCommands []struct {
			Command string `yaml:"command"`
			URL     string `yaml:"url"`
		} `yaml:"slash_commands"`
		Shortcuts []struct {
			Type       string `yaml:"type"`
			CallbackID string `yaml:"callback_id"`
		} `yaml:"shortcuts"`
	} `yaml:"features"`
	OAuth struct {
		Scopes struct {
			Bot []string `yaml:"bot"`
		} `yaml:"scopes"`
	} `yaml:"oauth_config"`
	Settings struct {
		Events struct {
			RequestURL string   `yaml:"request_url"`
			BotEvents  []string `yaml:"bot_events"`
		} `yaml:"event_subscriptions"`
		Interactivity struct {
			IsEnabled  bool   `yaml:"is_enabled"`
			RequestURL string `yaml:"request_url"`
		} `yaml:"interactivity"`
	} `yaml:"settings"`
}

func readManifest(t *testing.T) manifest {
	t.Helper()
	b, err := os.ReadFile(manifestPath)
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", manifestPath, err)
	}
	return m
}

// methodScopes is the bot scope each Web API method needs (Slack's method
// reference); "" means none. A method the bot starts calling must be added
// here, which makes this test check the manifest for it.
var methodScopes = map[string][]string{
	"auth.test":                    nil,
	"chat.postMessage":             {"chat:write"},
	"chat.postEphemeral":           {"chat:write"},
	"chat.update":                  {"chat:write"},
	"conversations.open":           {"im:write"},
	"users.lookupByEmail":          {"users:read", "users:read.email"},
	"files.getUploadURLExternal":   {"files:write"},
	"files.completeUploadExternal": {"files:write"},
	"views.open":                   nil,
	"views.publish":                nil,
	// Not Web API methods: the upload URL and response_urls.
	fakeslack.MethodUpload:      nil,
	fakeslack.MethodResponseURL: nil,
}

// eventScopes is the scope each subscribed event needs.
var eventScopes = map[string][]string{
	"app_mention":     {"app_mentions:read"},
	"message.im":      {"im:history"},
	"app_home_opened": nil,
}

func TestManifestMatchesRoutesEventsAndCalls(t *testing.T) {
	m := readManifest(t)

	// URLs point at the routes the server registers.
	route := func(what, raw, path string) {
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "https" || u.Path != path {
			t.Errorf("%s URL %q: want https://…%s", what, raw, path)
		}
		if !slices.Contains(bot.Routes, "POST "+path) {
			t.Errorf("%s: the server has no route POST %s", what, path)
		}
	}
	if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].Command != "/itspm" {
		t.Fatalf("slash commands = %+v, want /itspm only", m.Features.SlashCommands)
	}
	route("slash command", m.Features.SlashCommands[0].URL, "/slack/commands")
	route("interactivity", m.Settings.Interactivity.RequestURL, "/slack/interactions")
	route("event subscriptions", m.Settings.Events.RequestURL, "/slack/events")
	if !m.Settings.Interactivity.IsEnabled {
		t.Error("interactivity disabled: buttons and modals would do nothing")
	}
	if !m.Features.AppHome.HomeTab || !m.Features.AppHome.MessagesTab || m.Features.AppHome.ReadOnly {
		t.Errorf("app_home = %+v, want the home tab and a writable messages tab", m.Features.AppHome)
	}
	if len(m.Features.Shortcuts) != 1 || m.Features.Shortcuts[0].CallbackID != bot.CallbackFind || m.Features.Shortcuts[0].Type != "global" {
		t.Errorf("shortcuts = %+v, want the global %s", m.Features.Shortcuts, bot.CallbackFind)
	}

	// Events: exactly those the bot handles.
	events := slices.Sorted(slices.Values(m.Settings.Events.BotEvents))
	if want := slices.Sorted(slices.Values(bot.BotEvents)); !slices.Equal(events, want) {
		t.Errorf("bot_events = %v, want %v", events, want)
	}

	// Scopes: what the calls the code really makes need, and nothing more.
	need := map[string]string{"commands": "the /itspm command"}
	for _, ev := range events {
		for _, s := range eventScopes[ev] {
			need[s] = "event " + ev
		}
	}
	for _, method := range exerciseEveryCall(t) {
		scopes, ok := methodScopes[method]
		if !ok {
			t.Errorf("the bot calls %s: add its scopes to methodScopes", method)
		}
		for _, s := range scopes {
			need[s] = method
		}
	}
	have := m.OAuth.Scopes.Bot
	for s, why := range need {
		if !slices.Contains(have, s) {
			t.Errorf("manifest lacks scope %s (needed by %s)", s, why)
		}
	}
	for _, s := range have {
		if _, ok := need[s]; !ok {
			t.Errorf("manifest asks for scope %s, which nothing uses", s)
		}
	}
}

// exerciseEveryCall drives every way the bot reaches Slack (inbound
// requests and the Sender's methods, which jobs and tollgates use) against
// the fake and returns the methods called.
func exerciseEveryCall(t *testing.T) []string {
	e := newEnv(t, func(c *envConfig) { c.flow = true })
	ctx := context.Background()
	e.slashCommand("U0MARCO", "tollgate wifi improve", "m-cmd")
	e.event("EvM1", map[string]any{"type": "app_mention", "user": "U0SAM", "text": "<@U0000BOT1> help", "ts": "1764203000.000100", "channel": "C0PAYROLL"})
	e.event("EvM2", map[string]any{"type": "message", "channel_type": "im", "channel": "D0SAM", "user": "U0SAM", "text": "help", "ts": "1764203000.000200"})
	e.event("EvM3", map[string]any{"type": "app_home_opened", "user": "U0LEE", "tab": "home"})
	e.interaction(blockActions("U0SAM", bot.ActionTollgateReject, "TG-x", e.fake.ResponseURL("m-rej")))
	e.interaction(map[string]any{"type": "shortcut", "callback_id": bot.CallbackFind, "trigger_id": nextTrigger(), "user": map[string]any{"id": "U0LEE"}})
	e.shutdown()

	if _, err := e.sender.AuthTest(ctx); err != nil {
		t.Error(err)
	}
	ch, ts, err := e.sender.Post(ctx, "U0LEE", commands.Reply{Text: "reminder"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sender.Update(ctx, ch, ts, commands.Reply{Text: "updated"}); err != nil {
		t.Error(err)
	}
	if err := e.sender.Ephemeral(ctx, "C0PAYROLL", "U0LEE", commands.Reply{Text: "psst"}); err != nil {
		t.Error(err)
	}
	if err := e.sender.Upload(ctx, "C0PAYROLL", "chart.png", "Chart", []byte("png"), ""); err != nil {
		t.Error(err)
	}
	if _, err := e.sender.ResolveUser(ctx, domain.Person{Name: "lee", PersonSpec: domain.PersonSpec{Email: "lee@example.com"}}); err != nil {
		t.Error(err)
	}
	seen := map[string]bool{}
	for _, c := range e.fake.Calls("") {
		if c.Error != "" && c.Error != "exchanged_trigger_id" {
			t.Errorf("%s failed: %s", c.Method, c.Error)
		}
		seen[c.Method] = true
	}
	var methods []string
	for m := range seen {
		methods = append(methods, m)
	}
	sort.Strings(methods)
	// Every method in the table is really exercised, so the table stays true.
	for m := range methodScopes {
		if !seen[m] {
			t.Errorf("%s is in methodScopes but was not called: %s", m, strings.Join(methods, ", "))
		}
	}
	return methods
}
