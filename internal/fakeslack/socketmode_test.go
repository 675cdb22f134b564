package fakeslack_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/itspm/itspm/internal/fakeslack"
)

func TestSocketModeEnvelopesAndAcks(t *testing.T) {
	srv := fakeslack.New()
	t.Cleanup(srv.Close)
	sm := fakeslack.NewSocketMode(srv)
	t.Cleanup(sm.Close)

	// apps.connections.open wants the app-level token, as on Slack.
	for token, want := range map[string]string{"": "not_authed", "xoxb-test": "invalid_auth"} {
		c := slack.New("xoxb-test", slack.OptionAPIURL(sm.APIURL()), slack.OptionAppLevelToken(token))
		if _, _, err := c.StartSocketModeContext(context.Background()); err == nil || err.Error() != want {
			t.Errorf("apps.connections.open with %q: %v, want %s", token, err, want)
		}
	}

	api := slack.New("xoxb-test", slack.OptionAPIURL(sm.APIURL()), slack.OptionAppLevelToken("xapp-1-test"))
	client := socketmode.New(api)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	go func() { _ = client.RunContext(ctx) }()

	id, err := sm.Send(ctx, fakeslack.Envelope{Type: "slash_commands", AcceptsResponsePayload: true,
		Payload: map[string]string{"command": "/itspm", "text": "help", "user_id": "U0LEE"}})
	if err != nil {
		t.Fatal(err)
	}
	var got slack.SlashCommand
	for got.Command == "" {
		select {
		case evt := <-client.Events:
			if evt.Type != socketmode.EventTypeSlashCommand {
				continue
			}
			got = evt.Data.(slack.SlashCommand)
			if evt.Request.EnvelopeID != id {
				t.Errorf("envelope %q, want %q", evt.Request.EnvelopeID, id)
			}
			if err := client.Ack(*evt.Request, map[string]string{"text": "working on it"}); err != nil {
				t.Fatal(err)
			}
		case <-ctx.Done():
			t.Fatal("no slash command event")
		}
	}
	if got.Text != "help" || got.UserID != "U0LEE" {
		t.Errorf("slash command = %+v", got)
	}
	ack, err := sm.WaitAck(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var payload map[string]string
	if err := json.Unmarshal(ack.Payload, &payload); err != nil || payload["text"] != "working on it" {
		t.Errorf("ack payload %s", ack.Payload)
	}
	// The Web API works through the same URL, on the same state.
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("hi", false)); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Messages("C1")); n != 1 {
		t.Errorf("%d messages", n)
	}
	if len(srv.Calls(fakeslack.MethodSocketAck)) != 1 || sm.Connections() != 1 {
		t.Errorf("acks recorded %d, connections %d", len(srv.Calls(fakeslack.MethodSocketAck)), sm.Connections())
	}
}
