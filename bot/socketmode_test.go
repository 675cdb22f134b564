package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/itspm/itspm/internal/fakeslack"
)

// socketEnv is an env whose Slack client talks through the fake's Socket
// Mode front, with RunSocketMode running until the test ends.
func socketEnv(t *testing.T, opts ...func(*envConfig)) (*env, *fakeslack.SocketMode) {
	t.Helper()
	var sm *fakeslack.SocketMode
	opts = append(opts, func(c *envConfig) {
		c.app = "xapp-1-A0000APP1-test"
		c.apiURL = func(f *fakeslack.Server) string {
			sm = fakeslack.NewSocketMode(f)
			t.Cleanup(sm.Close)
			return sm.APIURL()
		}
	})
	e := newEnv(t, opts...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.bot.RunSocketMode(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("RunSocketMode: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("RunSocketMode did not return after cancel")
		}
	})
	return e, sm
}

func TestSocketModeSlashCommandAckedAndAnswered(t *testing.T) {
	e, sm := socketEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()

	// The fields Slack sends over the socket are those of the HTTP form.
	payload := map[string]string{}
	for k, v := range slashForm("U0SAM", "owner payroll", e.fake.ResponseURL("sock")) {
		payload[k] = v[0]
	}
	id, err := sm.Send(ctx, fakeslack.Envelope{Type: "slash_commands", Payload: payload, AcceptsResponsePayload: true})
	if err != nil {
		t.Fatal(err)
	}
	ack, err := sm.WaitAck(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if ack.Payload != nil {
		t.Errorf("ack carried %s, want a bare ack (the answer goes to response_url)", ack.Payload)
	}
	resp := e.responses("sock", 1)[0]
	if text := blocksText(resp.Blocks); !strings.Contains(text, "<@U0LEE>") {
		t.Errorf("answer lacks the owner:\n%s", text)
	}
	if calls := e.fake.Calls("apps.connections.open"); len(calls) == 0 || !strings.HasPrefix(calls[0].Token, "xapp-") {
		t.Errorf("apps.connections.open not called with the app token")
	}
}

func TestSocketModeRetriedEventTakesEffectOnce(t *testing.T) {
	e, sm := socketEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cb := eventCallback("Ev0SOCK1", map[string]any{
		"type": "app_mention", "user": "U0SAM", "text": "<@U0000BOT1> who owns payroll?", "ts": "1764202000.000100",
		"channel": "C0PAYROLL", "event_ts": "1764202000.000100",
	})
	var ids []string
	for attempt := range 2 {
		env := fakeslack.Envelope{Type: "events_api", Payload: cb, RetryAttempt: attempt}
		if attempt > 0 {
			env.RetryReason = "timeout"
		}
		id, err := sm.Send(ctx, env)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for _, id := range ids {
		if _, err := sm.WaitAck(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	e.shutdown()
	if msgs := e.fake.Messages("C0PAYROLL"); len(msgs) != 1 {
		t.Errorf("%d answers, want 1", len(msgs))
	}
}

func TestSocketModeInteractionAckCarriesViewErrors(t *testing.T) {
	_, sm := socketEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	id, err := sm.Send(ctx, fakeslack.Envelope{Type: "interactive", AcceptsResponsePayload: true, Payload: map[string]any{
		"type": "view_submission", "user": map[string]any{"id": "U0SAM"}, "trigger_id": nextTrigger(),
		"view": map[string]any{"id": "V1", "callback_id": "tollgate_reject", "private_metadata": "TG-1",
			"state": map[string]any{"values": map[string]any{"reason": map[string]any{"reason": map[string]any{"value": ""}}}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	ack, err := sm.WaitAck(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(ack.Payload, &got); err != nil || got["response_action"] != "errors" {
		t.Errorf("ack payload %s, want response_action errors", ack.Payload)
	}
}

func TestSocketModeRedeliveredCommandAnsweredOnce(t *testing.T) {
	e, sm := socketEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	payload := map[string]string{}
	for k, v := range slashForm("U0SAM", "owner payroll", e.fake.ResponseURL("redo")) {
		payload[k] = v[0]
	}
	for attempt := range 2 {
		id, err := sm.Send(ctx, fakeslack.Envelope{EnvelopeID: fmt.Sprintf("env-redo-%d", attempt), Type: "slash_commands", Payload: payload, AcceptsResponsePayload: true, RetryAttempt: attempt})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sm.WaitAck(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	e.shutdown()
	if n := len(e.fake.Responses("redo")); n != 1 {
		t.Errorf("%d answers to a redelivered command, want 1", n)
	}
}
