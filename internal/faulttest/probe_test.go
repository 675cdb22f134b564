package faulttest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/itspm/itspm/storage/storetest"
)

// TestStoreDownRequestsShareOneProbe: with the store partitioned away,
// requests arriving one after another while a probe of the change log is
// failing learn of it from that probe, about one probe timeout (5 s) after
// the first, instead of each waiting for its own probe in turn (the 12th
// would wait a minute). Once the store is back, the next request reads it.
func TestStoreDownRequestsShareOneProbe(t *testing.T) {
	st, px := proxiedStore(t, storetest.DatabaseName(t), nil)
	loadSample(t, st)
	ctx := context.Background()
	if _, err := st.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	px.Blackhole()
	type result struct {
		waited time.Duration
		err    error
	}
	results := make([]result, 12)
	var wg sync.WaitGroup
	began := time.Now()
	for i := range results {
		time.Sleep(250 * time.Millisecond)
		wg.Go(func() {
			rctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			start := time.Now()
			_, err := st.Snapshot(rctx)
			results[i] = result{time.Since(start), err}
		})
	}
	wg.Wait()
	all := time.Since(began)
	var longest time.Duration
	for i, r := range results {
		if r.err == nil {
			t.Errorf("request %d read a snapshot with the store partitioned away", i)
		}
		longest = max(longest, r.waited)
	}
	if longest > 8*time.Second {
		t.Errorf("a request waited %v for the store's failure; want about one probe timeout (5 s)", longest)
	}
	px.Pass()
	var err error
	waitFor(t, 15*time.Second, "a snapshot once the store is back", func() bool {
		_, err = st.Snapshot(ctx)
		return err == nil
	})
	t.Logf("FAULT store partitioned under %d staggered requests: all failed within %v, longest wait %v (probe timeout 5 s); read again once back", len(results), all, longest)
}
