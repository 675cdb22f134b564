package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/itspm/itspm/internal/fakeslack"
)

func TestServeRequiresSlackSettings(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want []string // one line each, in order
	}{
		{"nothing", nil, []string{
			"itspm: SLACK_BOT_TOKEN: required by serve",
			"itspm: SLACK_SIGNING_SECRET: required by serve unless SLACK_APP_TOKEN",
		}},
		{"no signing secret", []string{"SLACK_BOT_TOKEN=xoxb-1"}, []string{"itspm: SLACK_SIGNING_SECRET: required by serve"}},
		{"socket mode without bot token", []string{"SLACK_APP_TOKEN=xapp-1"}, []string{"itspm: SLACK_BOT_TOKEN: required by serve"}},
		{"user token", []string{"SLACK_BOT_TOKEN=xoxp-1", "SLACK_SIGNING_SECRET=s"}, []string{"itspm: SLACK_BOT_TOKEN: must be a bot token starting with xoxb-"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			env := append([]string{"ITSPM_DATA_DIR=" + t.TempDir()}, tc.env...)
			code := run(context.Background(), []string{"serve"}, stdio{in: strings.NewReader(""), out: &out, err: &errOut}, env)
			if code != exitData {
				t.Errorf("exit %d, want %d", code, exitData)
			}
			lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
			if len(lines) != len(tc.want) {
				t.Fatalf("stderr has %d lines, want %d:\n%s", len(lines), len(tc.want), errOut.String())
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("line %d = %q, want it to start with %q", i+1, lines[i], w)
				}
			}
		})
	}
}

// TestServeSocketMode runs `itspm serve` in-process in Socket Mode against
// the fake Slack: no signing secret, no inbound Slack HTTP, a slash command
// over the WebSocket acknowledged and answered, then a clean stop.
func TestServeSocketMode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the embedded store")
	}
	dir := t.TempDir()
	chatSession(t, dir, []string{"--demo"}, "help") // imports the sample catalog

	slack := fakeslack.New()
	t.Cleanup(slack.Close)
	sm := fakeslack.NewSocketMode(slack)
	t.Cleanup(sm.Close)
	logs := &syncBuffer{}
	env := []string{
		"ITSPM_DATA_DIR=" + dir,
		"ITSPM_HTTP_ADDR=127.0.0.1:0",
		"SLACK_BOT_TOKEN=xoxb-socket-test",
		"SLACK_APP_TOKEN=xapp-1-socket-test",
		"SLACK_API_URL=" + sm.APIURL(),
		"ITSPM_LOG_FORMAT=json",
		"ITSPM_LOG_LEVEL=info",
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, stdio{in: strings.NewReader(""), out: logs, err: logs}, env)
	}()

	wctx, wcancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer wcancel()
	id, err := sm.Send(wctx, fakeslack.Envelope{Type: "slash_commands", AcceptsResponsePayload: true, Payload: map[string]string{
		"command": "/itspm", "text": "owner payroll", "user_id": "U0SAM", "channel_id": "C0GENERAL",
		"response_url": slack.ResponseURL("sock"), "trigger_id": "trigger-socket-1",
	}})
	if err != nil {
		t.Fatalf("%v\n%s", err, logs.tail(20))
	}
	if _, err := sm.WaitAck(wctx, id); err != nil {
		t.Fatal(err)
	}
	if err := slack.WaitFor(wctx, func() bool { return len(slack.Responses("sock")) == 1 }); err != nil {
		t.Fatalf("no answer on the response_url: %v", err)
	}
	if blocks := fmt.Sprint(slack.Responses("sock")[0].JSON["blocks"]); !strings.Contains(blocks, "<@U0LEE>") {
		t.Errorf("answer lacks the owner: %s", blocks)
	}

	// The start-up line names the mode and the real address (":0" resolved).
	var start struct {
		Msg, Addr, Mode, Store string
	}
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"itspm serving"`) {
			_ = json.Unmarshal(sc.Bytes(), &start)
		}
	}
	if start.Mode != "Socket Mode" || strings.HasSuffix(start.Addr, ":0") || !strings.HasPrefix(start.Store, "embedded") {
		t.Fatalf("start-up line = %+v\n%s", start, logs.tail(20))
	}
	get := func(method, path string) int {
		req, _ := http.NewRequest(method, "http://"+start.Addr+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get(http.MethodGet, "/readyz"); got != http.StatusOK {
		t.Errorf("/readyz = %d", got)
	}
	// Without a signing secret nothing can be verified: HTTP Slack routes refuse.
	if got := get(http.MethodPost, "/slack/commands"); got != http.StatusUnauthorized {
		t.Errorf("/slack/commands = %d, want 401", got)
	}

	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("serve exited %d after cancel, want 0\n%s", code, logs.tail(20))
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop")
	}
	for _, secret := range []string{"xoxb-socket-test", "xapp-1-socket-test", slack.ResponseURL("sock")} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("logs contain a secret: %s", secret)
		}
	}
}
