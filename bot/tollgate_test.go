package bot_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/itspm/itspm/internal/fakeslack"
)

// TestTollgateThroughSlack runs a tollgate request the way people do it in
// Slack: the command, the board message with buttons, the approver's App
// Home, the click, and the message updated in place.
func TestTollgateThroughSlack(t *testing.T) {
	e := newEnv(t, func(c *envConfig) { c.flow = true })
	// wifi (owner marco) operate → improve: design-authority, quorum 1.
	if got := e.slashCommand("U0MARCO", "tollgate wifi improve", "open"); got.status != http.StatusOK {
		t.Fatalf("ack %d", got.status)
	}
	e.responses("open", 1)
	var board fakeslack.Message
	e.wait("request in the board channel", func() bool {
		for _, m := range e.fake.Messages("C0BOARD") {
			if strings.Contains(string(m.Blocks), "tollgate_approve") {
				board = m
				return true
			}
		}
		return false
	})
	requestID := ""
	for _, b := range buttonsOf(t, board.Blocks) {
		if b.actionID == "tollgate_approve" {
			requestID = b.value
		}
	}
	if requestID == "" {
		t.Fatalf("no approve button: %s", board.Blocks)
	}

	// Lee sits on the board: the request waits for him on his App Home.
	e.event("EvHOMELEE", map[string]any{"type": "app_home_opened", "user": "U0LEE", "tab": "home", "event_ts": "1764202200.000100"})
	e.wait("Lee's home", func() bool { return len(e.fake.Published("U0LEE")) == 1 })
	home := e.fake.Published("U0LEE")[0]
	if !strings.Contains(blocksText(home.Blocks), "Waiting for your vote") || !strings.Contains(string(home.Blocks), requestID) {
		t.Errorf("home lacks the waiting request %s:\n%s", requestID, blocksText(home.Blocks))
	}

	// The click approves (quorum 1): the board message loses its buttons.
	click := blockActions("U0LEE", "tollgate_approve", requestID, e.fake.ResponseURL("vote"))
	click["container"] = map[string]any{"type": "message", "channel_id": "C0BOARD", "message_ts": board.TS}
	if got := e.interaction(click); got.status != http.StatusOK {
		t.Fatalf("click ack %d", got.status)
	}
	if r := e.responses("vote", 1)[0]; r.ResponseType != "ephemeral" {
		t.Errorf("vote answer %+v, want ephemeral", r)
	}
	e.wait("board message updated", func() bool {
		m, _ := e.fake.Message("C0BOARD", board.TS)
		return m.Edited() && !strings.Contains(string(m.Blocks), "tollgate_approve")
	})
	// A second click (another member, or a double click) changes nothing.
	e.interaction(blockActions("U0DANA", "tollgate_approve", requestID, e.fake.ResponseURL("late")))
	e.responses("late", 1)
	e.shutdown()
	m, _ := e.fake.Message("C0BOARD", board.TS)
	if len(m.History) != 2 {
		t.Errorf("board message has %d versions, want 2 (posted, decided)", len(m.History))
	}
}

type btn struct{ actionID, value string }

func buttonsOf(t *testing.T, raw []byte) []btn {
	t.Helper()
	var out []btn
	for _, b := range decodeBlocks(t, raw) {
		if b["type"] != "actions" {
			continue
		}
		for _, el := range b["elements"].([]any) {
			m := el.(map[string]any)
			v, _ := m["value"].(string)
			out = append(out, btn{m["action_id"].(string), v})
		}
	}
	return out
}
