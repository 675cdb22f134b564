package bot

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/itspm/itspm/commands"
)

// Block Kit limits (Slack's reference). Rendering keeps every reply inside
// them instead of letting Slack reject the message.
const (
	MaxMessageBlocks = 50   // blocks in a message or response_url post
	MaxViewBlocks    = 100  // blocks in a modal or the App Home
	maxSectionText   = 3000 // section text
	maxFieldText     = 2000 // one section field
	maxFields        = 10   // fields per section
	maxHeaderText    = 150  // header (plain_text)
	maxButtonText    = 75   // button label (plain_text)
	maxButtonValue   = 2000 // button value
	maxButtons       = 25   // elements of an actions block
	maxContextText   = 2000 // one context element, kept well under Slack's limit
	maxFallbackText  = 3000 // the message's top-level text (notifications)
)

// Action IDs of the buttons the bot renders and handles.
const (
	ActionRunCommand      = "run_command"      // value: command text
	ActionTollgateApprove = "tollgate_approve" // value: request ID
	ActionTollgateReject  = "tollgate_reject"  // value: request ID
	ActionPage            = "page"             // value: "<page> <command text>" (see pageValue)
)

// escaper escapes the three characters Slack's mrkdwn treats as control
// characters. Catalog text goes through it before mention tokens become
// <@U…>, so "<!channel>" in a description can never ping anyone.
var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Escape escapes text for Slack mrkdwn.
func Escape(s string) string { return escaper.Replace(s) }

// mrkdwn renders reply text for a mrkdwn field: escaped, with mentions as
// real Slack mentions. A mention token whose user is not a Slack user ID
// (only typed text can hold one: the catalog refuses private-use
// characters) is shown as its escaped label, so "<!channel>" cannot be
// smuggled in as a user ID.
func mrkdwn(s string) string {
	return commands.ReplaceMentions(s, Escape, func(user, label string) string {
		if !slackUserID(user) {
			return Escape(label)
		}
		return "<@" + user + ">"
	})
}

// slackUserID reports whether s looks like a Slack user ID (U… or W…).
func slackUserID(s string) bool {
	if len(s) < 2 || len(s) > 24 || (s[0] != 'U' && s[0] != 'W') {
		return false
	}
	for _, c := range []byte(s[1:]) {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// plain renders reply text for a plain_text field: Slack shows it verbatim,
// so nothing is escaped and mentions become the person's name.
func plain(s string) string {
	return commands.ReplaceMentions(s, nil, func(_, label string) string { return label })
}

// clip shortens s to at most n runes, ending in "…" when cut, without
// splitting an escape (&amp;) or a mention (<@U…>).
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:safeCut(r, n-1)]) + "…"
}

// safeCut moves a cut point at n back to before an unfinished "&…;" or
// "<…>" sequence, so escaped text stays valid mrkdwn.
func safeCut(r []rune, n int) int {
	for i := n - 1; i >= 0 && i >= n-32; i-- {
		switch r[i] {
		case ';', '>':
			return n
		case '&', '<':
			return i
		}
	}
	return n
}

// Render turns a reply into message blocks (at most MaxMessageBlocks) and
// the plain fallback text Slack shows in notifications.
func Render(r commands.Reply) ([]slack.Block, string) {
	return render(r, MaxMessageBlocks), Fallback(r)
}

// Fallback is the top-level text of a message: what notifications and
// screen readers show. Mentions become names so the fallback never pings.
func Fallback(r commands.Reply) string {
	var parts []string
	if r.Title != "" {
		parts = append(parts, r.Title)
	}
	if r.Text != "" {
		parts = append(parts, r.Text)
	}
	if len(parts) == 0 {
		s := commands.PlainText(r)
		parts = append(parts, s)
	}
	s := strings.Join(parts, ": ")
	s = Escape(plain(s))
	if strings.TrimSpace(s) == "" {
		s = "itspm"
	}
	return clip(s, maxFallbackText)
}

// body is one rendered block and how many reply items (lines, fields) it
// carries, to say how many were left out when the budget runs out.
type body struct {
	block slack.Block
	items int
}

// render builds the blocks of r within limit blocks. Header first, then the
// lead text, the sections, the context line and the buttons. When there
// are too many blocks the body is shown a page at a time, with buttons to
// the other pages, if r says how to run it again; otherwise it is cut and
// a context line says how much is missing. The reply's own buttons stay.
func render(r commands.Reply, limit int) []slack.Block {
	var head []slack.Block
	if t := strings.TrimSpace(plain(r.Title)); t != "" {
		head = append(head, slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, clip(oneLine(t), maxHeaderText), true, false)))
	}
	var bodies []body
	if r.Text != "" {
		text := r.Text
		if r.Error {
			text = ":warning: " + text
		}
		for _, chunk := range chunkText(mrkdwn(text), maxSectionText) {
			bodies = append(bodies, body{block: mdSection(chunk)})
		}
	}
	for _, sec := range r.Sections {
		bodies = append(bodies, renderSection(sec)...)
	}
	var tail []slack.Block
	if c := strings.TrimSpace(r.Context); c != "" {
		tail = append(tail, slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, clip(mrkdwn(c), maxContextText), false, false)))
	}
	actions := renderActions(r.Actions)
	if len(head)+len(bodies)+len(tail)+len(actions) == 0 {
		// Slack refuses a message without content.
		bodies = append(bodies, body{block: mdSection("_(nothing to show)_")})
	}

	room := limit - len(head) - len(tail) - len(actions)
	if len(bodies) > room {
		if page, ok := paginate(r, bodies, room-2); ok { // 2: the page line and its buttons
			blocks := make([]slack.Block, 0, limit)
			blocks = append(blocks, head...)
			for _, b := range page.bodies {
				blocks = append(blocks, b.block)
			}
			blocks = append(blocks, page.note)
			blocks = append(blocks, tail...)
			blocks = append(blocks, page.nav)
			return append(blocks, actions...)
		}
		// Keep one slot for the "… N more" line.
		keep := room - 1
		if keep < 0 {
			keep = 0
		}
		dropped := 0
		for _, b := range bodies[keep:] {
			dropped += b.items
		}
		bodies = bodies[:keep]
		note := "… more not shown."
		if dropped > 0 {
			note = fmt.Sprintf("… %d more not shown.", dropped)
		}
		tail = append([]slack.Block{slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, note, false, false))}, tail...)
		if over := len(head) + len(bodies) + len(tail) + len(actions) - limit; over > 0 {
			// Only when max is tiny: drop buttons before the note.
			actions = actions[:len(actions)-min(over, len(actions))]
		}
	}
	blocks := make([]slack.Block, 0, len(head)+len(bodies)+len(tail)+len(actions))
	blocks = append(blocks, head...)
	for _, b := range bodies {
		blocks = append(blocks, b.block)
	}
	blocks = append(blocks, tail...)
	blocks = append(blocks, actions...)
	if len(blocks) > limit {
		blocks = blocks[:limit]
	}
	return blocks
}

// page is one page of a reply too long for a message.
type page struct {
	bodies []body
	note   slack.Block // "Page 2 of 5 · items 48–94 of 230"
	nav    slack.Block // Previous / Next
}

// paginate cuts bodies into pages of per blocks and returns r.Page's (the
// last when r.Page is past the end). It declines when r cannot be run
// again (no Again, or too long for a button) or there is no room.
func paginate(r commands.Reply, bodies []body, per int) (page, bool) {
	if r.Again == "" || per < 1 || len(pageValue(0, r.Again)) > maxButtonValue {
		return page{}, false
	}
	pages := (len(bodies) + per - 1) / per
	p := min(max(r.Page, 0), pages-1)
	from, to := p*per, min((p+1)*per, len(bodies))
	total, before, shown := 0, 0, 0
	for i, b := range bodies {
		total += b.items
		switch {
		case i < from:
			before += b.items
		case i < to:
			shown += b.items
		}
	}
	note := fmt.Sprintf("Page %d of %d", p+1, pages)
	if shown > 0 {
		note += fmt.Sprintf(" · items %d–%d of %d", before+1, before+shown, total)
	}
	var buttons []slack.BlockElement
	if p > 0 {
		buttons = append(buttons, slack.NewButtonBlockElement(ActionPage, pageValue(p-1, r.Again), plainText("◀ Previous")))
	}
	if p < pages-1 {
		next := slack.NewButtonBlockElement(ActionPage+"#2", pageValue(p+1, r.Again), plainText("Next ▶"))
		next.Style = slack.StylePrimary
		buttons = append(buttons, next)
	}
	return page{
		bodies: bodies[from:to],
		note:   slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, note, false, false)),
		nav:    slack.NewActionBlock("", buttons...),
	}, true
}

// pageValue is the value of a page button: the page and the command that
// makes the reply, which is run again when the button is clicked.
func pageValue(page int, again string) string { return strconv.Itoa(page) + " " + again }

// parsePageValue reverses pageValue.
func parsePageValue(v string) (page int, again string, ok bool) {
	n, again, found := strings.Cut(v, " ")
	page, err := strconv.Atoi(n)
	if !found || err != nil || page < 0 || strings.TrimSpace(again) == "" {
		return 0, "", false
	}
	return page, again, true
}

func mdSection(text string) *slack.SectionBlock {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil)
}

// renderSection renders a heading and text as one section (split when
// long), fields in groups of ten, and lines as bullet lists cut under the
// section limit.
func renderSection(sec commands.Section) []body {
	var out []body
	var lead []string
	if h := strings.TrimSpace(sec.Heading); h != "" {
		lead = append(lead, "*"+mrkdwn(oneLine(h))+"*")
	}
	if sec.Text != "" {
		lead = append(lead, mrkdwn(sec.Text))
	}
	// A heading with nothing but lines below it goes on top of the first
	// list chunk instead of taking a block of its own.
	headingOnly := len(lead) == 1 && sec.Text == "" && len(sec.Fields) == 0 && len(sec.Lines) > 0
	if len(lead) > 0 && !headingOnly {
		for _, chunk := range chunkText(strings.Join(lead, "\n"), maxSectionText) {
			out = append(out, body{block: mdSection(chunk)})
		}
	}
	for i := 0; i < len(sec.Fields); i += maxFields {
		end := min(i+maxFields, len(sec.Fields))
		var fields []*slack.TextBlockObject
		for _, f := range sec.Fields[i:end] {
			label, value := strings.TrimSpace(mrkdwn(f.Label)), mrkdwn(f.Value)
			if strings.TrimSpace(value) == "" {
				value = "—"
			}
			text := value
			if label != "" {
				text = "*" + oneLine(label) + "*\n" + value
			}
			fields = append(fields, slack.NewTextBlockObject(slack.MarkdownType, clip(text, maxFieldText), false, false))
		}
		out = append(out, body{block: slack.NewSectionBlock(nil, fields, nil), items: end - i})
	}
	if len(sec.Lines) > 0 {
		prefix := ""
		if headingOnly {
			prefix = lead[0] + "\n"
		}
		var b strings.Builder
		n := 0
		b.WriteString(prefix)
		flush := func() {
			if n > 0 {
				out = append(out, body{block: mdSection(strings.TrimRight(b.String(), "\n")), items: n})
			}
			b.Reset()
			n = 0
		}
		for _, l := range sec.Lines {
			item := clip("• "+mrkdwn(l), maxSectionText-len(prefix)-1)
			if b.Len() > 0 && utf8.RuneCountInString(b.String())+utf8.RuneCountInString(item)+1 > maxSectionText {
				flush()
			}
			b.WriteString(item)
			b.WriteByte('\n')
			n++
		}
		flush()
	}
	return out
}

// renderActions turns actions into buttons, 25 per actions block. Every
// action_id is unique in the message (Slack requires it): repeats get a
// "#<n>" suffix, which the interaction handler strips.
func renderActions(actions []commands.Action) []slack.Block {
	var blocks []slack.Block
	var elems []slack.BlockElement
	seen := map[string]int{}
	for _, a := range actions {
		id, value := a.ID, a.Value
		if id == "" {
			id, value = ActionRunCommand, a.Command
		}
		if strings.TrimSpace(value) == "" && a.ID == "" {
			continue
		}
		label := strings.TrimSpace(plain(a.Label))
		if label == "" {
			label = clip(value, maxButtonText)
		}
		seen[id]++
		if n := seen[id]; n > 1 {
			id = fmt.Sprintf("%s#%d", id, n)
		}
		btn := slack.NewButtonBlockElement(id, clip(value, maxButtonValue), slack.NewTextBlockObject(slack.PlainTextType, clip(oneLine(label), maxButtonText), true, false))
		switch a.Style {
		case "primary":
			btn.Style = slack.StylePrimary
		case "danger":
			btn.Style = slack.StyleDanger
		}
		elems = append(elems, btn)
		if len(elems) == maxButtons {
			blocks = append(blocks, slack.NewActionBlock("", elems...))
			elems = nil
		}
	}
	if len(elems) > 0 {
		blocks = append(blocks, slack.NewActionBlock("", elems...))
	}
	return blocks
}

// actionBase strips the uniqueness suffix renderActions adds.
func actionBase(id string) string {
	base, _, _ := strings.Cut(id, "#")
	return base
}

// chunkText splits s into pieces of at most n runes, at line breaks where
// possible.
func chunkText(s string, n int) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	var out []string
	for utf8.RuneCountInString(s) > n {
		r := []rune(s)
		cut := safeCut(r, n)
		if i := strings.LastIndex(string(r[:n]), "\n"); i > 0 {
			cut = utf8.RuneCountInString(string(r[:n])[:i])
		}
		if cut == 0 {
			cut = n
		}
		piece := strings.TrimRight(string(r[:cut]), "\n")
		if strings.TrimSpace(piece) != "" {
			out = append(out, piece)
		}
		s = strings.TrimLeft(string(r[cut:]), "\n")
	}
	if strings.TrimSpace(s) != "" {
		out = append(out, s)
	}
	return out
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
