package faulttest

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/itspm/itspm/internal/faultproxy"
	"github.com/itspm/itspm/storage/storetest"
)

// Slack gives up on an acknowledgement after 3 s.
const slackAckLimit = 3 * time.Second

// TestStoreStopsMidTraffic stops the store under a steady stream of slash
// commands, then brings it back, without restarting the bot. Stopped: the
// store's host refuses connections (every connection reset); partitioned:
// packets go nowhere. Throughout, commands are acknowledged fast and
// /healthz answers 200; while the store is down every command is answered
// on its response_url with the "catalog unavailable" text and /readyz
// answers 503; once it is back, /readyz and the answers recover.
func TestStoreStopsMidTraffic(t *testing.T) {
	tests := []struct {
		name string
		stop func(*faultproxy.Proxy)
	}{
		{"stopped", (*faultproxy.Proxy).Reset},
		{"partitioned", (*faultproxy.Proxy).Blackhole},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, px := proxiedStore(t, storetest.DatabaseName(t), nil)
			loadSample(t, st)
			fs := newSlack(t)
			// The work timeout bounds how long a command may wait for a
			// store that does not answer (production: 25 s).
			const workTimeout = 8 * time.Second
			// A command's work ends within its timeout, plus 3 s for
			// its reply, plus the machine's slowness.
			const settle = workTimeout + 3*time.Second + 5*time.Second
			logs := newLogCounter()
			r := newReplica(t, st, fs, replicaOptions{workTimeout: workTimeout, logger: slog.New(logs)})
			health := watchHealth(r.srv.URL+"/healthz", 100*time.Millisecond)
			tr := startTraffic(r.srv.URL, fs, 50*time.Millisecond, "up")

			// Up: answers are the catalog's.
			tr.waitSent(t, "up", 10)
			tr.setPhase("settling")
			tr.waitAnswered(t, "up", settle, 30*time.Second)

			// Down.
			stopped := time.Now()
			tc.stop(px)
			tr.setPhase("down")
			var readyDown time.Duration
			waitFor(t, 15*time.Second, "/readyz 503 while the store is down", func() bool {
				return get(r.srv.URL+"/readyz") == 503
			})
			readyDown = time.Since(stopped)
			tr.waitSent(t, "down", 10)
			tr.setPhase("draining")
			tr.waitAnswered(t, "down", settle, 45*time.Second)
			if got := get(r.srv.URL + "/readyz"); got != 503 {
				t.Errorf("/readyz = %d while the store is still down, want 503", got)
			}
			downFor := time.Since(stopped)

			// Back, without restarting anything.
			px.Pass()
			back := time.Now()
			tr.setPhase("recovering")
			waitFor(t, 30*time.Second, "/readyz 200 after the store came back", func() bool {
				return get(r.srv.URL+"/readyz") == 200
			})
			readyUp := time.Since(back)
			tr.setPhase("recovered")
			tr.waitSent(t, "recovered", 10)
			tr.finish()
			tr.waitAnswered(t, "", settle, 45*time.Second)
			// Every piece of acknowledged work has ended after this.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := r.bot.Shutdown(ctx); err != nil {
				t.Errorf("bot shutdown: %v", err)
			}
			checks, unhealthy := health.finish()

			var acks []time.Duration
			counts := map[string]map[string]int{}
			total := map[string]int{}
			var downAnswers []time.Duration
			for _, s := range tr.of("") {
				if s.ack.err != nil || s.ack.status != 200 {
					t.Errorf("%s (%s): ack status %d, err %v", s.name, s.phase, s.ack.status, s.ack.err)
					continue
				}
				acks = append(acks, s.ack.elapsed)
				rs := fs.Responses(s.name)
				var kind string
				switch {
				case strings.Contains(s.ack.body, "busy"):
					kind = "busy" // the pool was full: told so in the acknowledgement
				case len(rs) == 0:
					kind = "lost"
				case len(rs) > 1:
					kind = "repeated"
					t.Errorf("%s (%s): %d answers", s.name, s.phase, len(rs))
				case strings.Contains(string(rs[0].Body), "Lee Chen"):
					kind = "catalog"
				case strings.Contains(string(rs[0].Body), unavailableText):
					kind = "unavailable"
					if s.phase == "down" {
						downAnswers = append(downAnswers, rs[0].Time.Sub(s.at))
					}
				default:
					kind = "other"
					t.Errorf("%s (%s): unexpected answer %s", s.name, s.phase, rs[0].Body)
				}
				if counts[s.phase] == nil {
					counts[s.phase] = map[string]int{}
				}
				counts[s.phase][kind]++
				total[kind]++
			}
			want := map[string]string{"up": "catalog", "down": "unavailable", "recovered": "catalog"}
			for phase, kind := range want {
				if n := counts[phase][kind]; n == 0 || n != sum(counts[phase]) {
					t.Errorf("%s phase answers %v, want all %s", phase, counts[phase], kind)
				}
			}
			// Every acknowledged command is answered: the store's failure
			// is known after one probe (5 s), well inside the work's
			// deadline, and a reply near or past that deadline gets time
			// of its own (bot.afterwords).
			if total["lost"] > 0 {
				t.Errorf("%d commands never answered (%d reply failures logged)", total["lost"], logs.n("reply to slack failed"))
			}
			// The p99 is asserted, not the maximum: on a loaded machine a
			// stray acknowledgement may be slow for reasons of its own.
			if p99 := percentile(acks, 99); p99 > slackAckLimit {
				t.Errorf("ack p99 %v, over Slack's 3 s", p99)
			}
			if unhealthy > 0 {
				t.Errorf("/healthz failed %d of %d checks", unhealthy, checks)
			}
			t.Logf("FAULT store %s mid-traffic: %d commands at 20/s, ack p50 %v p99 %v max %v; outcomes %v by phase %v; answers to down-phase commands after p50 %v max %v; /readyz 503 after %v, 200 again %v after the store returned (down %v); /healthz 200 in %d/%d checks",
				tc.name, len(acks), percentile(acks, 50).Round(time.Millisecond), percentile(acks, 99).Round(time.Millisecond), percentile(acks, 100).Round(time.Millisecond),
				total, counts, percentile(downAnswers, 50).Round(time.Millisecond), percentile(downAnswers, 100).Round(time.Millisecond), readyDown.Round(time.Millisecond), readyUp.Round(time.Millisecond), downFor.Round(time.Millisecond), checks-unhealthy, checks)
		})
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
