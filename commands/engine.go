// Package commands understands what people type after /itspm (or in the
// terminal, a DM or a mention): the command grammar, the engine and its
// read commands, and the Reply model every answer uses. Questions in plain
// language (package questions, and llm for a model) and the tollgate
// workflow (package tollgates) plug into the Engine through its
// interfaces. It never sees Slack or database types.
package commands

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/itspm/itspm/domain"
)

// Store is what commands need from storage.
type Store interface {
	Snapshot(ctx context.Context) (*domain.Snapshot, error)
	History(ctx context.Context, service string, limit int) ([]domain.AuditEntry, error)
	UpdateService(ctx context.Context, name string, entry domain.AuditEntry, change func(*domain.Service) error) (*domain.Service, error)
}

// Caller is who typed the command.
type Caller struct {
	SlackUser string // Slack user ID, when the command came from Slack
	Person    string // catalog person name, when known
	Source    string // where it came from (Slack permalink, "chat"), for the audit trail
}

// Options configure an Engine.
type Options struct {
	Admins   []string // Slack user IDs or person names
	Location *time.Location
	Now      func() time.Time
	Logger   *slog.Logger
}

// Engine answers commands and questions.
type Engine struct {
	store  Store
	admins map[string]bool
	loc    *time.Location
	now    func() time.Time
	logger *slog.Logger
	asker  Asker
	flow   Workflow
	voter  Voter
	parser Questions // plain language, see SetQuestions
}

// Asker answers a plain-language question (the LLM), or returns an error to
// fall back to the built-in parser.
type Asker interface {
	Ask(ctx context.Context, c Caller, question string) (Reply, error)
}

// Workflow handles tollgate commands; it is wired in by the tollgate code.
type Workflow interface {
	Handle(ctx context.Context, c Caller, verb string, args []string) (Reply, error)
}

// New returns an Engine over store.
func New(store Store, o Options) *Engine {
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	admins := map[string]bool{}
	for _, a := range o.Admins {
		if a = strings.TrimSpace(a); a != "" {
			admins[a] = true
		}
	}
	return &Engine{store: store, admins: admins, loc: o.Location, now: o.Now, logger: o.Logger}
}

// SetAsker enables LLM answers for questions.
func (e *Engine) SetAsker(a Asker) { e.asker = a }

// SetWorkflow enables the tollgate commands (tollgate, tollgates, approve,
// reject, withdraw) and votes from buttons.
func (e *Engine) SetWorkflow(w interface {
	Workflow
	Voter
}) {
	e.flow, e.voter = w, w
}

// Today is the current date in the configured time zone.
func (e *Engine) Today() domain.Date { return domain.Today(e.now(), e.loc) }

// Location is the configured time zone.
func (e *Engine) Location() *time.Location { return e.loc }

// Now is the engine's clock (Options.Now).
func (e *Engine) Now() time.Time { return e.now() }

// Logger is the engine's logger (Options.Logger), for work that has no
// logger in its context.
func (e *Engine) Logger() *slog.Logger { return e.logger }

// Help is the `help` reply: every command with an example.
func (e *Engine) Help(c Caller) Reply {
	r, _ := e.help(context.Background(), &request{caller: c})
	return r
}

// Run answers the read command verb for one service as if c had typed
// `verb <service>`, an error as its reply (for answers to questions).
func (e *Engine) Run(snap *domain.Snapshot, c Caller, verb string, s *domain.Service) Reply {
	cmd, ok := lookupCommand(verb)
	if !ok || !readOnly(verb, nil) {
		return Refusal("`" + verb + "` is not a command that only reads.")
	}
	r, err := cmd.run(e, context.Background(), &request{caller: c, snap: snap, args: []string{s.Name}, raw: s.Name})
	if err != nil {
		return ErrorReply(e.logger, err)
	}
	return r
}

// IsAdmin reports whether the caller has the admin role.
func (e *Engine) IsAdmin(c Caller) bool {
	return c.SlackUser != "" && e.admins[c.SlackUser] || c.Person != "" && e.admins[c.Person]
}

// FirstAdmin is the first configured admin that names a person (for
// `itspm chat` without --as).
func (e *Engine) FirstAdmin(admins []string) string {
	for _, a := range admins {
		if a = strings.TrimSpace(a); a != "" {
			return a
		}
	}
	return ""
}

// Identify fills in Caller.Person from the Slack user when it is known.
func (e *Engine) Identify(snap *domain.Snapshot, c Caller) Caller {
	if c.Person == "" && c.SlackUser != "" {
		if p, ok := snap.PersonBySlack(c.SlackUser); ok {
			c.Person = p.Name
		}
	}
	if c.Person != "" && c.SlackUser == "" {
		if p, ok := snap.People[c.Person]; ok {
			c.SlackUser = p.SlackUser
		}
	}
	return c
}

// command is one verb of the grammar.
type command struct {
	verb    string
	args    string // usage
	example string
	help    string
	run     func(e *Engine, ctx context.Context, r *request) (Reply, error)
}

// request is one parsed command invocation.
type request struct {
	verb   string
	caller Caller
	snap   *domain.Snapshot
	args   []string
	raw    string // the text after the verb
}

var registry []command

func init() {
	registry = []command{
		{"help", "", "help", "every command with an example", (*Engine).help},
		{"service", "<service>", "service payroll", "the service card: owner, stage, cost, SLAs, dependencies, next review and DR test", (*Engine).serviceCard},
		{"owner", "<service>", "owner payroll", "who owns a service, and its portfolio manager", (*Engine).owner},
		{"cost", "<service>", "cost email", "annual TCO by category, charging model, recovery, budget vs actual", (*Engine).cost},
		{"deps", "<service>", "deps payroll", "what a service depends on and what depends on it", (*Engine).deps},
		{"find", "<text>", "find finance", "services matching a name, alias, title, tag or description", (*Engine).find},
		{"roadmap", "<service> [done <item> | postpone <item> <YYYY-MM-DD>]", "roadmap payroll", "roadmap items with due dates and status; `done` closes an item, `postpone` moves it", (*Engine).roadmap},
		{"dr", "<service> [record pass|partial|fail [notes]]", "dr payroll", "RTO, RPO, DR plan, last and next test; `record` logs a test", (*Engine).dr},
		{"performance", "<service>", "performance payroll", "latest measurements against SLA targets", (*Engine).performance},
		{"review", "<service> done [notes]", "review payroll done numbers discussed with HR", "record a performance review held today", (*Engine).review},
		{"measure", "<service> <kpi> <value> [YYYY-MM]", "measure payroll availability 99.95", "record a KPI measurement (default: last month)", (*Engine).measure},
		{"actual", "<service> <YYYY-MM> <amount> [budget <amount>]", "actual payroll 2026-10 23500 budget 22000", "record a month's actual cost (and budget)", (*Engine).actual},
		{"improve", "<service> [add <title> [due YYYY-MM-DD] | <n> done]", "improve payroll add Automate payslip checks due 2027-03-31", "the continuous-improvement register of a service", (*Engine).improve},
		{"tollgate", "<service> <stage>", "tollgate payroll improve", "ask the board to move a service to the next stage", (*Engine).workflow},
		{"tollgates", "[mine]", "tollgates mine", "open tollgate requests (mine: waiting for my vote)", (*Engine).workflow},
		{"approve", "<request-id> [comment]", "approve TG-payroll-1", "approve a tollgate request (what the button does)", (*Engine).workflow},
		{"reject", "<request-id> <reason>", "reject TG-payroll-1 DR plan missing", "reject a tollgate request with a reason", (*Engine).workflow},
		{"withdraw", "<request-id>", "withdraw TG-payroll-1", "withdraw your own tollgate request", (*Engine).workflow},
		{"history", "<service>", "history payroll", "the service's audit trail", (*Engine).history},
		{"metrics", "[portfolio] [line]", "metrics workplace", "how embedded the ITSPM processes are, N of M per process; a line's word lists its services", (*Engine).metrics},
		{"portfolio", "<name>", "portfolio workplace", "a portfolio: manager, services by stage, TCO, recovery, budget vs actual, contracts, open tollgates", (*Engine).portfolio},
	}
}

func lookupCommand(verb string) (command, bool) {
	for _, c := range registry {
		if c.verb == verb {
			return c, true
		}
	}
	return command{}, false
}

// Handle answers one line of input. Errors are domain errors for the
// boundary to render (see ErrorText).
func (e *Engine) Handle(ctx context.Context, c Caller, text string) (Reply, error) {
	text = strings.TrimSpace(strings.ToValidUTF8(text, ""))
	if len(text) > 4000 {
		return Refusal("That is too long for a command; please keep it under 4,000 characters."), nil
	}
	fields := strings.Fields(text)
	if len(fields) == 0 {
		return e.help(ctx, &request{caller: c})
	}
	verb := strings.ToLower(strings.TrimLeftFunc(fields[0], func(r rune) bool { return r == '/' }))
	cmd, ok := lookupCommand(verb)
	if !ok {
		if r, ok, err := e.metricsQuestion(ctx, c, text); ok || err != nil {
			return again(r, text), err
		}
		return e.question(ctx, c, text)
	}
	snap, err := e.store.Snapshot(ctx)
	if err != nil {
		return Reply{}, err
	}
	c = e.Identify(snap, c)
	raw := strings.TrimSpace(text[len(fields[0]):])
	r, err := cmd.run(e, ctx, &request{verb: verb, caller: c, snap: snap, args: fields[1:], raw: raw})
	if err != nil && readOnly(verb, fields[1:]) && e.asQuestion(verb, fields[1:], err) { // "owner of dwh", "cost of the VPN?"
		return e.question(ctx, c, text)
	}
	if readOnly(verb, fields[1:]) {
		r = again(r, text)
	}
	return r, err
}

// again marks a reply as one that running text again reproduces (see
// Reply.Again), for renderers that show long replies a page at a time.
func again(r Reply, text string) Reply {
	if !r.Error {
		r.Again = text
	}
	return r
}

// readOnly reports whether a command only reads, so that running it again
// for another page of its answer changes nothing (questions: see question).
func readOnly(verb string, args []string) bool {
	switch verb {
	case "tollgate", "approve", "reject", "withdraw":
		return false
	case "dr":
		return !MentionsRecord(args)
	case "review", "measure", "actual":
		return false
	case "roadmap":
		return keywordAt(args, "done", "postpone") < 0
	case "improve":
		return keywordAt(args, "add") < 0 && !(len(args) >= 3 && strings.EqualFold(args[len(args)-1], "done"))
	}
	return true
}

// MentionsRecord reports whether command arguments hold the "record"
// keyword of `dr <service> record …`, which writes.
func MentionsRecord(args []string) bool {
	return slices.ContainsFunc(args, func(a string) bool { return strings.EqualFold(a, "record") })
}

func (e *Engine) workflow(ctx context.Context, r *request) (Reply, error) {
	if e.flow == nil {
		return Refusal("Tollgate approvals are not enabled in this build."), nil
	}
	return e.flow.Handle(ctx, r.caller, r.verb, r.args)
}

// ErrorText turns an error into what the user sees, and a reference to log
// for internal errors (whose cause is never shown).
func ErrorText(err error) (text, ref string) {
	var de *domain.Error
	if errors.As(err, &de) && de.Code != domain.Internal && de.Message != "" {
		return de.Message, ""
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return "That took too long; please try again.", ""
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	ref = hex.EncodeToString(b[:])
	return "Something went wrong on our side (reference " + ref + "). Please try again; if it keeps happening, give the reference to your admin.", ref
}

// ErrorReply is ErrorText as a Reply, logging internal causes.
func ErrorReply(logger *slog.Logger, err error) Reply {
	text, ref := ErrorText(err)
	if ref != "" && logger != nil {
		logger.Error("command failed", "ref", ref, "err", err)
	}
	return Refusal(text)
}

// Normalize lower-cases and trims punctuation around a service reference.
func Normalize(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimFunc(s, func(r rune) bool { return unicode.IsPunct(r) && r != '-' })
	s = strings.TrimSuffix(s, "'s")
	s = strings.TrimSuffix(s, "’s")
	return strings.TrimSpace(s)
}
