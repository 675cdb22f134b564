package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/itspm/itspm/bot"
	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
)

// blockJSON renders r and decodes the blocks generically.
func blockJSON(t *testing.T, r commands.Reply) []map[string]any {
	t.Helper()
	blocks, _ := bot.Render(r)
	b, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRenderEscapesCatalogTextAndRendersMentions(t *testing.T) {
	r := commands.Reply{
		Title: "R&D <tools>",
		Text:  "Owned by " + commands.Mention("U0LEE", "Lee Chen") + ". <!channel> please & thank you <https://evil|click>",
		Sections: []commands.Section{{
			Heading: "A & B",
			Fields:  []commands.Field{{Label: "Owner", Value: commands.Mention("U0LEE", "Lee <Chen>")}},
			Lines:   []string{"<@U0SAM> is not a mention, " + commands.Mention("U0SAM", "Sam") + " is"},
		}},
		Context: "Tags: <!here>",
	}
	blocks, fallback := bot.Render(r)
	raw, _ := json.Marshal(blocks)
	text := blocksText(raw)
	for _, want := range []string{
		"R&D <tools>", // header is plain_text: shown verbatim, never parsed
		"Owned by <@U0LEE>. &lt;!channel&gt; please &amp; thank you &lt;https://evil|click&gt;",
		"*A &amp; B*",
		"*Owner*\n<@U0LEE>",
		"• &lt;@U0SAM&gt; is not a mention, <@U0SAM> is",
		"Tags: &lt;!here&gt;",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("rendered blocks lack %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "<!channel>") || strings.Contains(text, "<!here>") {
		t.Errorf("special mention survived rendering:\n%s", text)
	}
	if strings.Contains(fallback, "<") || !strings.Contains(fallback, "Lee Chen") {
		t.Errorf("fallback %q: want escaped text with names, no mentions", fallback)
	}
}

func TestEscapingEndToEnd(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, err := e.store.UpdateService(ctx, "payroll", domain.AuditEntry{Actor: "test", Action: "edit"}, func(s *domain.Service) error {
		s.Description = "<!channel> Salaries for R&D & ops <script>"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	e.slashCommand("U0SAM", "service payroll", "card")
	resp := e.responses("card", 1)[0]
	text := blocksText(resp.Blocks)
	if !strings.Contains(text, "&lt;!channel&gt; Salaries for R&amp;D &amp; ops &lt;script&gt;") {
		t.Errorf("description not escaped:\n%s", text)
	}
	if strings.Contains(string(resp.Body), "<!channel>") {
		t.Error("raw <!channel> sent to Slack")
	}
	if !strings.Contains(text, "<@U0LEE>") {
		t.Errorf("owner not rendered as a mention:\n%s", text)
	}
	// The card's follow-ups are buttons with unique action_ids.
	var msg struct {
		Blocks []struct {
			Type     string `json:"type"`
			Elements []struct {
				ActionID string `json:"action_id"`
				Value    string `json:"value"`
			} `json:"elements"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(resp.Body, &msg); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range msg.Blocks {
		if b.Type == "actions" {
			for _, el := range b.Elements {
				got = append(got, el.ActionID+"="+el.Value)
			}
		}
	}
	want := []string{"run_command=cost payroll", "run_command#2=deps payroll", "run_command#3=dr payroll", "run_command#4=performance payroll", "run_command#5=history payroll"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("buttons (-want +got):\n%s", diff)
	}
}

func TestRenderStaysWithinBlockKitLimits(t *testing.T) {
	line := func(i int) string {
		return fmt.Sprintf("Service number %03d: operate, Tier 2, owner %s & friends", i, commands.Mention("U0LEE", "Lee Chen"))
	}
	var lines300, lines3000 []string
	for i := range 3000 {
		if i < 300 {
			lines300 = append(lines300, line(i))
		}
		lines3000 = append(lines3000, line(i))
	}
	var ff []commands.Field
	for i := range 35 {
		ff = append(ff, commands.Field{Label: fmt.Sprintf("Field %d", i), Value: strings.Repeat("x", 2500)})
	}
	var actions []commands.Action
	for i := range 30 {
		actions = append(actions, commands.Action{Label: strings.Repeat("Long label ", 10), Command: fmt.Sprintf("service s%d", i)})
	}
	tests := []struct {
		name      string
		reply     commands.Reply
		truncated bool
	}{
		{"300 lines", commands.Reply{Title: "Many services", Sections: []commands.Section{{Heading: "All", Lines: lines300}}}, false},
		{"3000 lines", commands.Reply{Title: "Very many", Sections: []commands.Section{{Heading: "All", Lines: lines3000}}, Actions: actions[:2]}, true},
		{"35 long fields, 30 buttons", commands.Reply{Title: strings.Repeat("T", 400), Sections: []commands.Section{{Fields: ff}}, Actions: actions}, false},
		{"one huge text", commands.Reply{Text: strings.Repeat("word & <word> ", 2000)}, false},
		{"empty", commands.Reply{}, false},
	}
	e := newEnv(t)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			blocks := blockJSON(t, tc.reply)
			if len(blocks) > bot.MaxMessageBlocks {
				t.Errorf("%d blocks, max %d", len(blocks), bot.MaxMessageBlocks)
			}
			var more bool
			for j, b := range blocks {
				if s, ok := b["text"].(map[string]any); ok && b["type"] == "section" {
					if n := utf8.RuneCountInString(s["text"].(string)); n > 3000 {
						t.Errorf("block %d: section text of %d chars", j, n)
					}
				}
				if b["type"] == "context" && strings.Contains(fmt.Sprint(b), "more not shown") {
					more = true
				}
			}
			if more != tc.truncated {
				t.Errorf("'more not shown' note present = %v, want %v", more, tc.truncated)
			}
			if len(tc.reply.Actions) > 0 && blocks[len(blocks)-1]["type"] != "actions" {
				t.Errorf("last block is %v, want the buttons kept", blocks[len(blocks)-1]["type"])
			}
			// The fake applies Slack's documented checks, as Slack would.
			if _, _, err := e.sender.Post(context.Background(), "C0LIMITS", tc.reply); err != nil {
				t.Errorf("Slack refused the message: %v", err)
			}
			name := fmt.Sprintf("limits-%d", i)
			if err := e.sender.Respond(context.Background(), e.fake.ResponseURL(name), tc.reply); err != nil {
				t.Errorf("response_url refused the message: %v", err)
			}
		})
	}
}

func TestRenderCountsWhatIsLeftOut(t *testing.T) {
	var lines []string
	for i := range 5000 {
		lines = append(lines, fmt.Sprintf("line %d with some words to fill the section up quickly enough", i))
	}
	blocks := blockJSON(t, commands.Reply{Sections: []commands.Section{{Lines: lines}}})
	shown := 0
	var note string
	for _, b := range blocks {
		if b["type"] == "section" {
			shown += strings.Count(b["text"].(map[string]any)["text"].(string), "• ")
		}
		if b["type"] == "context" {
			note = b["elements"].([]any)[0].(map[string]any)["text"].(string)
		}
	}
	if want := fmt.Sprintf("… %d more not shown.", 5000-shown); note != want {
		t.Errorf("note %q, want %q (shown %d)", note, want, shown)
	}
}
