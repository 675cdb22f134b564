package main

import (
	"context"
	"sync"
	"time"
)

// Housekeeping that serve runs beside the scheduler. Each step is safe on
// any number of replicas at once: Reconcile claims every effect it applies
// by unique insert, and the prunes are idempotent deletes.
const (
	reconcileEvery = time.Minute
	pruneEvery     = time.Hour
	// keepClaims is how long event and change-log claims are kept: far
	// longer than Slack retries a delivery or a snapshot lives.
	keepClaims = 24 * time.Hour
)

// startMaintenance finishes tollgate decisions whose process died before
// applying their effects, and prunes old event claims and change-log
// entries (the embedded store has no TTL indexes). stop waits for it.
func (a *app) startMaintenance(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		reconcile := time.NewTicker(reconcileEvery)
		prune := time.NewTicker(pruneEvery)
		defer reconcile.Stop()
		defer prune.Stop()
		a.prune(ctx)
		for {
			select {
			case <-ctx.Done():
				return
			case <-reconcile.C:
				a.reconcile(ctx)
			case <-prune.C:
				a.prune(ctx)
			}
		}
	}()
	return func() { cancel(); wg.Wait() }
}

func (a *app) reconcile(ctx context.Context) {
	t := a.tollgates()
	if t == nil {
		return
	}
	if n, err := t.Reconcile(ctx); err != nil {
		a.logger.Warn("tollgate reconcile failed", "err", err)
	} else if n > 0 {
		a.logger.Info("tollgate decisions completed after a crash", "settled", n)
	}
}

func (a *app) prune(ctx context.Context) {
	cutoff := time.Now().Add(-keepClaims)
	if n, err := a.store.PruneEvents(ctx, cutoff); err != nil {
		a.logger.Warn("pruning event claims failed", "err", err)
	} else if n > 0 {
		a.logger.Debug("pruned event claims", "count", n)
	}
	if n, err := a.store.PruneChanges(ctx, cutoff); err != nil {
		a.logger.Warn("pruning the change log failed", "err", err)
	} else if n > 0 {
		a.logger.Debug("pruned change-log entries", "count", n)
	}
}
