package bot_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/itspm/itspm/bot"
)

// ackRate is the sustained load of the ack benchmark, per target.
const ackRate = 200

// TestBenchAckLatency measures how fast signed slash commands are
// acknowledged under a sustained load, beside a bare net/http handler
// measured in the same run. The bot runs here for real: the embedded store
// with the sample catalog, the engine, response_url answers to the fake
// Slack, all competing for the same CPUs. The load comes from a separate
// process (this test binary again, in TestBenchAckClient), as Slack's
// requests come from outside: both targets get ackRate requests per second
// on an open-loop schedule, half a period apart, each request in its own
// goroutine so slow answers cannot slow the schedule.
//
// Run with ITSPM_BENCH=1 (ITSPM_BENCH_SECONDS sets the duration, default
// 10); `make bench` does. Prints BENCH lines for bench/main.go.
func TestBenchAckLatency(t *testing.T) {
	if os.Getenv("ITSPM_BENCH") == "" {
		t.Skip("set ITSPM_BENCH=1 to run the ack latency benchmark")
	}
	seconds := 10
	if s, err := strconv.Atoi(os.Getenv("ITSPM_BENCH_SECONDS")); err == nil && s > 0 {
		seconds = s
	}
	e := newEnv(t)
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	}))
	defer bare.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchAckClient$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(),
		"ITSPM_ACKBENCH_CLIENT=1",
		"ITSPM_ACKBENCH_BOT="+e.srv.URL,
		"ITSPM_ACKBENCH_BARE="+bare.URL,
		"ITSPM_ACKBENCH_SLACK="+e.fake.URL(),
		"ITSPM_ACKBENCH_SECONDS="+strconv.Itoa(seconds),
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("load client: %v\n%s", err, out)
	}
	e.shutdown() // every acknowledged command answered

	var botLat, bareLat []time.Duration
	failed, busy := 0, 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 5 || f[0] != "ACKSAMPLE" {
			continue
		}
		ns, _ := strconv.ParseInt(f[2], 10, 64)
		switch {
		case f[3] != "200":
			failed++
		case f[1] == "bot":
			botLat = append(botLat, time.Duration(ns))
		default:
			bareLat = append(bareLat, time.Duration(ns))
		}
		if f[4] == "busy" {
			busy++
		}
	}
	if len(botLat) == 0 || len(bareLat) == 0 {
		t.Fatalf("no successful requests (failed %d):\n%s", failed, out)
	}
	answered := 0
	for i := range seconds * ackRate {
		if len(e.fake.Responses(fmt.Sprintf("bench-%d", i))) > 0 {
			answered++
		}
	}
	bp50, bp99 := percentile(botLat, 50), percentile(botLat, 99)
	np50, np99 := percentile(bareLat, 50), percentile(bareLat, 99)
	ratio := float64(bp50) / float64(np50)
	t.Logf("%d s at %d req/s per target: bot p50 %v p99 %v max %v; bare p50 %v p99 %v; p50 ratio %.2f; %d failed, %d busy; %d of %d commands answered",
		seconds, ackRate, bp50, bp99, percentile(botLat, 100), np50, np99, ratio, failed, busy, answered, len(botLat))
	name := fmt.Sprintf("ack latency, signed slash command, %d req/s for %d s", ackRate, seconds)
	fmt.Printf("BENCH %s: p99|%s|%s (bare net/http p99)|%.2f|< 50 ms|%s\n", name, ms(bp99), ms(np99), float64(bp99)/float64(np99), verdictOf(bp99 < 50*time.Millisecond && failed == 0))
	fmt.Printf("BENCH %s: p50|%s|%s (bare net/http p50)|%.2f|ratio ≤ 1.5|%s\n", name, ms(bp50), ms(np50), ratio, verdictOf(ratio <= 1.5))
	fmt.Printf("BENCH %s: answered|%d of %d|-|-|all answered, none busy|%s\n", name, answered, len(botLat), verdictOf(answered == len(botLat) && busy == 0))
}

// TestBenchAckClient is the load generator of TestBenchAckLatency, run in
// its own process. It prints one ACKSAMPLE line per measured request:
// target, latency in ns, status, and whether the bot said it was busy.
func TestBenchAckClient(t *testing.T) {
	if os.Getenv("ITSPM_ACKBENCH_CLIENT") == "" {
		t.Skip("the load generator of TestBenchAckLatency")
	}
	seconds, _ := strconv.Atoi(os.Getenv("ITSPM_ACKBENCH_SECONDS"))
	botURL, bareURL, slackURL := os.Getenv("ITSPM_ACKBENCH_BOT"), os.Getenv("ITSPM_ACKBENCH_BARE"), os.Getenv("ITSPM_ACKBENCH_SLACK")
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute},
	}
	type request struct {
		url, name string
		body      []byte
		sig       string
	}
	// Requests are built and signed before they are due: client work is
	// not in the measured time.
	prepare := func(base, name string) request {
		body := []byte(slashForm("U0SAM", "owner payroll", slackURL+"/response/"+name).Encode())
		return request{base + "/slack/commands", name, body, bot.Sign(secret, now.Unix(), body)}
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	var mu sync.Mutex
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	load := func(d time.Duration, tag string, record bool) {
		n := int(d.Seconds() * ackRate)
		period := time.Second / ackRate
		var wg sync.WaitGroup
		start := time.Now().Add(50 * time.Millisecond)
		for i := range n {
			for _, target := range []string{"bot", "bare"} {
				base, at := botURL, start.Add(time.Duration(i)*period)
				if target == "bare" {
					base, at = bareURL, at.Add(period/2)
				}
				r := prepare(base, fmt.Sprintf("%s-%d", tag, i))
				time.Sleep(time.Until(at)) // the load schedule
				wg.Go(func() {
					req, _ := http.NewRequest(http.MethodPost, r.url, bytes.NewReader(r.body))
					req.Header.Set("Content-Type", formType)
					req.Header.Set(bot.HeaderTimestamp, ts)
					req.Header.Set(bot.HeaderSignature, r.sig)
					begin := time.Now()
					resp, err := client.Do(req)
					status, busy := 0, "-"
					var lat time.Duration
					if err == nil {
						b, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						lat, status = time.Since(begin), resp.StatusCode
						if bytes.Contains(b, []byte("busy")) {
							busy = "busy"
						}
					}
					if record {
						mu.Lock()
						fmt.Fprintf(w, "ACKSAMPLE %s %d %d %s\n", target, lat.Nanoseconds(), status, busy)
						mu.Unlock()
					}
				})
			}
		}
		wg.Wait()
	}
	load(time.Second, "warm", false) // connections, caches, heap sizes
	load(time.Duration(seconds)*time.Second, "bench", true)
}

func percentile(ds []time.Duration, p int) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s)*p + 99) / 100
	i = max(1, min(i, len(s)))
	return s[i-1]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func verdictOf(ok bool) string {
	if ok {
		return "ok"
	}
	return "MISSED"
}
