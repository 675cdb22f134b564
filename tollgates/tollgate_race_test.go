package tollgates_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/storage"
	"github.com/itspm/itspm/storage/storetest"
)

// raceClick is one goroutine's vote.
type raceClick struct {
	voter   string
	approve bool
	engine  int // which replica handles it
}

// raceClicks returns 50 clicks by 40 distinct members of the big board:
// ten members click twice (the same way or not), rejections are rare enough
// that both outcomes occur over the repetitions.
func raceClicks(rng *rand.Rand, engines int) []raceClick {
	clicks := make([]raceClick, 50)
	for i := range clicks {
		clicks[i] = raceClick{voter: member(i%40 + 1), approve: rng.IntN(6) != 0, engine: i % engines}
	}
	rng.Shuffle(len(clicks), func(i, j int) { clicks[i], clicks[j] = clicks[j], clicks[i] })
	return clicks
}

// raceVotes runs 50 simultaneous clicks on a quorum-2 gate, raceReps times, over
// the given replicas (engines over stores sharing one database), and checks
// that each request gets exactly one decision, consistent with the votes
// stored, one stage change and one update of the approval message with the
// final outcome.
func raceVotes(t *testing.T, f *fixture, engines []*commands.Engine) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	outcomes := map[domain.Outcome]int{}
	for rep := 1; rep <= raceReps; rep++ {
		svc := fmt.Sprintf("race-%02d", rep)
		id := f.open(as("lee"), svc, "operate")
		clicks := raceClicks(rng, len(engines))
		replies := make([]commands.Reply, len(clicks))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, c := range clicks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				comment := ""
				if !c.approve {
					comment = "not ready"
				}
				r, err := engines[c.engine].Vote(ctx, as(c.voter), id, c.approve, comment)
				if err != nil {
					t.Errorf("%s: vote by %s: %v", id, c.voter, err)
				}
				replies[i] = r
			}()
		}
		close(start)
		wg.Wait()
		if t.Failed() {
			return
		}

		d, err := f.st.TollgateDecision(ctx, id)
		if err != nil {
			t.Fatalf("%s: no decision: %v", id, err)
		}
		outcomes[d.Outcome]++
		votesBy, err := f.st.TollgateVotes(ctx, []string{id})
		if err != nil {
			t.Fatal(err)
		}
		votes := votesBy[id]
		// The stored slots reproduce the decision, and no vote is stored
		// after the deciding one.
		out, n := domain.Decide(votes, 2)
		if out != d.Outcome || n != len(votes) || len(d.Votes) != n {
			t.Fatalf("%s: decision %s over %d votes, but the %d stored votes decide %s after %d", id, d.Outcome, len(d.Votes), len(votes), out, n)
		}
		seen := map[string]bool{}
		for i, v := range votes {
			if v.Slot != i || v.ID != storage.VoteID(id, i) || d.Votes[i].Voter != v.Voter || d.Votes[i].Approve != v.Approve {
				t.Fatalf("%s: stored vote %d = %+v, decision has %+v", id, i, v, d.Votes[i])
			}
			if seen[v.Voter] {
				t.Fatalf("%s: %s voted twice", id, v.Voter)
			}
			seen[v.Voter] = true
		}
		if last := votes[len(votes)-1]; d.By != last.Voter {
			t.Errorf("%s: decided by %s, but the deciding vote is %s's", id, d.By, last.Voter)
		}

		// Replies: one success per stored vote, the rest explain.
		accepted := 0
		for i, r := range replies {
			switch {
			case !r.Error:
				accepted++
				if !seen[clicks[i].voter] {
					t.Errorf("%s: %s was told %q but has no stored vote", id, clicks[i].voter, r.Text)
				}
			case strings.Contains(r.Text, "already decided") || strings.Contains(r.Text, "You already"):
			default:
				t.Errorf("%s: unexpected refusal %q", id, r.Text)
			}
		}
		if accepted != len(votes) {
			t.Errorf("%s: %d votes accepted, %d stored", id, accepted, len(votes))
		}

		// Effects, once.
		wantStage := domain.StageTransition
		if d.Outcome == domain.Approved {
			wantStage = domain.StageOperate
		}
		if got := f.service(svc).Stage; got != wantStage {
			t.Errorf("%s: stage %s, want %s", id, got, wantStage)
		}
		counts := map[string]int{}
		for _, a := range f.actions(svc) {
			counts[a]++
		}
		wantChanges := map[domain.Outcome]int{domain.Approved: 1}[d.Outcome]
		if counts["stage.change"] != wantChanges || counts["tollgate.decision"] != 1 || counts["tollgate.vote"] != len(votes) {
			t.Errorf("%s (%s): audit counts %v", id, d.Outcome, counts)
		}
		var msg post
		for _, p := range f.notes.postsTo("C0BIG") {
			if strings.Contains(p.Reply.Title, id) {
				msg = p
			}
		}
		ups := f.notes.updatesOf("C0BIG", msg.TS)
		if len(ups) != 1 {
			t.Fatalf("%s: %d updates of the approval message, want 1", id, len(ups))
		}
		wantTitle := map[domain.Outcome]string{domain.Approved: "✅ Approved", domain.Rejected: "❌ Rejected"}[d.Outcome]
		if !strings.HasPrefix(ups[0].Reply.Title, wantTitle) || len(ups[0].Reply.Actions) != 0 {
			t.Errorf("%s: final message %q with %d buttons", id, ups[0].Reply.Title, len(ups[0].Reply.Actions))
		}
		if lines := ups[0].Reply.Sections[len(ups[0].Reply.Sections)-1].Lines; len(lines) != len(votes) {
			t.Errorf("%s: final message lists %d votes, want %d", id, len(lines), len(votes))
		}
		dms := 0
		for _, p := range f.notes.postsTo("U0LEE") {
			if strings.Contains(p.Reply.Title, id+" ") {
				dms++
			}
		}
		if dms != 1 {
			t.Errorf("%s: %d DMs to the requester, want 1", id, dms)
		}
		r, err := f.st.TollgateRequest(ctx, id)
		if err != nil || r.Status != d.Outcome.Status() {
			t.Errorf("%s: request status %v, %v; want %s", id, r, err, d.Outcome.Status())
		}
	}
	if outcomes[domain.Approved] == 0 || outcomes[domain.Rejected] == 0 {
		t.Logf("outcomes over %d runs: %v", raceReps, outcomes)
	}
}

func TestTollgateVoteRace(t *testing.T) {
	t.Parallel() // its own database: runs alongside the two-replica race
	f := newFixture(t)
	raceVotes(t, f, []*commands.Engine{f.e})
}

// Two replicas: two stores (connections, snapshot caches) and two engines
// on one database, clicks spread over both.
func TestTollgateVoteRaceTwoReplicas(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	second := storetest.NewNamed(t, f.st.DB().Name(), f.clock.Now)
	e2, _ := f.engine(second, f.notes)
	raceVotes(t, f, []*commands.Engine{f.e, e2})
}
