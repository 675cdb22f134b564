package tollgates

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/metrics"
)

// Effects of a decision, each recorded as a step once done so that a retry
// (after a crash or a failed Slack call) does only what is missing.
const (
	stepStage   = "stage"   // the service's stage changed (approved only)
	stepUpdate  = "update"  // the approval message shows the outcome
	stepDM      = "dm"      // the requester was told
	stepChannel = "channel" // the service's channel was told
	stepApplied = "applied" // all of the above; the request is settled

	// A decision reached while the approval message was being posted:
	// the message was in Slack (and clicked) before its poster recorded
	// where it is. The decider marks stepDeferred when it has done all it
	// could; whichever of poster and decider claims stepLateUpdate first
	// updates the message (see deferredUpdate and messageRecorded).
	stepDeferred   = "deferred"
	stepLateUpdate = "late-update"
)

// applyTimeout bounds the effects of one decision (Slack calls included).
const applyTimeout = 30 * time.Second

// apply carries out a decision's effects: the stage change, the updated
// approval message, the requester's DM and the service channel's line, then
// settles the request. Only the process that inserted the decision calls it
// right away (fresh); Reconcile calls it for decisions whose effects are
// still unsettled after the grace period, under a lease claimed by unique
// insert. The stage change is guarded by the service still being in the
// gate's from stage, so applying twice never moves a service twice. It
// reports whether the request is settled.
func (t *Workflow) apply(ctx context.Context, snap *domain.Snapshot, req *domain.TollgateRequest, d *domain.TollgateDecision, fresh bool) bool {
	// The decision stands whatever happens to the click that made it (a
	// timeout, a shutdown): its effects get their own time.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), applyTimeout)
	defer cancel()
	log := t.log(ctx).With("request", req.ID, "outcome", string(d.Outcome))
	done := map[string]bool{}
	if !fresh {
		steps, err := t.st.TollgateSteps(ctx, req.ID)
		if err != nil {
			log.Error("read tollgate steps", "err", err)
			return false
		}
		done = steps
	}
	if fresh && req.MessageTS == "" {
		// The approval message may have been recorded after this request
		// was read.
		if r, err := t.st.TollgateRequest(ctx, req.ID); err == nil {
			req = r
		}
	}
	ok := true
	mark := func(name string) {
		if _, err := t.st.ClaimTollgateStep(ctx, req.ID, name); err != nil {
			log.Error("record tollgate step", "step", name, "err", err)
			ok = false
		}
	}
	if done[stepApplied] {
		return t.settle(ctx, req, d)
	}

	// The trail reads: votes, decision, stage change. The votes' entries
	// are usually there already (see voteAudit).
	var trail []domain.AuditEntry
	for _, v := range d.Votes {
		trail = append(trail, voteAudit(req, v))
	}
	if err := t.st.AppendAuditOnce(ctx, append(trail, t.decisionAudit(snap, req, d))...); err != nil {
		log.Error("audit tollgate decision", "err", err)
		ok = false
	}
	if d.Outcome == domain.Approved && !done[stepStage] {
		_, err := t.st.UpdateService(ctx, req.Service, domain.AuditEntry{
			At: later(t.e.Now(), d.At), Actor: d.By, Action: "stage.change", Source: d.Source,
			Summary: fmt.Sprintf("stage %s → %s by tollgate %s", req.From, req.To, req.ID),
		}, func(s *domain.Service) error {
			if s.Stage != req.From {
				return errStageMoved
			}
			s.Stage = req.To
			return nil
		})
		switch {
		case err == nil:
			mark(stepStage)
		case errors.Is(err, errStageMoved), domain.ErrorCode(err) == domain.NotFound:
			log.Warn("tollgate stage change skipped: the service is no longer in the from stage", "service", req.Service, "from", req.From)
			mark(stepStage)
		default:
			// Without the stage change the outcome message would be wrong;
			// leave everything to the retry.
			log.Error("change stage by tollgate", "err", err)
			return false
		}
		// Later readers of this process see the new stage.
		if s, err := t.st.Snapshot(ctx); err == nil {
			snap = s
		}
	}

	svc := snap.Services[req.Service]
	// A young request whose board has a channel but no recorded message:
	// its poster is between posting and recording (a member clicked the
	// message that fast). The update is left to whichever of us claims it
	// once the message is recorded.
	board := snap.Boards[req.Board]
	deferred := fresh && req.MessageTS == "" && board != nil && board.Channel != "" && t.e.Now().Sub(req.OpenedAt) < t.grace
	// A late update claimed within the grace period is its claimant's to
	// do (see lateUpdate); after it, Reconcile makes one that failed.
	lateClaimed := done[stepLateUpdate] && t.e.Now().Sub(d.At) < t.grace
	if req.Channel != "" && req.MessageTS != "" && !done[stepUpdate] && !lateClaimed {
		if err := t.n.Update(ctx, req.Channel, req.MessageTS, t.approvalMessage(snap, svc, req, d.Votes, d)); err != nil {
			log.Error("update tollgate approval message", "err", err)
			ok = false
		} else {
			mark(stepUpdate)
		}
	}
	if !done[stepDM] && !(d.Outcome == domain.Withdrawn && d.By == req.Requester) {
		if p, found := snap.People[req.Requester]; found && p.SlackUser != "" {
			if _, _, err := t.n.Post(ctx, p.SlackUser, t.requesterDM(snap, svc, req, d)); err != nil {
				log.Error("tell the tollgate requester", "err", err)
				ok = false
			} else {
				mark(stepDM)
			}
		}
	}
	if svc != nil && svc.Channel != "" && svc.Channel != req.Channel && !done[stepChannel] {
		if _, _, err := t.n.Post(ctx, svc.Channel, commands.Reply{InChannel: true, Text: t.channelLine(snap, svc, req, d)}); err != nil {
			log.Error("tell the service channel about the tollgate", "err", err)
			ok = false
		} else {
			mark(stepChannel)
		}
	}
	if deferred && !t.deferredUpdate(ctx, snap, svc, req, d) {
		return false // the poster updates the message and settles the request
	}
	if !ok && t.e.Now().Sub(d.At) < t.giveUp {
		return false
	}
	if !ok {
		log.Warn("settling tollgate request although some notifications failed", "age", t.e.Now().Sub(d.At))
	}
	mark(stepApplied)
	return t.settle(ctx, req, d)
}

// later is at, but strictly after the decision, so that the stage change
// follows it in the trail.
func later(at, decided time.Time) time.Time {
	if at.After(decided) {
		return at.UTC()
	}
	return decided.Add(time.Millisecond).UTC()
}

func (t *Workflow) settle(ctx context.Context, req *domain.TollgateRequest, d *domain.TollgateDecision) bool {
	if err := t.st.CloseTollgateRequest(ctx, req, d.Outcome.Status(), d.At); err != nil {
		t.log(ctx).Error("close tollgate request", "request", req.ID, "err", err)
		return false
	}
	return true
}

func (t *Workflow) decisionAudit(snap *domain.Snapshot, req *domain.TollgateRequest, d *domain.TollgateDecision) domain.AuditEntry {
	// A fixed ID makes a retried entry a no-op; its time prefix (and "~",
	// after the random part of other IDs) sorts it after the votes of the
	// same instant, as storage.NewID-ordered entries are.
	e := domain.AuditEntry{
		ID: fixedAuditID(d.At, "~"+req.ID+"/decision"), At: d.At, Actor: d.By, Kind: domain.KindTollgate, Name: req.ID, Service: req.Service, Source: d.Source,
	}
	switch d.Outcome {
	case domain.Withdrawn:
		e.Action = "tollgate.withdraw"
		e.Summary = fmt.Sprintf("withdrew tollgate request %s (%s → %s)", req.ID, req.From, req.To)
	case domain.Rejected:
		e.Action = "tollgate.decision"
		e.Summary = fmt.Sprintf("tollgate %s rejected (%s → %s)", req.ID, req.From, req.To)
		if d.Comment != "" {
			e.Summary += ": " + d.Comment
		}
	default:
		e.Action = "tollgate.decision"
		var who []string
		for _, v := range d.Votes {
			if v.Approve {
				name := v.Voter
				if p, ok := snap.People[v.Voter]; ok {
					name = p.Label()
				}
				who = append(who, name)
			}
		}
		e.Summary = fmt.Sprintf("tollgate %s approved (%s → %s) by %s", req.ID, req.From, req.To, listWithAnd(who))
	}
	return e
}

// fixedAuditID is the ID of an audit entry that must be written once
// however often it is retried: the time prefix sorts it as storage.NewID
// IDs are, and the key says what it records. The time is cut to the
// millisecond, as the store keeps it, so an entry rebuilt from what was
// read back (a retried decision) has the same ID as the first one.
func fixedAuditID(at time.Time, key string) string {
	return strconv.FormatInt(at.Truncate(time.Millisecond).UnixNano(), 36) + "-" + key
}

// Withdraw closes an open request on its requester's (or an admin's)
// behalf, through the same single decision as votes: a withdrawal racing
// with a deciding vote either wins or answers with the decision.
func (t *Workflow) Withdraw(ctx context.Context, c commands.Caller, requestID string) (commands.Reply, error) {
	id := normalizeRequestID(requestID)
	snap, err := t.st.Snapshot(ctx)
	if err != nil {
		return commands.Reply{}, err
	}
	c = t.e.Identify(snap, c)
	req, err := t.st.TollgateRequest(ctx, id)
	if err != nil {
		return commands.Reply{}, err
	}
	if c.Person != req.Requester && !t.e.IsAdmin(c) {
		return commands.Reply{}, domain.Errorf(domain.Forbidden, "Only the requester (%s) or an admin can withdraw %s.", commands.Person(snap, req.Requester), req.ID)
	}
	if req.Status != domain.RequestOpen {
		return commands.Reply{}, t.decidedError(ctx, snap, req, nil)
	}
	votes, err := t.votes(ctx, req.ID)
	if err != nil {
		return commands.Reply{}, err
	}
	d := domain.TollgateDecision{ID: req.ID, Service: req.Service, Outcome: domain.Withdrawn, By: commands.ActorName(c),
		At: t.e.Now().UTC(), Votes: votes, Source: c.Source}
	won, winner, err := t.st.DecideTollgate(ctx, d)
	if err != nil {
		return commands.Reply{}, err
	}
	if !won {
		return commands.Reply{}, t.decidedError(ctx, snap, req, winner)
	}
	metrics.TollgateDecisions.WithLabelValues(string(domain.Withdrawn)).Inc()
	t.apply(ctx, snap, req, winner, true)
	label := req.Service
	if s, ok := snap.Services[req.Service]; ok {
		label = s.Label()
	}
	return commands.Reply{
		Title: "Withdrawn: " + req.ID,
		Text:  fmt.Sprintf("The request to move %s from %s to %s is withdrawn; the board's message says so.", label, req.From, req.To),
	}, nil
}

// deferredUpdate is the decider's side of a decision reached before its
// approval message was recorded. Everything else is done, so it marks
// stepDeferred (the poster may now finish the request), then looks for
// the message once more. It reports false when the message is still not
// recorded: its poster, which records it next, takes over. Either side
// updates the message only by claiming stepLateUpdate, so it is updated
// once even when both see it.
func (t *Workflow) deferredUpdate(ctx context.Context, snap *domain.Snapshot, svc *domain.Service, req *domain.TollgateRequest, d *domain.TollgateDecision) bool {
	if _, err := t.st.ClaimTollgateStep(ctx, req.ID, stepDeferred); err != nil {
		t.log(ctx).Error("record tollgate step", "request", req.ID, "step", stepDeferred, "err", err)
		return false // Reconcile finishes it after the grace period
	}
	r, err := t.st.TollgateRequest(ctx, req.ID)
	if err != nil || r.MessageTS == "" {
		return false
	}
	// A failed update is Reconcile's to retry, after the grace period.
	return t.lateUpdate(ctx, snap, svc, r, d)
}

// messageRecorded is the poster's side: called after the approval message
// was posted and recorded. When a decision was reached meanwhile and its
// decider could not see the message (stepDeferred), it claims the update
// and finishes the request. The order (record, then read the decision and
// steps; mark deferred, then read the request) means at least one side
// sees the other, and the claim means only one updates.
func (t *Workflow) messageRecorded(ctx context.Context, req *domain.TollgateRequest) {
	d, err := t.st.TollgateDecision(ctx, req.ID)
	if err != nil {
		if domain.ErrorCode(err) != domain.NotFound {
			t.log(ctx).Warn("read tollgate decision after posting its message; Reconcile checks again", "request", req.ID, "err", err)
		}
		return
	}
	snap, err := t.st.Snapshot(ctx) // after the decision: the stage may have moved
	if err != nil {
		t.log(ctx).Warn("read catalog after a tollgate decision; Reconcile updates the message", "request", req.ID, "err", err)
		return
	}
	steps, err := t.st.TollgateSteps(ctx, req.ID)
	if err != nil || !steps[stepDeferred] || steps[stepApplied] {
		// Not deferred: the decider saw the message and updates it, or
		// defers after this and then sees it (it marks stepDeferred
		// before it looks again). Applied: nothing is left.
		return
	}
	if t.lateUpdate(ctx, snap, snap.Services[req.Service], req, d) {
		t.apply(ctx, snap, req, d, false)
	}
}

// lateUpdate updates a recorded approval message to its decision, once
// between decider and poster. It reports false when it claimed the update
// and could not make it (Reconcile retries it after the grace period);
// losing the claim is fine: the other side is updating.
func (t *Workflow) lateUpdate(ctx context.Context, snap *domain.Snapshot, svc *domain.Service, req *domain.TollgateRequest, d *domain.TollgateDecision) bool {
	log := t.log(ctx).With("request", req.ID)
	won, err := t.st.ClaimTollgateStep(ctx, req.ID, stepLateUpdate)
	if err != nil {
		log.Error("claim the tollgate message update", "err", err)
		return false
	}
	if !won {
		return true
	}
	if err := t.n.Update(ctx, req.Channel, req.MessageTS, t.approvalMessage(snap, svc, req, d.Votes, d)); err != nil {
		log.Error("update tollgate approval message; Reconcile tries again", "err", err)
		return false
	}
	if _, err := t.st.ClaimTollgateStep(ctx, req.ID, stepUpdate); err != nil {
		log.Error("record tollgate step", "step", stepUpdate, "err", err)
	}
	return true
}

// Reconcile finishes what a crashed process left undone: requests whose
// votes reached a decision nobody recorded, and decisions whose effects
// were not all applied. It leaves alone anything younger than the grace
// period (its process is probably still at it) and claims one lease per
// grace window by unique insert, so replicas running it together apply
// each request once. It returns how many requests it settled; the
// tollgate-reminders job calls it before nudging.
func (t *Workflow) Reconcile(ctx context.Context) (int, error) {
	reqs, err := t.st.UnsettledTollgateRequests(ctx)
	if err != nil || len(reqs) == 0 {
		return 0, err
	}
	ids := make([]string, len(reqs))
	for i, r := range reqs {
		ids[i] = r.ID
	}
	decisions, err := t.st.TollgateDecisions(ctx, ids)
	if err != nil {
		return 0, err
	}
	votes, err := t.st.TollgateVotes(ctx, ids)
	if err != nil {
		return 0, err
	}
	snap, err := t.st.Snapshot(ctx)
	if err != nil {
		return 0, err
	}
	settled := 0
	for i := range reqs {
		req := &reqs[i]
		d, ok := decisions[req.ID]
		if !ok {
			vs := votes[req.ID]
			out, n := domain.Decide(vs, req.Quorum)
			if out == domain.Pending {
				t.announce(ctx, snap, req)
				continue
			}
			if t.e.Now().Sub(vs[n-1].At) < t.grace {
				continue
			}
			won, winner, err := t.decide(ctx, req, vs[:n], out)
			if err != nil {
				return settled, err
			}
			if won && t.apply(ctx, snap, req, winner, true) {
				settled++
			}
			continue
		}
		if t.retry(ctx, snap, req, &d) {
			settled++
		}
	}
	return settled, nil
}

// announce posts what could not be posted when an open request was
// opened (Slack failing then): the approval message, without which the
// board would not know there is anything to vote on, and the service
// channel's line. One replica per grace window tries, under one lease for
// both, until the request is decided or GiveUp has passed. A post
// that failed with a server error may have arrived after all; then the
// board sees the message twice, and only this one is updated on the
// decision, which beats never seeing it.
func (t *Workflow) announce(ctx context.Context, snap *domain.Snapshot, req *domain.TollgateRequest) {
	board, bok := snap.Boards[req.Board]
	svc, sok := snap.Services[req.Service]
	age := t.e.Now().Sub(req.OpenedAt)
	if !bok || !sok || age < t.grace || age > t.giveUp {
		return
	}
	message := req.MessageTS == "" && board.Channel != ""
	line := req.LinePending && svc.Channel != ""
	if !message && !line {
		return
	}
	log := t.log(ctx).With("request", req.ID)
	claimed, err := t.st.ClaimTollgateStep(ctx, req.ID, fmt.Sprintf("announce-%d", int64(age/t.grace)))
	if err != nil || !claimed {
		if err != nil {
			log.Error("claim tollgate announcement", "err", err)
		}
		return
	}
	if message {
		if ch, ts, err := t.n.Post(ctx, board.Channel, t.approvalMessage(snap, svc, req, nil, nil)); err != nil {
			log.Warn("post tollgate approval message again", "board_channel", board.Channel, "age", age, "err", err)
		} else if err := t.st.SetTollgateMessage(ctx, req.ID, ch, ts); err != nil {
			log.Error("record tollgate approval message", "board_channel", board.Channel, "err", err)
		} else {
			log.Info("posted the tollgate approval message after its first post failed", "board_channel", board.Channel, "age", age)
			req.Channel, req.MessageTS = ch, ts
			t.messageRecorded(ctx, req)
		}
	}
	if line {
		if _, _, err := t.n.Post(ctx, svc.Channel, requestLine(snap, svc, board, req)); err != nil {
			log.Warn("post tollgate request to service channel again", "service_channel", svc.Channel, "age", age, "err", err)
		} else if err := t.st.SetTollgateLinePending(ctx, req.ID, false); err != nil {
			log.Error("record tollgate channel line", "service_channel", svc.Channel, "err", err)
		}
	}
}

// retry re-applies the effects of an unsettled decision older than the
// grace period, under this grace window's lease.
func (t *Workflow) retry(ctx context.Context, snap *domain.Snapshot, req *domain.TollgateRequest, d *domain.TollgateDecision) bool {
	age := t.e.Now().Sub(d.At)
	if age < t.grace {
		return false
	}
	lease := fmt.Sprintf("retry-%d", int64(age/t.grace))
	claimed, err := t.st.ClaimTollgateStep(ctx, req.ID, lease)
	if err != nil {
		t.log(ctx).Error("claim tollgate retry", "request", req.ID, "err", err)
		return false
	}
	if !claimed {
		return false
	}
	t.log(ctx).Info("re-applying tollgate decision", "request", req.ID, "outcome", string(d.Outcome), "age", age)
	return t.apply(ctx, snap, req, d, false)
}
