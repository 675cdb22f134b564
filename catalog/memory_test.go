package catalog

import (
	"bytes"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/itspm/itspm/internal/gencatalog"
)

// heapSampler records the largest live heap (objects, including garbage
// not yet collected) seen while it runs: an approximation of the peak that
// the process's RSS follows.
type heapSampler struct {
	stop chan struct{}
	done sync.WaitGroup
	peak uint64
}

func sampleHeap() *heapSampler {
	s := &heapSampler{stop: make(chan struct{})}
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() {
		metrics.Read(sample)
		s.peak = max(s.peak, sample[0].Value.Uint64())
	}
	read()
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				read()
				return
			case <-t.C:
				read()
			}
		}
	}()
	return s
}

func (s *heapSampler) Stop() uint64 {
	close(s.stop)
	s.done.Wait()
	return s.peak
}

// cpuTime is the CPU time the process has used (all threads, including the
// garbage collector's): on a shared machine, a steadier figure than the
// wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

const mb = 1 << 20

// usage is what a piece of work cost.
type usage struct {
	wall, cpu time.Duration
	alloc     uint64 // bytes allocated
	objects   uint64
	peak      int64 // peak live heap (garbage included) above the heap before
	gcs       uint32
}

func (u usage) String() string {
	return fmt.Sprintf("%v (CPU %v), allocated %.0f MB in %d objects, peak heap %.1f MB above the input, %d GCs",
		u.wall.Round(time.Millisecond), u.cpu.Round(time.Millisecond), float64(u.alloc)/mb, u.objects, float64(u.peak)/mb, u.gcs)
}

// measure runs f and reports its cost; base is the live heap before.
func measure(base uint64, f func()) usage {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	sampler := sampleHeap()
	start, cpu := time.Now(), cpuTime()
	f()
	u := usage{wall: time.Since(start), cpu: cpuTime() - cpu}
	u.peak = int64(sampler.Stop()) - int64(base)
	runtime.ReadMemStats(&after)
	u.alloc, u.objects, u.gcs = after.TotalAlloc-before.TotalAlloc, after.Mallocs-before.Mallocs, after.NumGC-before.NumGC
	return u
}

// TestParseMemory parses and checks a generated catalog of 10,000 services
// and reports what it costs: time, bytes allocated, the peak live heap (on
// top of the YAML text, which the test holds) and what the parsed set
// keeps; then the same with a problem in every service, which Check has to
// locate by reading every document again. The bounds are generous
// multiples of the figures measured (see the log) so that noise on a shared
// machine does not fail the test, while a return to keeping every
// document's node tree (a few hundred MB) does.
func TestParseMemory(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("parses 10,000 services and measures memory: not in -short or -race runs")
	}
	const services = 10_000
	var buf bytes.Buffer
	if err := Export(&buf, gencatalog.Generate(services, 42, "2026-11-27")); err != nil {
		t.Fatal(err)
	}
	files := []File{{Path: "gen.yaml", Data: buf.Bytes()}}
	base := liveHeap()

	var set *Set
	var errs Errors
	var parse usage
	all := measure(base, func() {
		parse = measure(base, func() { set, errs = Parse(files) })
		errs = append(errs, set.Check(nil)...)
	})
	if len(errs) > 0 {
		t.Fatalf("generated catalog has problems: %v", errs[:min(len(errs), 5)])
	}
	if got := len(set.Catalog.Services); got != services {
		t.Fatalf("parsed %d services, want %d", got, services)
	}
	retained := liveHeap() - base
	runtime.KeepAlive(set)
	t.Logf("%d services, %.1f MB of YAML", services, float64(len(buf.Bytes()))/mb)
	t.Logf("parse: %v", parse)
	t.Logf("parse and check: %v; the set keeps %.1f MB", all, float64(retained)/mb)
	if retained > 50*mb {
		t.Errorf("the parsed set keeps %.0f MB, want < 50 MB", float64(retained)/mb)
	}
	if all.peak > 150*mb {
		t.Errorf("peak live heap %.0f MB above the input, want < 150 MB", float64(all.peak)/mb)
	}

	set = nil
	broken := []File{{Path: "gen.yaml", Data: bytes.ReplaceAll(buf.Bytes(), []byte("owner: person-"), []byte("owner: nobody-"))}}
	base = liveHeap()
	bad := measure(base, func() {
		set, errs = Parse(broken)
		errs = append(errs, set.Check(nil)...)
	})
	if len(errs) < services {
		t.Fatalf("%d problems, want one per service at least", len(errs))
	}
	t.Logf("parse and check, %d problems: %v", len(errs), bad)
	if bad.peak > 150*mb {
		t.Errorf("peak live heap %.0f MB above the input with a problem in every service, want < 150 MB", float64(bad.peak)/mb)
	}
	runtime.KeepAlive(files)
	runtime.KeepAlive(broken)
}
