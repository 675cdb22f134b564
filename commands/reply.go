package commands

import (
	"fmt"
	"strings"
)

// Reply is what every command and question answers: one model rendered as
// Block Kit by the bot and as plain text by `itspm chat`.
type Reply struct {
	Title     string    // header line
	Text      string    // lead paragraph
	Sections  []Section // bodies
	Context   string    // small print at the end
	Actions   []Action  // buttons (typed commands in the terminal)
	InChannel bool      // meant for the whole channel rather than the asker
	Error     bool      // the reply explains a refusal or a failure
	Charts    []Chart   // uploaded as PNGs after the reply in Slack; the terminal keeps the text

	// Again is the command text that produced the reply. A renderer that
	// must cut a long reply (Slack allows 50 blocks a message) shows it a
	// page at a time, with buttons that run Again for the other pages;
	// without it the cut is final and says how much is missing.
	Again string
	// Page is which page of a cut reply to show, from 0.
	Page int
}

// Section is a block of fields and lines under an optional heading.
type Section struct {
	Heading string
	Text    string
	Fields  []Field
	Lines   []string
}

// Field is a label and its value.
type Field struct {
	Label string
	Value string
}

// Action is a follow-up the reader can take: a command to run, shown as a
// button in Slack.
type Action struct {
	Label   string
	Command string // text of the command it runs, e.g. "cost payroll"
	Style   string // "", "primary" or "danger"
	ID      string // Slack action_id; empty: run Command
	Value   string // Slack button value for ID actions
}

// Mention markup: the reply text carries people as tokens between two
// private-use characters (which catalog text may not contain), so each
// renderer can turn them into <@U…> or a plain name after escaping the rest.
const (
	MentionOpen  = '\uE000'
	MentionClose = '\uE001'
)

// Mention renders a person: "\uE000U0DANA|Dana Ortiz\uE001".
func Mention(slackUser, label string) string {
	if slackUser == "" {
		return label
	}
	return string(MentionOpen) + slackUser + "|" + label + string(MentionClose)
}

// ReplaceMentions rewrites every mention token with f(slackUser, label) and
// passes the text between tokens through esc.
func ReplaceMentions(s string, esc func(string) string, f func(user, label string) string) string {
	if esc == nil {
		esc = func(s string) string { return s }
	}
	var b strings.Builder
	for {
		i := strings.IndexRune(s, MentionOpen)
		if i < 0 {
			b.WriteString(esc(s))
			return b.String()
		}
		j := strings.IndexRune(s[i:], MentionClose)
		if j < 0 {
			b.WriteString(esc(s))
			return b.String()
		}
		b.WriteString(esc(s[:i]))
		tok := s[i+len(string(MentionOpen)) : i+j]
		user, label, _ := strings.Cut(tok, "|")
		b.WriteString(f(user, label))
		s = s[i+j+len(string(MentionClose)):]
	}
}

// PlainMention renders a mention for the terminal.
func PlainMention(user, label string) string { return fmt.Sprintf("%s (@%s)", label, user) }

// PlainText renders a reply for the terminal.
func PlainText(r Reply) string {
	var b strings.Builder
	line := func(s string) {
		b.WriteString(ReplaceMentions(s, nil, PlainMention))
		b.WriteByte('\n')
	}
	if r.Title != "" {
		line(r.Title)
		line(strings.Repeat("=", min(len([]rune(r.Title)), 72)))
	}
	if r.Text != "" {
		line(r.Text)
	}
	for _, s := range r.Sections {
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		if s.Heading != "" {
			line(s.Heading)
		}
		if s.Text != "" {
			line(s.Text)
		}
		width := 0
		for _, f := range s.Fields {
			width = max(width, len([]rune(f.Label)))
		}
		for _, f := range s.Fields {
			line(fmt.Sprintf("  %-*s  %s", width+1, f.Label+":", strings.ReplaceAll(f.Value, "\n", "\n  "+strings.Repeat(" ", width+3))))
		}
		for _, l := range s.Lines {
			line("  • " + l)
		}
	}
	if r.Context != "" {
		b.WriteByte('\n')
		line(r.Context)
	}
	if len(r.Actions) > 0 {
		var cmds []string
		for _, a := range r.Actions {
			cmds = append(cmds, a.Command)
		}
		b.WriteByte('\n')
		line("Next: " + strings.Join(cmds, " | "))
	}
	return strings.TrimRight(b.String(), "\n")
}

// Refusal is the reply for a refusal or failure.
func Refusal(text string) Reply { return Reply{Text: text, Error: true} }
