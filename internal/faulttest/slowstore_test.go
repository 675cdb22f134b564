package faulttest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/itspm/itspm/storage/storetest"
)

// TestSlowStore delays every request to the store by 5 s. Commands are
// still acknowledged within Slack's 3 s (the work starts after the
// acknowledgement); the bounded pool takes as many as it has workers and
// answers the rest "busy" in the acknowledgement itself, so nothing piles
// up; the accepted ones are answered late, or told that the catalog is
// unavailable; and once the store is fast again, so are the answers.
func TestSlowStore(t *testing.T) {
	const (
		delay   = 5 * time.Second
		workers = 8
		burst   = 24
	)
	st, px := proxiedStore(t, storetest.DatabaseName(t), nil)
	loadSample(t, st)
	fs := newSlack(t)
	r := newReplica(t, st, fs, replicaOptions{workers: workers}) // production work timeout (25 s)

	// Warm: the catalog is loaded and the connection pool open.
	if a := command(r.srv.URL, fs, "U0DANA", "owner payroll", "warm"); a.status != 200 {
		t.Fatalf("warm-up: %+v", a)
	}
	waitSlack(t, fs, 30*time.Second, "the warm-up answer", func() bool { return answer(fs, "warm") != "" })

	px.Delay(delay)
	slowFrom := time.Now()
	acks := make([]ack, burst)
	var wg sync.WaitGroup
	for i := range burst {
		wg.Add(1)
		go func() {
			defer wg.Done()
			acks[i] = command(r.srv.URL, fs, sampleUsers[i%len(sampleUsers)], "owner payroll", fmt.Sprintf("slow-%d", i))
		}()
	}
	wg.Wait()
	readyWhileSlow := get(r.srv.URL + "/readyz")

	var ackTimes []time.Duration
	var accepted []int
	busy := 0
	for i, a := range acks {
		if a.err != nil || a.status != 200 {
			t.Fatalf("slow-%d: ack %d, %v", i, a.status, a.err)
		}
		ackTimes = append(ackTimes, a.elapsed)
		if a.elapsed > slackAckLimit {
			t.Errorf("slow-%d acknowledged after %v, over Slack's 3 s", i, a.elapsed)
		}
		switch {
		case strings.Contains(a.body, "busy right now"):
			busy++
		case a.body == "":
			accepted = append(accepted, i)
		default:
			t.Errorf("slow-%d: unexpected acknowledgement %q", i, a.body)
		}
	}
	if len(accepted) > workers || busy == 0 {
		t.Errorf("%d accepted and %d busy of %d with %d workers: want at most %d accepted, the rest busy", len(accepted), busy, burst, workers, workers)
	}

	// The accepted ones are answered, late.
	waitSlack(t, fs, 60*time.Second, "answers to the accepted commands", func() bool {
		for _, i := range accepted {
			if answer(fs, fmt.Sprintf("slow-%d", i)) == "" {
				return false
			}
		}
		return true
	})
	kinds := map[string]int{}
	var late []time.Duration
	for _, i := range accepted {
		name := fmt.Sprintf("slow-%d", i)
		rs := fs.Responses(name)
		if len(rs) != 1 {
			t.Errorf("%s: %d answers, want 1", name, len(rs))
			continue
		}
		late = append(late, rs[0].Time.Sub(slowFrom))
		body := string(rs[0].Body)
		switch {
		case strings.Contains(body, "Lee Chen"):
			kinds["catalog"]++
		case strings.Contains(body, unavailableText):
			kinds["unavailable"]++
		case strings.Contains(body, "took too long"):
			kinds["too long"]++
		default:
			t.Errorf("%s: unclear answer %s", name, body)
		}
		if rs[0].Time.Sub(slowFrom) < delay {
			t.Errorf("%s answered %v after the store slowed down, faster than one round trip (%v)", name, rs[0].Time.Sub(slowFrom), delay)
		}
	}
	// Busy commands got their answer in the acknowledgement: no work, no
	// response_url post.
	for i, a := range acks {
		if strings.Contains(a.body, "busy") && len(fs.Responses(fmt.Sprintf("slow-%d", i))) > 0 {
			t.Errorf("slow-%d was answered busy and then worked on", i)
		}
	}

	// Fast again.
	px.Pass()
	back := time.Now()
	waitFor(t, 30*time.Second, "/readyz 200 after the store is fast again", func() bool { return get(r.srv.URL+"/readyz") == 200 })
	if a := command(r.srv.URL, fs, "U0DANA", "owner payroll", "after"); a.status != 200 || a.body != "" {
		t.Fatalf("after: %+v", a)
	}
	waitSlack(t, fs, 30*time.Second, "the answer once the store is fast", func() bool { return answer(fs, "after") != "" })
	if body := answer(fs, "after"); !strings.Contains(body, "Lee Chen") {
		t.Errorf("after recovery: %s", body)
	}
	recovered := time.Since(back)
	t.Logf("FAULT store slow (%v per request): %d commands in a burst, ack p50 %v p99 %v max %v; %d accepted (workers %d), %d told busy in the ack; accepted answered %v after the slowdown began (min %v, max %v); /readyz %d while slow; fast answer %v after the store recovered",
		delay, burst, percentile(ackTimes, 50).Round(time.Millisecond), percentile(ackTimes, 99).Round(time.Millisecond), percentile(ackTimes, 100).Round(time.Millisecond),
		len(accepted), workers, busy, kinds, percentile(late, 0).Round(time.Millisecond), percentile(late, 100).Round(time.Millisecond), readyWhileSlow, recovered.Round(time.Millisecond))
}
