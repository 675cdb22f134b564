package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/metrics"
)

// SenderOptions configure a Sender.
type SenderOptions struct {
	Store    Store
	Notifier Notifier
	Instance string // default InstanceID()
	Now      func() time.Time
	After    func(time.Duration) <-chan time.Time
	Logger   *slog.Logger

	// Lease is how long a claimed attempt is reserved; a sender that dies
	// holding one is replaced after it expires (default 2m). A delivery must
	// finish well within it: posts get a deadline of Lease minus 15s.
	Lease time.Duration
	// Interval paces posts to one recipient (default 1s: Slack allows about
	// one message per second per channel).
	Interval time.Duration
	// MaxFailures is how many failed attempts (not counting rate limits)
	// make a delivery fail for good (default 5).
	MaxFailures int
	// MaxAttempts bounds attempts of any kind, rate limits included (default 30).
	MaxAttempts int
	// Backoff is the wait after the first failure, doubling each time up to
	// an hour (default 30s).
	Backoff time.Duration
	Poll    time.Duration // how often to look for work from other replicas (default 10s)
	Render  func(Chart) ([]byte, error)
}

// Sender delivers the outbox: each record once, paced per recipient,
// honouring rate limits, retrying failures with backoff.
//
// A delivery is claimed by inserting the lease delivery#attempt-n (n one
// more than the attempts recorded); the winner records the lease, posts,
// and marks the record delivered. If it dies after claiming, the lease
// expires and another sender claims attempt n+1. If it dies after Slack
// accepted the post but before the delivered marker was written, the next
// attempt posts again: that window (one round trip to the store, or a post
// that outlives its lease) is the only way a message is sent twice.
type Sender struct {
	o SenderOptions

	kick chan struct{}

	mu       sync.Mutex           // guards ready and finished
	ready    map[string]time.Time // recipient → earliest next post (pacing, Retry-After)
	finished map[string]string    // delivery → delivered or failed, so passes skip them

	passMu sync.Mutex // one pass at a time

	workCtx    context.Context // posts; cancelled only when Stop's deadline passes
	workCancel context.CancelFunc
	stop       context.CancelFunc
	done       chan struct{}

	// afterClaim is a test hook: returning false abandons the attempt right
	// after the lease was recorded, as if the process died.
	afterClaim func(domain.Delivery) bool
}

// errAbandoned ends a pass whose attempt the afterClaim hook abandoned.
var errAbandoned = errors.New("attempt abandoned")

// NewSender returns a sender; Start runs it.
func NewSender(o SenderOptions) *Sender {
	if o.Instance == "" {
		o.Instance = InstanceID()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.After == nil {
		o.After = time.After
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Lease <= 0 {
		o.Lease = 2 * time.Minute
	}
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.MaxFailures <= 0 {
		o.MaxFailures = 5
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 30
	}
	if o.Backoff <= 0 {
		o.Backoff = 30 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = 10 * time.Second
	}
	if o.Render == nil {
		o.Render = RenderChart
	}
	s := &Sender{o: o, kick: make(chan struct{}, 1), ready: map[string]time.Time{}, finished: map[string]string{}}
	s.workCtx, s.workCancel = context.WithCancel(context.Background())
	return s
}

// Kick makes the running sender look for work now (after a local enqueue).
func (s *Sender) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Start runs the delivery loop until Stop.
func (s *Sender) Start(ctx context.Context) {
	ctx, s.stop = context.WithCancel(ctx)
	s.done = make(chan struct{})
	go s.loop(ctx)
}

func (s *Sender) loop(ctx context.Context) {
	defer close(s.done)
	for ctx.Err() == nil {
		wait := s.o.Poll
		res, err := s.pass(ctx, "")
		if err != nil {
			s.o.Logger.Error("jobs: outbox pass failed", "err", err)
		} else if !res.Next.IsZero() {
			wait = min(wait, max(res.Next.Sub(s.o.Now()), 0))
		}
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		case <-s.o.After(wait):
		}
	}
}

// Stop ends the loop after the delivery in progress, waiting until ctx's
// deadline; past it the delivery's context is cancelled.
func (s *Sender) Stop(ctx context.Context) error {
	if s.stop == nil {
		return nil
	}
	s.stop()
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		s.workCancel()
		return fmt.Errorf("jobs: sender stopped mid-delivery: %w", ctx.Err())
	}
}

// PassResult says what a pass left behind.
type PassResult struct {
	Next    time.Time // when a skipped delivery becomes ready (zero: none waiting)
	Pending int       // deliveries still pending in the batches looked at
	Failed  int       // deliveries that failed for good
}

// Pass delivers every pending record (of batches whose run ID starts with
// prefix, when set) that is ready now: not leased by another sender, not
// backing off, its recipient not paced.
func (s *Sender) Pass(ctx context.Context, prefix string) (PassResult, error) {
	return s.pass(ctx, prefix)
}

// batchGrace is how long a listed delivery may be missing: the batch is
// written just before its records, so a reader can see it first.
const batchGrace = 10 * time.Minute

func (s *Sender) pass(stopCtx context.Context, prefix string) (PassResult, error) {
	s.passMu.Lock()
	defer s.passMu.Unlock()
	var res PassResult
	later := func(t time.Time) {
		if res.Next.IsZero() || t.Before(res.Next) {
			res.Next = t
		}
	}
	ctx := s.workCtx
	batches, err := s.o.Store.OutboxBatches(ctx)
	if err != nil {
		return res, err
	}
	for _, b := range batches {
		if prefix != "" && !strings.HasPrefix(b.ID, prefix) {
			continue
		}
		pending, failed := 0, 0
		for _, id := range b.IDs {
			if stopCtx.Err() != nil {
				return res, nil
			}
			if st := s.known(id); st != "" {
				if st == domain.DeliveryFailed {
					failed++
				}
				continue
			}
			d, ok, err := s.o.Store.Delivery(ctx, id)
			if err != nil {
				return res, err
			}
			if !ok {
				if s.o.Now().Sub(b.CreatedAt) < batchGrace {
					pending++
				}
				continue
			}
			if d.Status == domain.DeliveryPending {
				d, err = s.try(ctx, d, later)
				if errors.Is(err, errAbandoned) {
					return res, nil
				}
				if err != nil {
					return res, err
				}
			}
			switch d.Status {
			case domain.DeliveryPending:
				pending++
			case domain.DeliveryFailed:
				failed++
				s.remember(id, d.Status)
			default:
				s.remember(id, d.Status)
			}
		}
		res.Pending += pending
		res.Failed += failed
		if pending == 0 && failed == 0 {
			if err := s.o.Store.CloseOutboxBatch(ctx, b.ID); err != nil {
				return res, err
			}
			s.forget(b.IDs)
		}
	}
	return res, nil
}

// try attempts d if it is ready, else notes when it will be.
func (s *Sender) try(ctx context.Context, d domain.Delivery, later func(time.Time)) (domain.Delivery, error) {
	now := s.o.Now()
	switch {
	case d.NotBefore.After(now):
		later(d.NotBefore)
		return d, nil
	case d.LeaseUntil.After(now):
		later(d.LeaseUntil)
		return d, nil
	}
	if r := s.readyAt(d.To); r.After(now) {
		later(r)
		return d, nil
	}
	d, err := s.attempt(ctx, d)
	if err == nil && d.Status == domain.DeliveryPending {
		later(maxTime(d.NotBefore, d.LeaseUntil))
	}
	return d, err
}

func (s *Sender) known(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.finished[id]
}

func (s *Sender) remember(id, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.finished[id] = status
}

func (s *Sender) forget(ids []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		delete(s.finished, id)
	}
}

func (s *Sender) readyAt(to string) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ready[to]
}

func (s *Sender) pace(to string, until time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if until.After(s.ready[to]) {
		s.ready[to] = until
	}
}

// attempt claims the next attempt of d and, when it wins, delivers it,
// returning d's new state. It returns only store errors; delivery failures
// are recorded on d.
func (s *Sender) attempt(ctx context.Context, d domain.Delivery) (domain.Delivery, error) {
	now := s.o.Now()
	d.Attempts++
	lease := domain.DeliveryLease{ID: fmt.Sprintf("%s#attempt-%d", d.ID, d.Attempts), Delivery: d.ID, Attempt: d.Attempts,
		Owner: s.o.Instance, At: now.UTC(), Until: now.Add(s.o.Lease).UTC()}
	won, err := s.o.Store.ClaimDelivery(ctx, lease)
	if err != nil {
		return d, err
	}
	if !won {
		// Another sender has this attempt: the record is theirs until the
		// lease ends.
		d.Attempts--
		d.LeaseUntil = lease.Until
		return d, nil
	}
	d.LeaseUntil, d.Owner = lease.Until, s.o.Instance
	if err := s.o.Store.UpdateDelivery(ctx, d); err != nil {
		return d, err
	}
	if s.afterClaim != nil && !s.afterClaim(d) {
		return d, errAbandoned
	}
	p, err := decodePayload(d.Payload)
	if err != nil {
		return s.fail(ctx, d, &PermanentError{Err: err})
	}
	pctx, cancel := context.WithTimeout(ctx, max(s.o.Lease-15*time.Second, s.o.Lease/2))
	defer cancel()
	if !d.Posted {
		ch, ts, err := s.o.Notifier.Post(pctx, d.To, p.Reply)
		if err != nil {
			return s.fail(ctx, d, fmt.Errorf("post: %w", err))
		}
		d.Posted, d.Channel, d.TS = true, ch, ts
		if len(p.Charts) > 0 {
			// A takeover must not post the summary again.
			if err := s.o.Store.UpdateDelivery(ctx, d); err != nil {
				return d, err
			}
		}
	}
	for i := d.Uploaded; i < len(p.Charts); i++ {
		c := p.Charts[i]
		png, err := s.o.Render(c)
		if err != nil {
			// Rendering is deterministic: retrying cannot help, and the
			// summary already went out.
			s.o.Logger.Error("jobs: chart not rendered", "delivery", d.ID, "chart", c.Filename, "err", err)
		} else {
			ch := d.Channel
			if ch == "" {
				ch = d.To
			}
			if err := s.o.Notifier.Upload(pctx, ch, c.Filename, c.Title, png, c.Comment); err != nil {
				return s.fail(ctx, d, fmt.Errorf("upload %s: %w", c.Filename, err))
			}
		}
		d.Uploaded = i + 1
		if d.Uploaded < len(p.Charts) {
			if err := s.o.Store.UpdateDelivery(ctx, d); err != nil {
				return d, err
			}
		}
	}
	done := s.o.Now()
	d.Status, d.DeliveredAt, d.LeaseUntil, d.Error = domain.DeliveryDelivered, done.UTC(), time.Time{}, ""
	if err := s.o.Store.UpdateDelivery(ctx, d); err != nil {
		// Delivered but not marked: after the lease expires another sender
		// would post again. This is the documented duplicate window.
		return d, fmt.Errorf("mark %s delivered: %w", d.ID, err)
	}
	metrics.Deliveries.WithLabelValues("sent").Inc()
	s.pace(d.To, done.Add(s.o.Interval))
	return d, nil
}

// fail records a failed attempt: a rate limit waits Retry-After, a
// permanent error fails the delivery, anything else backs off until
// MaxFailures.
func (s *Sender) fail(ctx context.Context, d domain.Delivery, err error) (domain.Delivery, error) {
	now := s.o.Now()
	d.LeaseUntil, d.Error = time.Time{}, err.Error()
	outcome := "retried"
	if wait, ok := retryAfter(err); ok {
		s.pace(d.To, now.Add(wait))
		d.NotBefore = now.Add(wait)
		metrics.SlackRateLimited.WithLabelValues("outbox").Inc()
		if d.Attempts >= s.o.MaxAttempts {
			outcome = "failed"
		}
	} else if isPermanent(err) {
		outcome = "failed"
	} else {
		d.Failures++
		if d.Failures >= s.o.MaxFailures || d.Attempts >= s.o.MaxAttempts {
			outcome = "failed"
		}
		wait := s.o.Backoff << min(d.Failures-1, 10)
		d.NotBefore = now.Add(min(wait, time.Hour))
		s.pace(d.To, now.Add(s.o.Interval))
	}
	if outcome == "failed" {
		d.Status = domain.DeliveryFailed
		s.o.Logger.Error("jobs: delivery failed for good", "delivery", d.ID, "attempts", d.Attempts, "err", err)
	} else {
		s.o.Logger.Warn("jobs: delivery attempt failed; will retry", "delivery", d.ID, "attempt", d.Attempts, "retryAt", d.NotBefore, "err", err)
	}
	metrics.Deliveries.WithLabelValues(outcome).Inc()
	return d, s.o.Store.UpdateDelivery(ctx, d)
}

// Drain delivers the records of batches whose run ID starts with prefix
// (one occurrence, for `itspm jobs run`) until none is pending or ctx
// ends, waiting on the sender's clock between passes. It returns how many
// failed for good.
func (s *Sender) Drain(ctx context.Context, prefix string) (failed int, err error) {
	for {
		res, err := s.pass(ctx, prefix)
		if err != nil {
			return res.Failed, err
		}
		if res.Pending == 0 {
			return res.Failed, nil
		}
		wait := s.o.Poll
		if !res.Next.IsZero() {
			wait = min(max(res.Next.Sub(s.o.Now()), 10*time.Millisecond), s.o.Poll)
		}
		select {
		case <-ctx.Done():
			return res.Failed, fmt.Errorf("%d messages not delivered yet (they stay in the outbox for the running bot): %w", res.Pending, ctx.Err())
		case <-s.o.After(wait):
		}
	}
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
