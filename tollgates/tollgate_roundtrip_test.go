package tollgates_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/tollgates"
)

// countingStore counts the store calls of the tollgate workflow; each is
// one round trip except UpdateService (a fixed handful).
type countingStore struct {
	tollgates.Store
	n atomic.Int64
}

func (c *countingStore) count() { c.n.Add(1) }

func (c *countingStore) Snapshot(ctx context.Context) (*domain.Snapshot, error) {
	c.count()
	return c.Store.Snapshot(ctx)
}
func (c *countingStore) History(ctx context.Context, s string, l int) ([]domain.AuditEntry, error) {
	c.count()
	return c.Store.History(ctx, s, l)
}
func (c *countingStore) UpdateService(ctx context.Context, n string, e domain.AuditEntry, f func(*domain.Service) error) (*domain.Service, error) {
	c.count()
	return c.Store.UpdateService(ctx, n, e, f)
}
func (c *countingStore) AppendAudit(ctx context.Context, e ...domain.AuditEntry) error {
	c.count()
	return c.Store.AppendAudit(ctx, e...)
}
func (c *countingStore) AppendAuditOnce(ctx context.Context, e ...domain.AuditEntry) error {
	c.count()
	return c.Store.AppendAuditOnce(ctx, e...)
}
func (c *countingStore) OpenTollgateRequest(ctx context.Context, r *domain.TollgateRequest) error {
	c.count()
	return c.Store.OpenTollgateRequest(ctx, r)
}
func (c *countingStore) TollgateRequest(ctx context.Context, id string) (*domain.TollgateRequest, error) {
	c.count()
	return c.Store.TollgateRequest(ctx, id)
}
func (c *countingStore) SetTollgateMessage(ctx context.Context, id, ch, ts string) error {
	c.count()
	return c.Store.SetTollgateMessage(ctx, id, ch, ts)
}
func (c *countingStore) OpenTollgateRequests(ctx context.Context) ([]domain.TollgateRequest, error) {
	c.count()
	return c.Store.OpenTollgateRequests(ctx)
}
func (c *countingStore) UnsettledTollgateRequests(ctx context.Context) ([]domain.TollgateRequest, error) {
	c.count()
	return c.Store.UnsettledTollgateRequests(ctx)
}
func (c *countingStore) CloseTollgateRequest(ctx context.Context, r *domain.TollgateRequest, s string, at time.Time) error {
	c.count()
	return c.Store.CloseTollgateRequest(ctx, r, s, at)
}
func (c *countingStore) TollgateVotes(ctx context.Context, ids []string) (map[string][]domain.Vote, error) {
	c.count()
	return c.Store.TollgateVotes(ctx, ids)
}
func (c *countingStore) InsertTollgateVote(ctx context.Context, v domain.Vote) (bool, error) {
	c.count()
	return c.Store.InsertTollgateVote(ctx, v)
}
func (c *countingStore) DeleteTollgateVote(ctx context.Context, id string) error {
	c.count()
	return c.Store.DeleteTollgateVote(ctx, id)
}
func (c *countingStore) DecideTollgate(ctx context.Context, d domain.TollgateDecision) (bool, *domain.TollgateDecision, error) {
	c.count()
	return c.Store.DecideTollgate(ctx, d)
}
func (c *countingStore) TollgateDecision(ctx context.Context, id string) (*domain.TollgateDecision, error) {
	c.count()
	return c.Store.TollgateDecision(ctx, id)
}
func (c *countingStore) TollgateDecisions(ctx context.Context, ids []string) (map[string]domain.TollgateDecision, error) {
	c.count()
	return c.Store.TollgateDecisions(ctx, ids)
}
func (c *countingStore) ClaimTollgateStep(ctx context.Context, r, n string) (bool, error) {
	c.count()
	return c.Store.ClaimTollgateStep(ctx, r, n)
}
func (c *countingStore) TollgateSteps(ctx context.Context, r string) (map[string]bool, error) {
	c.count()
	return c.Store.TollgateSteps(ctx, r)
}

// The store calls of a vote do not grow with the votes already cast or the
// number of open requests.
func TestTollgateVoteRoundTripsAreConstant(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	cs := &countingStore{Store: f.st}
	flow := tollgates.New(f.e, cs, f.notes, tollgates.Options{})
	ids := make([]string, 12)
	for i := range ids {
		ids[i] = f.open(as("lee"), fmt.Sprintf("race-%02d", i+1), "operate")
	}
	vote := func(who, id string) int64 {
		t.Helper()
		before := cs.n.Load()
		r, err := flow.Vote(ctx, as(who), id, true, "")
		if err != nil || r.Error {
			t.Fatalf("vote by %s on %s: %v %s", who, id, err, r.Text)
		}
		return cs.n.Load() - before
	}
	// A first, non-deciding vote on a request, with 1 or 11 other open ones.
	first := vote(member(1), ids[0])
	// Deciding votes.
	deciding := vote(member(2), ids[0])
	for i := 1; i < len(ids); i++ {
		if got := vote(member(1), ids[i]); got != first {
			t.Errorf("first vote on %s: %d store calls, on %s: %d", ids[i], got, ids[0], first)
		}
		if got := vote(member(2), ids[i]); got != deciding {
			t.Errorf("deciding vote on %s: %d store calls, on %s: %d", ids[i], got, ids[0], deciding)
		}
	}
	if first > 7 || deciding > 17 {
		t.Errorf("store calls: %d for a vote, %d for a deciding vote; want at most 7 and 17", first, deciding)
	}
	t.Logf("store calls: %d per vote, %d per deciding vote (effects included)", first, deciding)
}
