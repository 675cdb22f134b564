package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/itspm/itspm/commands"
)

// printNotifier is the terminal's Notifier: what Slack would receive is
// collected and printed after the reply that caused it.
type printNotifier struct {
	mu  sync.Mutex
	buf bytes.Buffer
	seq int
}

func (p *printNotifier) Post(_ context.Context, to string, r commands.Reply) (string, string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seq++
	ts := fmt.Sprintf("%d.%06d", time.Now().Unix(), p.seq)
	fmt.Fprintf(&p.buf, "\n→ to %s:\n%s\n", to, indent(commands.PlainText(r)))
	return to, ts, nil
}

func (p *printNotifier) Update(_ context.Context, channel, ts string, r commands.Reply) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(&p.buf, "\n→ updated message %s in %s:\n%s\n", ts, channel, indent(commands.PlainText(r)))
	return nil
}

// flush returns and clears what was collected.
func (p *printNotifier) flush() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := strings.TrimRight(p.buf.String(), "\n")
	p.buf.Reset()
	return s
}

func indent(s string) string { return "    " + strings.ReplaceAll(s, "\n", "\n    ") }
