package jobs

import (
	"context"
	"sync"
	"time"

	"github.com/itspm/itspm/domain"
)

// countingStore counts calls (round trips, except where noted) and time
// per Store method.
type countingStore struct {
	Store
	mu    sync.Mutex
	calls map[string]int
	took  map[string]time.Duration
}

func newCounting(st Store) *countingStore {
	return &countingStore{Store: st, calls: map[string]int{}, took: map[string]time.Duration{}}
}

func (c *countingStore) count(name string, start time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[name]++
	c.took[name] += time.Since(start)
}

func (c *countingStore) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls, c.took = map[string]int{}, map[string]time.Duration{}
}

func (c *countingStore) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.calls {
		n += v
	}
	return n
}

func (c *countingStore) Snapshot(ctx context.Context) (*domain.Snapshot, error) {
	defer c.count("Snapshot", time.Now())
	return c.Store.Snapshot(ctx)
}

func (c *countingStore) OpenTollgateRequests(ctx context.Context) ([]domain.TollgateRequest, error) {
	defer c.count("OpenTollgateRequests", time.Now())
	return c.Store.OpenTollgateRequests(ctx)
}

func (c *countingStore) TollgateVotes(ctx context.Context, ids []string) (map[string][]domain.Vote, error) {
	defer c.count("TollgateVotes", time.Now())
	return c.Store.TollgateVotes(ctx, ids)
}

func (c *countingStore) ClaimJobRun(ctx context.Context, r domain.JobRun) (bool, error) {
	defer c.count("ClaimJobRun", time.Now())
	return c.Store.ClaimJobRun(ctx, r)
}

func (c *countingStore) FinishJobRun(ctx context.Context, r domain.JobRun) error {
	defer c.count("FinishJobRun", time.Now())
	return c.Store.FinishJobRun(ctx, r)
}

// EnqueueDeliveries is two round trips: the batch and one insert of all
// records (the driver would split only past the server's message size).
func (c *countingStore) EnqueueDeliveries(ctx context.Context, b domain.OutboxBatch, ds []domain.Delivery) (int, error) {
	defer c.count("EnqueueDeliveries", time.Now())
	return c.Store.EnqueueDeliveries(ctx, b, ds)
}

func (c *countingStore) OutboxBatches(ctx context.Context) ([]domain.OutboxBatch, error) {
	defer c.count("OutboxBatches", time.Now())
	return c.Store.OutboxBatches(ctx)
}

func (c *countingStore) Delivery(ctx context.Context, id string) (domain.Delivery, bool, error) {
	defer c.count("Delivery", time.Now())
	return c.Store.Delivery(ctx, id)
}

func (c *countingStore) ClaimDelivery(ctx context.Context, l domain.DeliveryLease) (bool, error) {
	defer c.count("ClaimDelivery", time.Now())
	return c.Store.ClaimDelivery(ctx, l)
}

func (c *countingStore) UpdateDelivery(ctx context.Context, d domain.Delivery) error {
	defer c.count("UpdateDelivery", time.Now())
	return c.Store.UpdateDelivery(ctx, d)
}
