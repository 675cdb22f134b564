package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/itspm/itspm/bot"
	"github.com/itspm/itspm/commands"
)

// longReply is a list far beyond one message: some 8 pages.
func longReply(n int) (commands.Reply, []string) {
	var lines []string
	for i := range n {
		lines = append(lines, fmt.Sprintf("Service number %04d: operate, Tier 2, owner %s & co", i, commands.Mention("U0LEE", "Lee Chen")))
	}
	return commands.Reply{
		Title:    "Find: service",
		Text:     fmt.Sprintf("%d services matching \"service\":", n),
		Sections: []commands.Section{{Lines: lines}},
		Context:  "Ordered by relevance",
		Actions:  []commands.Action{{Label: "Help", Command: "help"}},
		Again:    "find service",
	}, lines
}

// pageOf is what one rendered page holds.
type pageOf struct {
	lines      []string // the list items, as rendered
	note       string   // "Page 2 of 8 · …"
	prev, next string   // the page buttons' values ("" when absent)
	blocks     []map[string]any
}

// readPage renders r and reads the page it shows.
func readPage(t *testing.T, r commands.Reply) pageOf {
	t.Helper()
	return parsePage(blockJSON(t, r))
}

func parsePage(blocks []map[string]any) pageOf {
	p := pageOf{blocks: blocks}
	for _, b := range blocks {
		switch b["type"] {
		case "section":
			text, _ := b["text"].(map[string]any)["text"].(string)
			for l := range strings.SplitSeq(text, "\n") {
				if item, ok := strings.CutPrefix(l, "• "); ok {
					p.lines = append(p.lines, item)
				}
			}
		case "context":
			if s := b["elements"].([]any)[0].(map[string]any)["text"].(string); strings.HasPrefix(s, "Page ") {
				p.note = s
			}
		case "actions":
			for _, el := range b["elements"].([]any) {
				btn := el.(map[string]any)
				id, value := btn["action_id"].(string), btn["value"].(string)
				switch {
				case id == bot.ActionPage && strings.Contains(fmt.Sprint(btn["text"]), "Previous"):
					p.prev = value
				case strings.HasPrefix(id, bot.ActionPage+"#") || id == bot.ActionPage:
					p.next = value
				}
			}
		}
	}
	return p
}

func TestLongRepliesPageThroughEveryItemOnce(t *testing.T) {
	reply, lines := longReply(10000)
	want := make([]string, len(lines))
	for i, l := range lines {
		want[i] = strings.ReplaceAll(strings.ReplaceAll(l, "&", "&amp;"), commands.Mention("U0LEE", "Lee Chen"), "<@U0LEE>")
	}
	e := newEnv(t)
	var got []string
	pages := 0
	for page, prev := 0, ""; ; pages++ {
		if pages > 100 {
			t.Fatal("the Next buttons never end")
		}
		r := reply
		r.Page = page
		p := readPage(t, r)
		if len(p.blocks) > bot.MaxMessageBlocks {
			t.Fatalf("page %d: %d blocks", page, len(p.blocks))
		}
		if p.blocks[0]["type"] != "header" || p.blocks[len(p.blocks)-1]["type"] != "actions" {
			t.Errorf("page %d: first %v, last %v; want the header and the reply's own buttons on every page", page, p.blocks[0]["type"], p.blocks[len(p.blocks)-1]["type"])
		}
		if !strings.HasPrefix(p.note, fmt.Sprintf("Page %d of ", page+1)) {
			t.Errorf("page %d: note %q", page, p.note)
		}
		if wantNote := fmt.Sprintf("items %d–%d of 10000", len(got)+1, len(got)+len(p.lines)); !strings.HasSuffix(p.note, wantNote) {
			t.Errorf("page %d: note %q, want it to end %q", page, p.note, wantNote)
		}
		if p.prev != prev {
			t.Errorf("page %d: Previous = %q, want %q", page, p.prev, prev)
		}
		// Slack accepts every page as it is.
		if _, _, err := e.sender.Post(context.Background(), "C0PAGES", r); err != nil {
			t.Fatalf("page %d refused: %v", page, err)
		}
		got = append(got, p.lines...)
		if p.next == "" {
			break
		}
		if want := fmt.Sprintf("%d find service", page+1); p.next != want {
			t.Fatalf("page %d: Next = %q, want %q", page, p.next, want)
		}
		prev = fmt.Sprintf("%d find service", page)
		page++
	}
	if pages < 3 {
		t.Errorf("%d pages for 10,000 lines; want several", pages+1)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the pages together are not the list, once and in order (-want +got):\n%s", diff)
	}
	// A page past the end (the list shrank since) shows the last one.
	r := reply
	r.Page = 999
	if p := readPage(t, r); p.next != "" || p.prev == "" || len(p.lines) == 0 {
		t.Errorf("page past the end: %d lines, prev %q, next %q; want the last page", len(p.lines), p.prev, p.next)
	}
}

func TestRepliesThatCannotRunAgainAreCut(t *testing.T) {
	reply, _ := longReply(10000)
	for name, again := range map[string]string{"no command": "", "command too long for a button": strings.Repeat("x", 2100)} {
		t.Run(name, func(t *testing.T) {
			r := reply
			r.Again = again
			p := readPage(t, r)
			if p.note != "" || p.next != "" || p.prev != "" {
				t.Errorf("paged (note %q, next %q) a reply that cannot be run again", p.note, p.next)
			}
			if text := fmt.Sprint(p.blocks); !strings.Contains(text, "more not shown") {
				t.Errorf("no 'more not shown' note")
			}
		})
	}
}

// listEngine answers "find service" with a long list, as the engine does for
// read-only commands (Again set), and counts the runs.
type listEngine struct {
	*commands.Engine
	runs chan string
}

func (l *listEngine) Handle(ctx context.Context, c commands.Caller, text string) (commands.Reply, error) {
	if text != "find service" {
		return l.Engine.Handle(ctx, c, text)
	}
	l.runs <- c.SlackUser
	r, _ := longReply(5000)
	return r, nil
}

func TestNextPageButtonReplacesTheMessageWithTheNextPage(t *testing.T) {
	list := &listEngine{runs: make(chan string, 4)}
	e := newEnv(t, func(c *envConfig) {
		c.engine = func(en *commands.Engine) bot.Engine { list.Engine = en; return list }
	})
	e.slashCommand("U0SAM", "find service", "first")
	first := e.responses("first", 1)[0]
	<-list.runs
	p1 := parsePage(decodeBlocks(t, first.Blocks))
	if p1.next != "1 find service" || p1.prev != "" || !strings.HasPrefix(p1.note, "Page 1 of ") {
		t.Fatalf("first answer: next %q prev %q note %q", p1.next, p1.prev, p1.note)
	}

	e.interaction(blockActions("U0SAM", bot.ActionPage+"#2", p1.next, e.fake.ResponseURL("next")))
	next := e.responses("next", 1)[0]
	if who := <-list.runs; who != "U0SAM" {
		t.Errorf("the next page ran as %q, want the clicker", who)
	}
	if !next.ReplaceOriginal || next.ResponseType != "ephemeral" {
		t.Errorf("next page: replace_original %v, response_type %q; want it in place of the clicked message, for the clicker", next.ReplaceOriginal, next.ResponseType)
	}
	p2 := parsePage(decodeBlocks(t, next.Blocks))
	if !strings.HasPrefix(p2.note, "Page 2 of ") || p2.prev != "0 find service" {
		t.Errorf("second page: note %q prev %q", p2.note, p2.prev)
	}
	if len(p2.lines) == 0 || p2.lines[0] == p1.lines[0] || !strings.HasPrefix(p2.lines[0], fmt.Sprintf("Service number %04d", len(p1.lines))) {
		t.Errorf("second page starts with %q after %d items on the first", p2.lines[0], len(p1.lines))
	}

	// A forged or garbled page button does nothing.
	e.interaction(blockActions("U0SAM", bot.ActionPage, "x find service", e.fake.ResponseURL("forged")))
	e.interaction(blockActions("U0SAM", bot.ActionPage, "-1 find service", e.fake.ResponseURL("forged")))
	e.shutdown()
	if n := len(e.fake.Responses("forged")); n != 0 {
		t.Errorf("%d answers to garbled page buttons", n)
	}
	if len(list.runs) != 0 {
		t.Errorf("garbled page buttons ran the command")
	}
}
