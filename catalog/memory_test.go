package catalog

import (
	"bytes"
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

// TestParseMemory parses and checks a generated catalog of 10,000 services
// and reports what it costs: time, bytes allocated, the peak live heap (on
// top of the YAML text and the generated catalog, which the test holds) and
// what the parsed set keeps. The bounds are generous multiples of the
// figures measured (see the log) so that noise on a shared machine does not
// fail the test, while a return to keeping every document's node tree (a
// few hundred MB) does.
func TestParseMemory(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("parses 10,000 services and measures memory: not in -short or -race runs")
	}
	const services = 10_000
	cat := gencatalog.Generate(services, 42, "2026-11-27")
	var buf bytes.Buffer
	if err := Export(&buf, cat); err != nil {
		t.Fatal(err)
	}
	files := []File{{Path: "gen.yaml", Data: buf.Bytes()}}
	cat = nil
	base := liveHeap()

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	sampler := sampleHeap()
	start, cpu := time.Now(), cpuTime()
	set, errs := Parse(files)
	parsed := time.Since(start)
	errs = append(errs, set.Check(nil)...)
	elapsed, cpu := time.Since(start), cpuTime()-cpu
	peak := sampler.Stop()
	runtime.ReadMemStats(&after)
	if len(errs) > 0 {
		t.Fatalf("generated catalog has problems: %v", errs[:min(len(errs), 5)])
	}
	if got := len(set.Catalog.Services); got != services {
		t.Fatalf("parsed %d services, want %d", got, services)
	}
	retained := liveHeap() - base
	runtime.KeepAlive(set)
	runtime.KeepAlive(files)

	alloc := after.TotalAlloc - before.TotalAlloc
	peakOver := int64(peak) - int64(base)
	t.Logf("%d services, %.1f MB of YAML: parse %v, parse+check %v (CPU %v)", services, float64(len(buf.Bytes()))/mb,
		parsed.Round(time.Millisecond), elapsed.Round(time.Millisecond), cpu.Round(time.Millisecond))
	t.Logf("allocated %.0f MB in %d objects; peak live heap %.1f MB above the YAML text; the set keeps %.1f MB; %d GCs",
		float64(alloc)/mb, after.Mallocs-before.Mallocs, float64(peakOver)/mb, float64(retained)/mb, after.NumGC-before.NumGC)

	if retained > 50*mb {
		t.Errorf("the parsed set keeps %.0f MB, want < 50 MB", float64(retained)/mb)
	}
	if peakOver > 150*mb {
		t.Errorf("peak live heap %.0f MB above the input, want < 150 MB", float64(peakOver)/mb)
	}
}
