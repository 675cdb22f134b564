package faulttest

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/itspm/itspm/bot"
	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/internal/faultproxy"
	"github.com/itspm/itspm/jobs"
	"github.com/itspm/itspm/storage"
	"github.com/itspm/itspm/storage/storetest"
)

// A replica is killed by cutting both its links at once: the store's
// (every connection reset, none accepted) and Slack's (nothing leaves).
// Whatever it was doing fails from then on, as it would have stopped.
type links struct {
	store *faultproxy.Proxy
	slack *holdTransport
	once  *sync.Once
	dead  chan struct{} // closed when killed
}

func newLinks(store *faultproxy.Proxy, slack *holdTransport) links {
	return links{store: store, slack: slack, once: &sync.Once{}, dead: make(chan struct{})}
}

func (l links) kill() {
	l.once.Do(func() {
		l.store.Reset()
		l.slack.kill()
		close(l.dead)
	})
}

// waitDead waits until the replica was killed.
func (l links) waitDead(t *testing.T) {
	t.Helper()
	select {
	case <-l.dead:
	case <-time.After(30 * time.Second):
		t.Fatal("the replica was not killed within 30 s")
	}
}

// dyingFlowStore kills its replica when the tollgate workflow is about to
// insert a decision: the vote is stored, the decision is not.
type dyingFlowStore struct {
	*storage.Store
	die func()
}

func (s dyingFlowStore) DecideTollgate(ctx context.Context, d domain.TollgateDecision) (bool, *domain.TollgateDecision, error) {
	s.die()
	return false, nil, errKilled
}

// TestReplicaKilledMidVote: two replicas share one database; replica A
// processes the deciding vote and dies, (1) after storing the vote and
// before the decision, or (2) after the decision and the stage change,
// while its update of the approval message is on its way to Slack. After
// the grace period, replica B's Reconcile completes it: one decision, one
// stage change, the approval message updated once, one DM to the
// requester, one line in the service channel.
func TestReplicaKilledMidVote(t *testing.T) {
	tests := []struct {
		name string
		// arm sets up A's death; it returns what A's vote must block on
		// until the test has killed it (nil: nothing).
		arm func(a links) (die func(), hold func(*http.Request) bool)
	}{
		{
			name: "before the decision",
			arm: func(a links) (func(), func(*http.Request) bool) {
				return a.kill, nil
			},
		},
		{
			name: "while notifying",
			arm: func(a links) (func(), func(*http.Request) bool) {
				return nil, func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/chat.update") }
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			clk := newClock(tgStart)
			db := storetest.DatabaseName(t)
			stA, px := proxiedStore(t, db, clk.Now)
			loadSample(t, stA)
			stB := storetest.NewNamed(t, db, clk.Now)
			fs := newSlack(t)
			slackA := &holdTransport{base: http.DefaultTransport}
			a := newLinks(px, slackA)
			die, hold := tc.arm(a)
			optsA := replicaOptions{now: clk.Now, grace: tgGrace, sender: bot.SenderOptions{Sleep: clk.sleep, Now: clk.Now},
				slackClient: &http.Client{Timeout: 30 * time.Second, Transport: slackA}}
			if die != nil {
				optsA.flowStore = dyingFlowStore{Store: stA, die: die}
			}
			repA := newReplica(t, stA, fs, optsA)
			repB := newReplica(t, stB, fs, replicaOptions{now: clk.Now, grace: tgGrace, sender: bot.SenderOptions{Sleep: clk.sleep, Now: clk.Now}})

			// Marco asks on B; Lee's approval (quorum 1) reaches A.
			id, _ := requestTollgate(t, repB.engine)
			clk.Add(10 * time.Second)
			slackA.setHold(hold)
			voteCtx, stopVote := context.WithCancel(ctx)
			defer stopVote()
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _ = repA.engine.Vote(voteCtx, commands.Caller{SlackUser: "U0LEE", Source: "test"}, id, true, "")
			}()
			if hold != nil {
				waitFor(t, 30*time.Second, "A's update on its way to Slack", func() bool { return slackA.held() > 0 })
				a.kill()
			}
			a.waitDead(t)
			// Dead: whatever A still runs fails at once.
			stopVote()
			wg.Wait()
			fs.ClearFaults()

			// B: nothing within the grace period, then once.
			if n, err := repB.flow.Reconcile(ctx); err != nil || n != 0 {
				t.Errorf("B's reconcile within the grace period = %d, %v; want 0", n, err)
			}
			clk.Add(tgGrace + time.Second)
			if n, err := repB.flow.Reconcile(ctx); err != nil || n != 1 {
				t.Fatalf("B's reconcile after the grace period = %d, %v; want 1", n, err)
			}
			for range 3 {
				clk.Add(2 * tgGrace)
				if n, err := repB.flow.Reconcile(ctx); err != nil || n != 0 {
					t.Errorf("later reconcile = %d, %v; want 0", n, err)
				}
			}
			got := outcome(t, stB, fs)
			want := tollgateOutcome{Decisions: 1, StageChanges: 1, Stage: domain.StageImprove, BoardPosts: 1, BoardEdits: 1, DMs: 1, ChannelLines: 2}
			if got != want {
				t.Errorf("after B's reconcile: %+v, want %+v", got, want)
			}
			d, err := stB.TollgateDecision(ctx, id)
			if err != nil || d.Outcome != domain.Approved || d.By != "lee" {
				t.Errorf("decision %+v, %v; want approved by lee", d, err)
			}
			votes := 0
			h, _ := stB.History(ctx, "wifi", 0)
			for _, e := range h {
				if e.Action == "tollgate.vote" {
					votes++
				}
			}
			// Whether or not A wrote it, the vote that decided is in the
			// trail once: B writes the entries of the votes it counted.
			if votes != 1 {
				t.Errorf("%d vote audit entries, want 1", votes)
			}
			t.Logf("FAULT replica killed mid-vote (%s): B's reconcile after the %v grace period settled it: %+v; vote audit entries %d", tc.name, tgGrace, got, votes)
		})
	}
}

// dyingJobStore kills its replica right after a run enqueued its
// messages: the outbox has them, the run's record still says running.
type dyingJobStore struct {
	*storage.Store
	die func()
}

func (s dyingJobStore) EnqueueDeliveries(ctx context.Context, b domain.OutboxBatch, ds []domain.Delivery) (int, error) {
	n, err := s.Store.EnqueueDeliveries(ctx, b, ds)
	s.die()
	return n, err
}

// TestReplicaKilledMidJob: two replicas share one database and run the
// scheduler and the outbox sender. Replica A is killed (1) in the middle
// of a run, after enqueueing its messages and before recording its
// outcome, or (2) in the middle of delivering, with a post on its way to
// Slack. Replica B, already running, delivers every message once (after
// A's lease expires for the one A held); a replica started later takes the
// abandoned run over without enqueueing anything twice.
func TestReplicaKilledMidJob(t *testing.T) {
	const job = jobs.ContinuityTests
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	occ := jobs.OccurrenceID(job, at)
	tests := []struct {
		name    string
		midRun  bool // kill during the run (else during delivery)
		holdNth int  // with !midRun: the post (from 1) on its way when A dies
	}{
		{name: "mid-run", midRun: true},
		{name: "mid-delivery", holdNth: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			clk := newClock(at)
			db := storetest.DatabaseName(t)
			stA, px := proxiedStore(t, db, clk.Now)
			loadSample(t, stA)
			stB := storetest.NewNamed(t, db, clk.Now)
			fs := newSlack(t)
			slackA := &holdTransport{base: http.DefaultTransport, hold: nthCall("chat.postMessage", tc.holdNth)}
			a := newLinks(px, slackA)
			senderOpts := bot.SenderOptions{Logger: quiet(), Pace: -1, Sleep: clk.sleep, Now: clk.Now}
			notifierA := &jobsNotifier{s: bot.NewSender(slackClient(fs.APIURL(), &http.Client{Timeout: 30 * time.Second, Transport: slackA}), senderOpts)}
			notifierB := &jobsNotifier{s: bot.NewSender(slackClient(fs.APIURL(), nil), senderOpts)}

			var storeA jobs.Store = stA
			if tc.midRun {
				storeA = dyingJobStore{Store: stA, die: a.kill}
			}
			newScheduler := func(st jobs.Store, instance string) *jobs.Scheduler {
				s, err := jobs.New(jobs.Options{Store: st, Jobs: only(job), Now: clk.Now, Instance: instance, Logger: quiet()})
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			schedA, schedB := newScheduler(storeA, "replica-a"), newScheduler(stB, "replica-b")
			senderA := jobs.NewSender(jobs.SenderOptions{Store: stA, Notifier: notifierA, Instance: "replica-a", Now: clk.Now, After: clk.after, Logger: quiet(), Render: fakeChart})
			senderB := jobs.NewSender(jobs.SenderOptions{Store: stB, Notifier: notifierB, Instance: "replica-b", Now: clk.Now, After: clk.after, Logger: quiet(), Render: fakeChart})

			// Both replicas start before the occurrence: nothing due.
			for _, s := range []*jobs.Scheduler{schedA, schedB} {
				if err := s.Resume(ctx, at.Add(-time.Minute)); err != nil {
					t.Fatal(err)
				}
			}
			// A's scheduler claims the occurrence and runs it; B's tick
			// comes a second later and finds it taken.
			if err := schedA.Tick(ctx, at); err != nil {
				t.Fatal(err)
			}
			if err := schedB.Tick(ctx, at.Add(time.Second)); err != nil {
				t.Fatal(err)
			}
			ds, err := stB.Deliveries(ctx, occ+"/", "")
			if err != nil || len(ds) < 4 {
				t.Fatalf("%d deliveries enqueued (%v); the test needs a few", len(ds), err)
			}

			if !tc.midRun {
				// A delivers until its post number holdNth is on its way,
				// then dies.
				passDone := make(chan struct{})
				go func() {
					defer close(passDone)
					_, _ = senderA.Pass(ctx, "")
				}()
				waitFor(t, 30*time.Second, "A's post on its way to Slack", func() bool { return slackA.held() > 0 })
				a.kill()
				<-passDone
			}

			// B delivers what is left, once A's lease has expired.
			deadline := time.Now().Add(45 * time.Second)
			for {
				r, err := senderB.Pass(ctx, "")
				if err != nil {
					t.Fatal(err)
				}
				if r.Pending == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("B still has %d pending", r.Pending)
				}
				clk.Add(30 * time.Second)
			}

			// Every message in Slack once.
			ds, err = stB.Deliveries(ctx, occ+"/", "")
			if err != nil {
				t.Fatal(err)
			}
			byOwner := map[string]int{}
			for _, d := range ds {
				if d.Status != domain.DeliveryDelivered {
					t.Errorf("%s: %s (%s)", d.ID, d.Status, d.Error)
				}
				byOwner[d.Owner]++
				if got := len(fs.Messages(d.Channel)); got != 1 {
					t.Errorf("%s: %d messages in %s, want 1", d.ID, got, d.Channel)
				}
			}

			// A replica started later (A restarted, say) takes over the
			// run A abandoned, once it is stale, without enqueueing
			// anything again.
			clk.Add(12 * time.Minute) // the run timeout (10 min) and a minute more
			schedC := newScheduler(stB, "replica-c")
			if err := schedC.Tick(ctx, clk.Now()); err != nil {
				t.Fatal(err)
			}
			if err := schedC.Stop(ctx); err != nil {
				t.Fatal(err)
			}
			first, _, _ := stB.JobRun(ctx, occ)
			takeover, found, _ := stB.JobRun(ctx, occ+"#2")
			wantStatus := domain.JobOK
			if tc.midRun {
				wantStatus = domain.JobRunning // A never recorded its outcome
			}
			if first.Instance != "replica-a" || first.Status != wantStatus {
				t.Errorf("occurrence record %s by %s, want %s by replica-a", first.Status, first.Instance, wantStatus)
			}
			if found != tc.midRun || (found && (takeover.Status != domain.JobOK || takeover.Messages != 0)) {
				t.Errorf("takeover record %+v (found %v), want one only after a mid-run death, ok with 0 new messages", takeover, found)
			}
			if after, _ := stB.Deliveries(ctx, occ+"/", ""); len(after) != len(ds) {
				t.Errorf("%d deliveries after the takeover, %d before", len(after), len(ds))
			}
			if r, err := senderB.Pass(ctx, ""); err != nil || r.Pending != 0 {
				t.Errorf("after the takeover: %+v, %v", r, err)
			}
			for _, d := range ds {
				if got := len(fs.Messages(d.Channel)); got != 1 {
					t.Errorf("after the takeover %s: %d messages in %s, want 1", d.ID, got, d.Channel)
				}
			}
			t.Logf("FAULT replica killed %s: %d messages, each posted once (delivered by %v); occurrence record %s by replica-a, takeover #2 found %v (%s, %d new messages)",
				tc.name, len(ds), byOwner, first.Status, found, takeover.Status, takeover.Messages)
		})
	}
}

// only is the built-in job called name: the other jobs due at the same
// time would post to the same people.
func only(name string) []jobs.Job {
	for _, j := range jobs.Builtin() {
		if j.Name == name {
			return []jobs.Job{j}
		}
	}
	panic("no job " + name)
}
