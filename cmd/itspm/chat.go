package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
)

func runChat(ctx context.Context, args []string, std stdio, env []string) error {
	flags, pos, err := splitFlags(args, map[string]bool{"as": true}, map[string]bool{"demo": true})
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{fmt.Sprintf("chat takes no arguments (got %q); type your questions after it starts", pos[0])}
	}
	a, err := loadApp(std, env)
	if err != nil {
		return err
	}
	notes := &printNotifier{}
	a.notifier = notes
	if err := a.open(ctx); err != nil {
		return err
	}
	defer a.close()
	if flags["demo"] == "true" {
		if err := importSample(ctx, a); err != nil {
			return err
		}
	}
	caller, err := chatCaller(ctx, a, flags["as"])
	if err != nil {
		return err
	}
	interactive := isTerminal(std.in)
	if interactive {
		who := caller.Person
		if who == "" {
			who = caller.SlackUser
		}
		fmt.Fprintf(std.out, "itspm chat: you are %s. Type `help` for commands, a question, or `quit`.\n", who)
	}
	sc := bufio.NewScanner(std.in)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for {
		if interactive {
			fmt.Fprint(std.out, "itspm> ")
		}
		if !sc.Scan() {
			break
		}
		line := strings.TrimSpace(sc.Text())
		if interactive && (line == "quit" || line == "exit") {
			break
		}
		if interactive && line == "" {
			continue
		}
		reply := answer(ctx, a, caller, line)
		fmt.Fprintln(std.out, commands.PlainText(reply))
		if n := notes.flush(); n != "" {
			fmt.Fprintln(std.out, n)
		}
		if !interactive {
			fmt.Fprintln(std.out, "---")
		} else {
			fmt.Fprintln(std.out)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read input: %w", err)
	}
	return nil
}

// answer runs one line through the engine, turning errors into text.
func answer(ctx context.Context, a *app, c commands.Caller, line string) commands.Reply {
	if line == "" {
		return commands.Reply{Text: "Type `help` for the commands, or ask a question."}
	}
	r, err := a.engine.Handle(ctx, c, line)
	if err != nil {
		return commands.ErrorReply(a.logger, err)
	}
	return r
}

// chatCaller decides who is typing: --as, else the first admin, else a local
// operator with the admin role (whoever runs the terminal already holds the
// database).
func chatCaller(ctx context.Context, a *app, as string) (commands.Caller, error) {
	c := commands.Caller{Source: "chat"}
	if as == "" {
		if len(a.cfg.Admins) == 0 {
			a.newEngine([]string{"operator"})
			c.Person = "operator"
			return c, nil
		}
		as = a.cfg.Admins[0]
	}
	snap, err := a.store.Snapshot(ctx)
	if err != nil {
		return c, err
	}
	if _, ok := snap.People[as]; ok {
		c.Person = as
	} else if p, ok := snap.PersonBySlack(as); ok {
		c.Person, c.SlackUser = p.Name, as
	} else if looksLikeSlackUser(as) {
		c.SlackUser = as
	} else {
		msg := fmt.Sprintf("--as: no person %q in the catalog", as)
		if sug := nearestPerson(snap, as); sug != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", sug)
		}
		return c, fmt.Errorf("%s", msg)
	}
	return a.engine.Identify(snap, c), nil
}

func looksLikeSlackUser(s string) bool {
	return len(s) > 2 && (s[0] == 'U' || s[0] == 'W') && strings.ToUpper(s) == s
}

func nearestPerson(snap *domain.Snapshot, name string) string {
	best, bestD := "", 3
	for n := range snap.People {
		if d := domain.Distance(name, n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
