package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/metrics"
)

// Options configure a Scheduler.
type Options struct {
	Store     Store
	Location  *time.Location    // ITSPM_TIMEZONE; default UTC
	Schedules map[string]string // job name → cron spec overriding the default (ITSPM_SCHEDULE_<JOB>)
	Jobs      []Job             // default Builtin()

	// CatchUp is how late an occurrence may still run after downtime
	// (default 24h); older missed occurrences are recorded, not run.
	CatchUp time.Duration
	// Retention is how long occurrence and outbox records are kept (default 30 days).
	Retention time.Duration
	// JanitorSchedule is when old records are removed (default "17 3 * * *").
	JanitorSchedule string
	// RunTimeout bounds one occurrence's select-and-enqueue (default 10m).
	RunTimeout time.Duration

	Instance string                               // this process in claims and logs; default host-pid-random
	Now      func() time.Time                     // default time.Now
	After    func(time.Duration) <-chan time.Time // default time.After
	Logger   *slog.Logger
	// Enqueued is called after a run enqueued messages (the sender's Kick).
	Enqueued func()
}

// Scheduler runs each job's occurrences once across all replicas.
type Scheduler struct {
	o       Options
	entries []*entry

	mu      sync.Mutex // guards entries' cursors, resumed and watched
	resumed bool
	watched time.Time // when abandoned runs were last looked for

	wg        sync.WaitGroup // running occurrences
	runCtx    context.Context
	runCancel context.CancelFunc
	stop      context.CancelFunc
	done      chan struct{}
}

type entry struct {
	job      Job
	sched    *Schedule
	maintain func(ctx context.Context, occ Occurrence) error // the janitor
	cursor   time.Time                                       // latest occurrence handled
}

// maxLookback bounds how far back the scheduler looks for missed
// occurrences after long downtime.
const maxLookback = 35 * 24 * time.Hour

// maxMissedRecords bounds the "missed" records written after one outage.
const maxMissedRecords = 100

// takeoverAttempts bounds re-runs of an occurrence whose claimer died.
const takeoverAttempts = 3

// watchEvery is how often a running scheduler looks for occurrences whose
// claimer died (Resume looks at start-up): the replicas still alive take
// them over without waiting for one to restart.
const watchEvery = time.Minute

// ScheduleVariable is the environment variable that overrides job's schedule.
func ScheduleVariable(job string) string {
	return "ITSPM_SCHEDULE_" + strings.ToUpper(strings.ReplaceAll(job, "-", "_"))
}

// New checks every schedule (an invalid one is an error naming its
// variable) and returns a scheduler; Start runs it.
func New(o Options) (*Scheduler, error) {
	if o.Store == nil {
		return nil, errors.New("jobs: no store")
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Jobs == nil {
		o.Jobs = Builtin()
	}
	if o.CatchUp <= 0 {
		o.CatchUp = 24 * time.Hour
	}
	if o.Retention <= 0 {
		o.Retention = 30 * 24 * time.Hour
	}
	if o.JanitorSchedule == "" {
		o.JanitorSchedule = "17 3 * * *"
	}
	if o.RunTimeout <= 0 {
		o.RunTimeout = 10 * time.Minute
	}
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
	s := &Scheduler{o: o}
	known := map[string]bool{}
	var errs []error
	for _, j := range o.Jobs {
		known[j.Name] = true
		spec := j.Schedule
		if v, ok := o.Schedules[j.Name]; ok && strings.TrimSpace(v) != "" {
			spec = v
		}
		sch, err := ParseSchedule(spec, o.Location)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %v", ScheduleVariable(j.Name), err))
			continue
		}
		s.entries = append(s.entries, &entry{job: j, sched: sch})
	}
	for name := range o.Schedules {
		if !known[name] {
			errs = append(errs, fmt.Errorf("%s: no job by that name", ScheduleVariable(name)))
		}
	}
	js, err := ParseSchedule(o.JanitorSchedule, o.Location)
	if err != nil {
		errs = append(errs, fmt.Errorf("janitor schedule: %v", err))
	} else {
		s.entries = append(s.entries, &entry{
			job:   Job{Name: Janitor, Schedule: o.JanitorSchedule, Description: "removes occurrence and outbox records older than the retention period"},
			sched: js, maintain: s.prune,
		})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	s.runCtx, s.runCancel = context.WithCancel(context.Background())
	return s, nil
}

// InstanceID names this process in claims: host, pid and a random suffix.
func InstanceID() string {
	host, _ := os.Hostname()
	var b [3]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// Instance is this scheduler's name in claims.
func (s *Scheduler) Instance() string { return s.o.Instance }

// Location is the time zone schedules are evaluated in.
func (s *Scheduler) Location() *time.Location { return s.o.Location }

func (s *Scheduler) entry(name string) *entry {
	for _, e := range s.entries {
		if e.job.Name == name {
			return e
		}
	}
	return nil
}

// Start resumes from the store (catching up missed occurrences) and runs
// the loop until Stop.
func (s *Scheduler) Start(ctx context.Context) {
	ctx, s.stop = context.WithCancel(ctx)
	s.done = make(chan struct{})
	go s.loop(ctx)
}

// retryDelay is how soon the loop tries again after the store failed.
const retryDelay = 30 * time.Second

// maxSleep bounds one wait, so a wall-clock jump is noticed within a minute.
const maxSleep = time.Minute

func (s *Scheduler) loop(ctx context.Context) {
	defer close(s.done)
	for ctx.Err() == nil {
		now := s.o.Now()
		next := now.Add(retryDelay)
		if err := s.Resume(ctx, now); err != nil {
			s.o.Logger.Error("jobs: cannot read the schedule state; retrying", "err", err)
		} else {
			next = s.tick(ctx, now, nil)
		}
		d := min(max(next.Sub(s.o.Now()), 0), maxSleep)
		select {
		case <-ctx.Done():
			return
		case <-s.o.After(d):
		}
	}
}

// Resume positions each job after its latest recorded occurrence, so the
// first Tick catches up what was missed during downtime. A job without
// records starts now (a new installation has missed nothing). An
// occurrence whose claimer died while running it (still "running" past
// the run timeout, within the catch-up window) is run again; enqueueing is
// idempotent, so messages it already enqueued are not sent twice. It is a
// no-op once it has succeeded.
func (s *Scheduler) Resume(ctx context.Context, now time.Time) error {
	s.mu.Lock()
	if s.resumed {
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()
	latest, err := s.o.Store.LatestJobRuns(ctx, s.Names(), false)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.resumed {
		return nil
	}
	for _, e := range s.entries {
		r, ok := latest[e.job.Name]
		if !ok {
			e.cursor = now
			continue
		}
		e.cursor = r.At
	}
	s.takeOver(latest, now, nil)
	s.resumed, s.watched = true, now
	return nil
}

// takeOver re-runs each latest occurrence still "running" past the run
// timeout, within the catch-up window; the attempt number in the claim
// makes one replica do it. s.mu is held.
func (s *Scheduler) takeOver(latest map[string]domain.JobRun, now time.Time, wg *sync.WaitGroup) {
	for _, e := range s.entries {
		r, ok := latest[e.job.Name]
		if !ok {
			continue
		}
		stale := r.Status == domain.JobRunning && now.Sub(r.StartedAt) > s.o.RunTimeout+time.Minute
		if attempt := max(r.Attempt, 1) + 1; stale && now.Sub(r.At) <= s.o.CatchUp && attempt <= takeoverAttempts {
			s.o.Logger.Warn("jobs: taking over an occurrence whose run did not finish", "job", e.job.Name, "occurrence", r.ID, "claimedBy", r.Instance)
			s.launch(wg, e, s.occurrence(e.job.Name, r.At), attempt, true)
		}
	}
}

// watch looks for abandoned runs at most every watchEvery. s.mu is held.
func (s *Scheduler) watch(ctx context.Context, now time.Time, wg *sync.WaitGroup) {
	if now.Sub(s.watched) < watchEvery {
		return
	}
	latest, err := s.o.Store.LatestJobRuns(ctx, s.Names(), false)
	if err != nil {
		s.o.Logger.Warn("jobs: cannot look for abandoned runs; will try again", "err", err)
		return
	}
	s.watched = now
	s.takeOver(latest, now, wg)
}

// Tick handles every occurrence due at now (claiming, running or recording
// it as missed) and waits for the runs it started. Tests drive the
// scheduler with it instead of the clock.
func (s *Scheduler) Tick(ctx context.Context, now time.Time) error {
	if err := s.Resume(ctx, now); err != nil {
		return err
	}
	var wg sync.WaitGroup
	s.tick(ctx, now, &wg)
	wg.Wait()
	return nil
}

// tick starts the due runs and returns when the next occurrence is due.
func (s *Scheduler) tick(ctx context.Context, now time.Time, wg *sync.WaitGroup) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.watch(ctx, now, wg)
	next := now.Add(maxSleep)
	for _, e := range s.entries {
		if err := s.due(ctx, e, now, wg); err != nil {
			s.o.Logger.Error("jobs: cannot handle due occurrences; retrying", "job", e.job.Name, "err", err)
			next = minTime(next, now.Add(retryDelay))
			continue
		}
		if n := e.sched.Next(e.cursor); !n.IsZero() {
			next = minTime(next, n)
		}
	}
	return next
}

// due handles e's occurrences in (cursor, now]: the latest runs when it is
// within the catch-up window, the others are recorded as missed.
func (s *Scheduler) due(ctx context.Context, e *entry, now time.Time, wg *sync.WaitGroup) error {
	from := e.cursor
	if now.Sub(from) > maxLookback {
		s.o.Logger.Warn("jobs: downtime longer than the look-back; older occurrences are neither run nor recorded",
			"job", e.job.Name, "since", from, "lookback", maxLookback)
		from = now.Add(-maxLookback)
	}
	occ, total := e.sched.Between(from, now, maxMissedRecords+1)
	if total == 0 {
		return nil
	}
	latest := occ[len(occ)-1]
	missed := occ[:len(occ)-1]
	run := now.Sub(latest) <= s.o.CatchUp
	if !run {
		missed = occ
	}
	if len(missed) > 0 {
		recs := make([]domain.JobRun, len(missed))
		for i, t := range missed {
			recs[i] = domain.JobRun{ID: OccurrenceID(e.job.Name, t), Job: e.job.Name, At: t.UTC(), Status: domain.JobMissed,
				Instance: s.o.Instance, StartedAt: now.UTC(), FinishedAt: now.UTC(),
				Error: fmt.Sprintf("not run: more than %s late (outside the catch-up window)", s.o.CatchUp)}
		}
		n, err := s.o.Store.RecordJobRuns(ctx, recs)
		if err != nil {
			return err
		}
		if n > 0 {
			metrics.JobRuns.WithLabelValues(e.job.Name, "missed").Add(float64(n))
			s.o.Logger.Warn("jobs: occurrences missed during downtime were recorded, not run",
				"job", e.job.Name, "missed", total-btoi(run), "recorded", n, "oldest", missed[0], "newest", missed[len(missed)-1])
		}
	}
	if run {
		caughtUp := now.Sub(latest) > time.Minute
		if caughtUp {
			s.o.Logger.Info("jobs: catching up a missed occurrence", "job", e.job.Name, "occurrence", OccurrenceID(e.job.Name, latest))
		}
		s.launch(wg, e, s.occurrence(e.job.Name, latest), 1, caughtUp)
	}
	e.cursor = latest
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func (s *Scheduler) occurrence(job string, at time.Time) Occurrence {
	at = at.UTC()
	return Occurrence{Job: job, At: at, Location: s.o.Location, Today: domain.Today(at, s.o.Location)}
}

// launch runs an occurrence in its own goroutine. Runs use a context that
// Stop cancels only when its deadline passes, so shutdown lets them finish.
func (s *Scheduler) launch(wg *sync.WaitGroup, e *entry, occ Occurrence, attempt int, caughtUp bool) {
	s.wg.Add(1)
	if wg != nil {
		wg.Add(1)
	}
	go func() {
		defer s.wg.Done()
		if wg != nil {
			defer wg.Done()
		}
		if _, err := s.run(s.runCtx, e, occ, attempt, false, caughtUp); err != nil {
			s.o.Logger.Error("jobs: occurrence failed", "job", occ.Job, "occurrence", occ.ID(), "err", err)
		}
	}()
}

// Result is what one run did.
type Result struct {
	Occurrence string
	Claimed    bool          // false: another process (or an earlier run) has this occurrence
	Existing   domain.JobRun // the record that holds the claim, when not claimed
	Status     string
	Messages   []Message // what the job produced
	Enqueued   int       // new outbox records (the rest were enqueued before)
	Skipped    int       // recipients without a Slack ID
	Err        error     // the job's own failure (also recorded)
}

// run claims the occurrence and, when it won, collects and enqueues the
// job's messages and records the outcome. A panic in the job is recovered
// and recorded. The returned error is a store failure; the job's own
// failure is in Result.Err.
func (s *Scheduler) run(ctx context.Context, e *entry, occ Occurrence, attempt int, manual, caughtUp bool) (Result, error) {
	id := occ.ID()
	if attempt > 1 {
		id = fmt.Sprintf("%s#%d", id, attempt)
	}
	res := Result{Occurrence: id}
	started := s.o.Now()
	rec := domain.JobRun{ID: id, Job: e.job.Name, At: occ.At.UTC(), Attempt: attempt, Status: domain.JobRunning,
		Instance: s.o.Instance, Manual: manual, StartedAt: started.UTC(), CaughtUp: caughtUp}
	if attempt <= 1 {
		rec.Attempt = 0
	}
	won, err := s.o.Store.ClaimJobRun(ctx, rec)
	if err != nil {
		metrics.JobRuns.WithLabelValues(e.job.Name, "error").Inc()
		return res, err
	}
	if !won {
		metrics.JobRuns.WithLabelValues(e.job.Name, "skipped").Inc()
		if r, ok, err := s.o.Store.JobRun(ctx, id); err == nil && ok {
			res.Existing = r
		}
		return res, nil
	}
	res.Claimed = true
	rctx, cancel := context.WithTimeout(ctx, s.o.RunTimeout)
	defer cancel()
	status := domain.JobOK
	msgs, jobErr := s.collect(rctx, e, occ)
	if jobErr == nil && e.maintain == nil {
		res.Messages = msgs
		res.Enqueued, res.Skipped, jobErr = s.enqueue(rctx, occ, id, msgs)
	}
	var pe *panicError
	switch {
	case errors.As(jobErr, &pe):
		status = domain.JobPanic
	case jobErr != nil:
		status = domain.JobError
	}
	rec.Status, rec.FinishedAt, rec.Messages, rec.Skipped = status, s.o.Now().UTC(), res.Enqueued, res.Skipped
	rec.Duration = float64(rec.FinishedAt.Sub(started).Microseconds()) / 1000
	if jobErr != nil {
		rec.Error = jobErr.Error()
		s.o.Logger.Error("jobs: run failed", "job", e.job.Name, "occurrence", id, "status", status, "err", jobErr)
	} else {
		s.o.Logger.Info("jobs: run finished", "job", e.job.Name, "occurrence", id, "messages", res.Enqueued, "skipped", res.Skipped, "ms", rec.Duration)
	}
	res.Status, res.Err = status, jobErr
	metrics.JobRuns.WithLabelValues(e.job.Name, status).Inc()
	// Record the outcome even when shutdown cancelled the run's context.
	fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer fcancel()
	if err := s.o.Store.FinishJobRun(fctx, rec); err != nil {
		return res, err
	}
	if res.Enqueued > 0 && s.o.Enqueued != nil {
		s.o.Enqueued()
	}
	return res, nil
}

// panicError is a recovered job panic.
type panicError struct {
	value any
	stack string
}

func (p *panicError) Error() string { return fmt.Sprintf("panic: %v", p.value) }

// collect calls the job, turning a panic into an error.
func (s *Scheduler) collect(ctx context.Context, e *entry, occ Occurrence) (msgs []Message, err error) {
	defer func() {
		if r := recover(); r != nil {
			pe := &panicError{value: r, stack: string(debug.Stack())}
			s.o.Logger.Error("jobs: job panicked", "job", e.job.Name, "panic", fmt.Sprint(r), "stack", pe.stack)
			msgs, err = nil, pe
		}
	}()
	if e.maintain != nil {
		return nil, e.maintain(ctx, occ)
	}
	return e.job.Collect(ctx, s.o.Store, occ)
}

// enqueue writes the messages to the outbox under occurrence/recipient
// keys, with the run's batch listing them; keys already present (an
// earlier attempt of the same occurrence) are skipped.
func (s *Scheduler) enqueue(ctx context.Context, occ Occurrence, runID string, msgs []Message) (enqueued, skipped int, err error) {
	now := s.o.Now().UTC()
	base := occ.ID()
	ds := make([]domain.Delivery, 0, len(msgs))
	seen := map[string]bool{}
	for _, m := range msgs {
		if m.To == "" {
			skipped++
			continue
		}
		if seen[m.To] {
			// A job makes one digest per recipient; a second one would be
			// dropped by the unique key anyway.
			s.o.Logger.Warn("jobs: second message to one recipient in one run dropped", "job", occ.Job, "to", m.To)
			continue
		}
		seen[m.To] = true
		p, err := encodePayload(m)
		if err != nil {
			return 0, skipped, err
		}
		ds = append(ds, domain.Delivery{ID: domain.DeliveryID(base, m.To), Payload: p})
	}
	if len(ds) == 0 {
		return 0, skipped, nil
	}
	batch := domain.OutboxBatch{ID: runID, Job: occ.Job, CreatedAt: now}
	for _, d := range ds {
		batch.IDs = append(batch.IDs, d.ID)
	}
	n, err := s.o.Store.EnqueueDeliveries(ctx, batch, ds)
	if err != nil {
		return n, skipped, err
	}
	if dup := len(ds) - n; dup > 0 {
		metrics.Deliveries.WithLabelValues("duplicate").Add(float64(dup))
	}
	return n, skipped, nil
}

// prune is the janitor: it removes records older than the retention.
func (s *Scheduler) prune(ctx context.Context, occ Occurrence) error {
	before := occ.At.Add(-s.o.Retention)
	n, err := s.o.Store.PruneJobRecords(ctx, s.Names(), before)
	if err != nil {
		return err
	}
	s.o.Logger.Info("jobs: removed old occurrence and outbox records", "removed", n, "before", before)
	return nil
}

// RunNow runs one occurrence of the named job as if scheduled at at,
// through the same claim as the scheduler: if that occurrence already ran
// (or another `jobs run` is running it), it does nothing and says so.
func (s *Scheduler) RunNow(ctx context.Context, name string, at time.Time) (Result, error) {
	e := s.entry(name)
	if e == nil {
		return Result{}, domain.Errorf(domain.NotFound, "There is no job %q (jobs: %s).", name, strings.Join(s.Names(), ", "))
	}
	occ := s.occurrence(name, at.Truncate(time.Second))
	return s.run(ctx, e, occ, 1, true, false)
}

// Preview returns the messages the named job would send for an occurrence
// at at, without claiming it or enqueueing anything (the dry run).
func (s *Scheduler) Preview(ctx context.Context, name string, at time.Time) ([]Message, error) {
	e := s.entry(name)
	if e == nil {
		return nil, domain.Errorf(domain.NotFound, "There is no job %q (jobs: %s).", name, strings.Join(s.Names(), ", "))
	}
	if e.maintain != nil {
		return nil, nil
	}
	return s.collect(ctx, e, s.occurrence(name, at.Truncate(time.Second)))
}

// Names lists the scheduled jobs, janitor last.
func (s *Scheduler) Names() []string {
	out := make([]string, len(s.entries))
	for i, e := range s.entries {
		out[i] = e.job.Name
	}
	return out
}

// Stop ends the loop and waits for running occurrences until ctx's
// deadline; past it, their contexts are cancelled and Stop returns ctx's
// error.
func (s *Scheduler) Stop(ctx context.Context) error {
	if s.stop != nil {
		s.stop()
		select {
		case <-s.done:
		case <-ctx.Done():
		}
	}
	finished := make(chan struct{})
	go func() { s.wg.Wait(); close(finished) }()
	select {
	case <-finished:
		return nil
	case <-ctx.Done():
		s.runCancel()
		return fmt.Errorf("jobs: stopped before running jobs finished: %w", ctx.Err())
	}
}
