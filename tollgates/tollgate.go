// Package tollgates is the tollgate approval workflow: a request to move a
// service to its next stage, the board's votes, the single decision and
// its effects (stage change, audit, messages), and Reconcile for work a
// crashed process left undone. It plugs into the command engine as its
// Workflow and Voter.
package tollgates

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
)

// Store is what the tollgate workflow needs from storage
// (*storage.Store implements it). Everything that must happen once is a
// unique insert there: the open request per service, each vote's slot, the
// decision, each applied effect.
type Store interface {
	commands.Store
	AppendAudit(ctx context.Context, entries ...domain.AuditEntry) error
	AppendAuditOnce(ctx context.Context, entries ...domain.AuditEntry) error

	OpenTollgateRequest(ctx context.Context, req *domain.TollgateRequest) error
	TollgateRequest(ctx context.Context, id string) (*domain.TollgateRequest, error)
	SetTollgateMessage(ctx context.Context, id, channel, ts string) error
	SetTollgateLinePending(ctx context.Context, id string, pending bool) error
	OpenTollgateRequests(ctx context.Context) ([]domain.TollgateRequest, error)
	UnsettledTollgateRequests(ctx context.Context) ([]domain.TollgateRequest, error)
	CloseTollgateRequest(ctx context.Context, req *domain.TollgateRequest, status string, at time.Time) error

	TollgateVotes(ctx context.Context, requestIDs []string) (map[string][]domain.Vote, error)
	InsertTollgateVote(ctx context.Context, v domain.Vote) (bool, error)
	DeleteTollgateVote(ctx context.Context, id string) error

	DecideTollgate(ctx context.Context, d domain.TollgateDecision) (won bool, winner *domain.TollgateDecision, err error)
	TollgateDecision(ctx context.Context, id string) (*domain.TollgateDecision, error)
	TollgateDecisions(ctx context.Context, ids []string) (map[string]domain.TollgateDecision, error)
	ClaimTollgateStep(ctx context.Context, request, name string) (bool, error)
	TollgateSteps(ctx context.Context, request string) (map[string]bool, error)
}

// Options configure the tollgate workflow.
type Options struct {
	// Grace is how long the process that won a decision has to apply its
	// effects before Reconcile (or a later vote) applies them instead.
	// Default 2 minutes.
	Grace time.Duration
	// GiveUp is how long Reconcile keeps retrying notifications that fail
	// before it settles the request anyway. Default 7 days.
	GiveUp time.Duration
	Logger *slog.Logger
}

// Workflow is the tollgate approval workflow: requests, votes, the single
// decision and its effects. It implements commands.Workflow and
// commands.Voter; wire it with Engine.SetWorkflow.
type Workflow struct {
	e      *commands.Engine
	st     Store
	n      commands.Notifier
	grace  time.Duration
	giveUp time.Duration
	logger *slog.Logger

	snapMu   sync.Mutex
	snapCall *snapCall // the snapshot read in flight, shared by votes
}

type snapCall struct {
	done chan struct{}
	snap *domain.Snapshot
	err  error
}

// sharedSnapshot reads the catalog, sharing one read among the votes that
// arrive while it is in flight: a burst of clicks would otherwise queue
// one by one on the store's snapshot. The result may predate the caller by
// that one read, which is fine for checking board membership; anything
// that needs to see its own writes calls the store.
func (t *Workflow) sharedSnapshot(ctx context.Context) (*domain.Snapshot, error) {
	t.snapMu.Lock()
	if c := t.snapCall; c != nil {
		t.snapMu.Unlock()
		select {
		case <-c.done:
			return c.snap, c.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	c := &snapCall{done: make(chan struct{})}
	t.snapCall = c
	t.snapMu.Unlock()
	c.snap, c.err = t.st.Snapshot(context.WithoutCancel(ctx))
	t.snapMu.Lock()
	t.snapCall = nil
	t.snapMu.Unlock()
	close(c.done)
	return c.snap, c.err
}

// New returns the workflow for engine e over st, delivering
// approval messages, updates and DMs through n (nil: nothing is delivered).
func New(e *commands.Engine, st Store, n commands.Notifier, o Options) *Workflow {
	if n == nil {
		n = nopNotifier{}
	}
	if o.Grace <= 0 {
		o.Grace = 2 * time.Minute
	}
	if o.GiveUp <= 0 {
		o.GiveUp = 7 * 24 * time.Hour
	}
	if o.Logger == nil {
		o.Logger = e.Logger()
	}
	return &Workflow{e: e, st: st, n: n, grace: o.Grace, giveUp: o.GiveUp, logger: o.Logger}
}

type nopNotifier struct{}

func (nopNotifier) Post(_ context.Context, to string, _ commands.Reply) (string, string, error) {
	return to, "", nil
}
func (nopNotifier) Update(context.Context, string, string, commands.Reply) error { return nil }

// Handle runs the tollgate verbs of the grammar.
func (t *Workflow) Handle(ctx context.Context, c commands.Caller, verb string, args []string) (commands.Reply, error) {
	var (
		r   commands.Reply
		err error
	)
	switch verb {
	case "tollgate":
		r, err = t.request(ctx, c, args)
	case "tollgates":
		r, err = t.list(ctx, c, args)
	case "approve":
		if len(args) == 0 {
			return refusal(domain.Errorf(domain.Invalid, "Which request? Usage: `approve <request-id> [comment]`, e.g. `approve TG-payroll-1`. `tollgates mine` lists what waits for you.")), nil
		}
		return t.Vote(ctx, c, args[0], true, strings.Join(args[1:], " "))
	case "reject":
		if len(args) == 0 {
			return refusal(domain.Errorf(domain.Invalid, "Which request, and why? Usage: `reject <request-id> <reason>`.")), nil
		}
		return t.Vote(ctx, c, args[0], false, strings.Join(args[1:], " "))
	case "withdraw":
		if len(args) != 1 {
			return refusal(domain.Errorf(domain.Invalid, "Usage: `withdraw <request-id>`, e.g. `withdraw TG-payroll-1`.")), nil
		}
		r, err = t.Withdraw(ctx, c, args[0])
	default:
		return commands.Reply{}, fmt.Errorf("tollgates: unexpected verb %q", verb)
	}
	if err != nil && isRefusal(err) {
		return refusal(err), nil
	}
	return r, err
}

// isRefusal reports whether err explains why the caller's request cannot
// be done (as opposed to a failure of ours).
func isRefusal(err error) bool {
	switch domain.ErrorCode(err) {
	case domain.Invalid, domain.NotFound, domain.Conflict, domain.Forbidden:
		return true
	}
	return false
}

func refusal(err error) commands.Reply { return commands.Refusal(domain.ErrorMessage(err)) }

// normalizeID accepts request IDs in any case: TG-<service>-<n>.
func normalizeRequestID(id string) string {
	id = strings.TrimSpace(id)
	if len(id) > 3 && strings.EqualFold(id[:3], "tg-") {
		return "TG-" + strings.ToLower(id[3:])
	}
	return id
}

// request opens a tollgate request: `tollgate <service> <stage>`.
func (t *Workflow) request(ctx context.Context, c commands.Caller, args []string) (commands.Reply, error) {
	if len(args) < 2 {
		return commands.Reply{}, domain.Errorf(domain.Invalid, "Usage: `tollgate <service> <stage>`, e.g. `tollgate payroll improve`. Stages: %s.", domain.StageNames())
	}
	snap, err := t.st.Snapshot(ctx)
	if err != nil {
		return commands.Reply{}, err
	}
	svc, err := resolveExact(snap, strings.Join(args[:len(args)-1], " "))
	if err != nil {
		return commands.Reply{}, err
	}
	to, ok := domain.ParseStage(args[len(args)-1])
	if !ok {
		return commands.Reply{}, domain.Errorf(domain.Invalid, "%q is not a lifecycle stage. Stages, in order: %s.", args[len(args)-1], domain.StageNames())
	}
	if !t.e.CanManage(snap, c, svc) {
		return commands.Reply{}, domain.Errorf(domain.Forbidden, "Only %s's owner (%s), its portfolio manager or an admin can request a tollgate for it.", svc.Label(), commands.Person(snap, svc.Owner))
	}
	requester, ok := snap.People[c.Person]
	if !ok {
		return commands.Reply{}, domain.Errorf(domain.Forbidden, "I can't match you to a person in the catalog, and a tollgate request needs a requester the board can talk to. Ask an admin to add you (a Person with your Slack user ID).")
	}
	gate, err := gateFor(snap, svc, to)
	if err != nil {
		return commands.Reply{}, err
	}
	board, ok := snap.Boards[gate.Board]
	if !ok {
		return commands.Reply{}, domain.Errorf(domain.Invalid, "Tollgate %s names board %q, which is not in the catalog; ask an admin to fix the catalog.", gate.Name, gate.Board)
	}
	now := t.e.Now()
	req := &domain.TollgateRequest{
		Service: svc.Name, Gate: gate.Name, From: svc.Stage, To: to, Board: board.Name,
		Quorum: max(gate.Quorum, 1), Criteria: gate.Criteria, Requester: requester.Name, OpenedAt: now.UTC(),
	}
	if err := t.st.OpenTollgateRequest(ctx, req); err != nil {
		return commands.Reply{}, err
	}
	if err := t.st.AppendAudit(ctx, domain.AuditEntry{
		At: now.UTC(), Actor: requester.Name, Action: "tollgate.request", Kind: domain.KindTollgate, Name: req.ID, Service: svc.Name,
		Source:  c.Source,
		Summary: fmt.Sprintf("requested tollgate %s: %s → %s (%s)", req.ID, req.From, req.To, boardLabel(board)),
	}); err != nil {
		t.log(ctx).Warn("audit tollgate request", "request", req.ID, "err", err)
	}

	where := "The board has no channel in the catalog, so no approval message was posted; members vote with `approve " + req.ID + "` or `reject " + req.ID + " <reason>`."
	if board.Channel != "" {
		ch, ts, err := t.n.Post(ctx, board.Channel, t.approvalMessage(snap, svc, req, nil, nil))
		if err != nil {
			t.log(ctx).Error("post tollgate approval message", "request", req.ID, "board_channel", board.Channel, "err", err)
			where = "I couldn't post the approval message to the board's channel just now; members can still vote with `approve " + req.ID + "`, and `tollgates` lists it."
		} else {
			req.Channel, req.MessageTS = ch, ts
			if err := t.st.SetTollgateMessage(ctx, req.ID, ch, ts); err != nil {
				t.log(ctx).Error("record tollgate approval message", "request", req.ID, "err", err)
			} else {
				t.messageRecorded(ctx, req)
			}
			where = fmt.Sprintf("Posted for %s in %s: %s", boardLabel(board), channelRef(ch), MessageLink(ch, ts))
		}
	}
	if svc.Channel != "" && svc.Channel != board.Channel {
		if _, _, err := t.n.Post(ctx, svc.Channel, requestLine(snap, svc, board, req)); err != nil {
			t.log(ctx).Warn("post tollgate request to service channel; Reconcile will try again", "request", req.ID, "service_channel", svc.Channel, "err", err)
			if err := t.st.SetTollgateLinePending(ctx, req.ID, true); err != nil {
				t.log(ctx).Error("record tollgate channel line", "request", req.ID, "err", err)
			}
		}
	}

	eligible := req.Waiting(board, nil)
	fields := []commands.Field{
		{Label: "Request", Value: req.ID},
		{Label: "Stage", Value: fmt.Sprintf("%s → %s (%s)", req.From, req.To, gate.Name)},
		{Label: "Board", Value: fmt.Sprintf("%s: %s", boardLabel(board), memberList(snap, eligible))},
		{Label: "Needs", Value: fmt.Sprintf("%s; one rejection rejects", commands.Plural(req.Quorum, "approval"))},
	}
	text := where
	if len(eligible) < req.Quorum {
		text += fmt.Sprintf(" Note: only %d board member(s) besides you can vote, fewer than the quorum of %d; an admin may need to withdraw this.", len(eligible), req.Quorum)
	}
	return commands.Reply{
		Title:    fmt.Sprintf("Tollgate requested: %s → %s (%s)", svc.Label(), req.To, req.ID),
		Text:     text,
		Sections: []commands.Section{{Fields: fields}},
		Context:  "You'll get a DM when the board decides. Changed your mind? `withdraw " + req.ID + "`",
		Actions:  []commands.Action{{Label: "Withdraw", Command: "withdraw " + req.ID}},
	}, nil
}

// gateFor finds the tollgate that takes svc to stage to, or explains why
// there is none.
func gateFor(snap *domain.Snapshot, svc *domain.Service, to domain.Stage) (*domain.Tollgate, error) {
	from := svc.Stage
	if from == domain.StageRetirement {
		return nil, domain.Errorf(domain.Invalid, "%s is retired; retired services don't pass tollgates.", svc.Label())
	}
	if to == from {
		return nil, domain.Errorf(domain.Invalid, "%s is already in stage %s.", svc.Label(), from)
	}
	if g, ok := snap.Gate(from, to); ok {
		return g, nil
	}
	gates := snap.GatesFrom(from)
	var opts []string
	for _, g := range gates {
		opts = append(opts, fmt.Sprintf("`tollgate %s %s` (%s)", svc.Name, g.To, g.Name))
	}
	leaving := "No tollgate leaves " + string(from) + " in the catalog."
	if len(opts) > 0 {
		leaving = fmt.Sprintf("From %s you can ask for: %s.", from, strings.Join(opts, ", "))
	}
	if fi, ti := from.Index(), to.Index(); fi >= 0 && ti > fi+1 {
		var skipped []string
		for _, s := range domain.Stages[fi+1 : ti] {
			skipped = append(skipped, string(s))
		}
		return nil, domain.Errorf(domain.Invalid, "%s is in %s; going to %s would skip %s, and services pass one tollgate at a time. %s",
			svc.Label(), from, to, strings.Join(skipped, ", "), leaving)
	}
	return nil, domain.Errorf(domain.Invalid, "There is no tollgate from %s to %s. %s", from, to, leaving)
}

func boardLabel(b *domain.Board) string {
	if b.Title != "" {
		return "the " + b.Title
	}
	return "board " + b.Name
}

// channelRef names a channel in text; renderers leave IDs as they are.
func channelRef(ch string) string { return "channel " + ch }

// MessageLink is a link to a Slack message from its channel and ts.
func MessageLink(channel, ts string) string {
	if channel == "" || ts == "" {
		return ""
	}
	return "https://slack.com/archives/" + channel + "/p" + strings.ReplaceAll(ts, ".", "")
}

func memberList(snap *domain.Snapshot, names []string) string {
	if len(names) == 0 {
		return "nobody"
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = commands.Person(snap, n)
	}
	return listWithAnd(out)
}

// resolveExact is Resolve without the typo tolerance: a request that posts
// to a board must name its service exactly (name, alias or title).
func resolveExact(snap *domain.Snapshot, ref string) (*domain.Service, error) {
	key := commands.Normalize(ref)
	if key == "" {
		return nil, domain.Errorf(domain.Invalid, "Which service? Usage: `tollgate <service> <stage>`.")
	}
	for _, k := range []string{key, strings.ReplaceAll(key, " ", "-")} {
		if s, ok := snap.Lookup(k); ok {
			return s, nil
		}
	}
	return nil, commands.NotFound(snap, ref)
}

// requestLine tells a service's channel that a tollgate was requested.
func requestLine(snap *domain.Snapshot, svc *domain.Service, board *domain.Board, req *domain.TollgateRequest) commands.Reply {
	return commands.Reply{InChannel: true, Text: fmt.Sprintf("%s asked %s to move %s from %s to %s (tollgate request %s).",
		commands.Person(snap, req.Requester), boardLabel(board), svc.Label(), req.From, req.To, req.ID)}
}

func (t *Workflow) log(ctx context.Context) *slog.Logger { return commands.LoggerFrom(ctx, t.logger) }
