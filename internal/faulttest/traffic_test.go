package faulttest

import (
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/itspm/itspm/internal/fakeslack"
)

// traffic sends `/itspm owner payroll` at a steady rate, each request on
// its own goroutine (open loop: a slow bot cannot slow the schedule), and
// tags each with the phase of the test it was sent in.
type traffic struct {
	base  string
	fs    *fakeslack.Server
	phase atomic.Value // string

	mu   sync.Mutex
	sent []*sent

	wg   sync.WaitGroup
	stop chan struct{}
	done chan struct{}
}

type sent struct {
	name  string
	phase string
	at    time.Time
	ack   ack
	acked bool
}

func startTraffic(base string, fs *fakeslack.Server, every time.Duration, phase string) *traffic {
	tr := &traffic{base: base, fs: fs, stop: make(chan struct{}), done: make(chan struct{})}
	tr.phase.Store(phase)
	go func() {
		defer close(tr.done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for i := 0; ; i++ {
			s := &sent{name: fmt.Sprintf("load-%d", i), phase: tr.phase.Load().(string), at: time.Now()}
			tr.mu.Lock()
			tr.sent = append(tr.sent, s)
			tr.mu.Unlock()
			tr.wg.Add(1)
			go func() {
				defer tr.wg.Done()
				a := command(base, fs, "U0DANA", "owner payroll", s.name)
				tr.mu.Lock()
				s.ack, s.acked = a, true
				tr.mu.Unlock()
			}()
			select {
			case <-tr.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return tr
}

func (tr *traffic) setPhase(p string) { tr.phase.Store(p) }

// finish stops sending and waits for every acknowledgement.
func (tr *traffic) finish() {
	close(tr.stop)
	<-tr.done
	tr.wg.Wait()
}

// of returns the requests sent in phase (all phases when "").
func (tr *traffic) of(phase string) []sent {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var out []sent
	for _, s := range tr.sent {
		if phase == "" || s.phase == phase {
			out = append(out, *s)
		}
	}
	return out
}

// waitSent waits until n requests of phase were acknowledged.
func (tr *traffic) waitSent(t *testing.T, phase string, n int) {
	t.Helper()
	waitFor(t, 30*time.Second, fmt.Sprintf("%d %s requests acknowledged", n, phase), func() bool {
		acked := 0
		for _, s := range tr.of(phase) {
			if s.acked {
				acked++
			}
		}
		return acked >= n
	})
}

// waitAnswered waits until every acknowledged request of phase has its
// answer on its response_url (a "busy" acknowledgement is its own answer),
// or was sent longer than settle ago: by then its work has ended, answered
// or not (the work timeout bounds it).
func (tr *traffic) waitAnswered(t *testing.T, phase string, settle, timeout time.Duration) {
	t.Helper()
	pending := func() []sent {
		var out []sent
		for _, s := range tr.of(phase) {
			if !s.acked || (s.ack.status == 200 && s.ack.body == "" && len(tr.fs.Responses(s.name)) == 0 && time.Since(s.at) < settle) {
				out = append(out, s)
			}
		}
		return out
	}
	deadline := time.Now().Add(timeout)
	for len(pending()) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if len(pending()) > 0 {
		var lines []string
		for _, s := range pending() {
			lines = append(lines, fmt.Sprintf("%s (%s, sent %v ago, acked %v)", s.name, s.phase, time.Since(s.at).Round(time.Millisecond), s.acked))
		}
		if os.Getenv("ITSPM_FAULT_STACKS") != "" {
			_ = pprof.Lookup("goroutine").WriteTo(os.Stderr, 2)
		}
		t.Fatalf("waiting for answers to the %q requests: none after %v; unanswered:\n%s", phase, timeout, strings.Join(lines, "\n"))
	}
}

// healthWatch polls a URL until stopped, counting the answers that were not
// 200.
type healthWatch struct {
	checks, bad atomic.Int64
	stop        chan struct{}
	done        chan struct{}
}

func watchHealth(u string, every time.Duration) *healthWatch {
	h := &healthWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		for {
			if get(u) != 200 {
				h.bad.Add(1)
			}
			h.checks.Add(1)
			select {
			case <-h.stop:
				return
			case <-time.After(every):
			}
		}
	}()
	return h
}

func (h *healthWatch) finish() (checks, bad int64) {
	close(h.stop)
	<-h.done
	return h.checks.Load(), h.bad.Load()
}
