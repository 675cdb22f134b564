// Command itspm-load sends signed Slack traffic (slash commands,
// interactions, events) to a running `itspm serve` at a fixed rate and
// reports throughput, latency percentiles and errors. With -find it steps the
// rate up until p99 crosses a limit, to find the sustained rate.
//
// It only ever targets the address it is given; point it at loopback.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/itspm/itspm/bot"
)

type config struct {
	target   string
	secret   string
	rate     float64
	duration time.Duration
	mix      string
	timeout  time.Duration
}

// Result is what one run measured.
type Result struct {
	Rate       float64
	Sent       int
	OK         int
	Errors     map[string]int
	Throughput float64
	P50, P90   time.Duration
	P99, Max   time.Duration
	// Answers that reached their response_url, and how long after the
	// request was sent.
	Answered          int
	AnswerP50, AnsP99 time.Duration
}

func main() {
	var c config
	flag.StringVar(&c.target, "url", "http://127.0.0.1:8080", "base URL of itspm serve (loopback only)")
	flag.StringVar(&c.secret, "secret", os.Getenv("SLACK_SIGNING_SECRET"), "Slack signing secret of the server")
	flag.Float64Var(&c.rate, "rate", 200, "requests per second")
	flag.DurationVar(&c.duration, "duration", 20*time.Second, "how long to send")
	flag.StringVar(&c.mix, "mix", "commands=8,events=1,interactions=1", "traffic mix by weight")
	flag.DurationVar(&c.timeout, "timeout", 10*time.Second, "per-request timeout")
	find := flag.Bool("find", false, "step the rate up until p99 crosses -limit")
	limit := flag.Duration("limit", time.Second, "p99 limit for -find")
	step := flag.Float64("step", 1.5, "rate multiplier per -find step")
	maxRate := flag.Float64("max-rate", 5000, "highest rate -find tries")
	flag.Parse()
	if err := checkLoopback(c.target); err != nil {
		fmt.Fprintln(os.Stderr, "itspm-load:", err)
		os.Exit(2)
	}
	if c.secret == "" {
		fmt.Fprintln(os.Stderr, "itspm-load: -secret (or SLACK_SIGNING_SECRET) is required")
		os.Exit(2)
	}
	ctx := context.Background()
	if !*find {
		r := Run(ctx, c)
		fmt.Println(r)
		return
	}
	sustained := 0.0
	for rate := c.rate; rate <= *maxRate; rate *= *step {
		c.rate = rate
		r := Run(ctx, c)
		fmt.Println(r)
		failed := len(r.Errors) > 0 && float64(r.Sent-r.OK) > 0.01*float64(r.Sent)
		if r.P99 > *limit || failed {
			break
		}
		sustained = rate
	}
	fmt.Printf("sustained rate with p99 <= %s: %.0f req/s\n", *limit, sustained)
}

func (r Result) String() string {
	var errs []string
	for k, v := range r.Errors {
		errs = append(errs, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(errs)
	return fmt.Sprintf("rate %.0f/s: sent %d, acked %d, throughput %.0f/s, ack p50 %s p90 %s p99 %s max %s, answered %d (p50 %s p99 %s), errors [%s]",
		r.Rate, r.Sent, r.OK, r.Throughput, r.P50, r.P90, r.P99, r.Max, r.Answered, r.AnswerP50, r.AnsP99, strings.Join(errs, " "))
}

func checkLoopback(target string) error {
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	switch h := u.Hostname(); {
	case h == "localhost", strings.HasPrefix(h, "127."), h == "::1":
		return nil
	}
	return fmt.Errorf("%s is not a loopback address; itspm-load only targets this machine", target)
}

// Run sends traffic at c.rate for c.duration (open loop: a slow server does
// not slow the sender) and measures every response.
func Run(ctx context.Context, c config) Result {
	kinds := parseMix(c.mix)
	client := &http.Client{Timeout: c.timeout, Transport: &http.Transport{MaxIdleConnsPerHost: 512, MaxConnsPerHost: 0}}
	interval := time.Duration(float64(time.Second) / c.rate)
	total := int(c.rate * c.duration.Seconds())
	lat := make([]time.Duration, total)
	var mu sync.Mutex
	errs := map[string]int{}
	var ok atomic.Int64
	var wg sync.WaitGroup
	sent := make([]time.Time, total)
	answers := make([]time.Duration, 0, total)
	sink := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/r/"))
		io.Copy(io.Discard, r.Body)
		if err == nil && i >= 0 && i < total {
			mu.Lock()
			answers = append(answers, time.Since(sent[i]))
			mu.Unlock()
		}
		w.Write([]byte("ok"))
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go sink.Serve(ln)
	defer sink.Close()
	sinkURL := "http://" + ln.Addr().String() + "/r/"
	start := time.Now()
	for i := 0; i < total; i++ {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			kind := kinds[i%len(kinds)]
			path, body, ctype := request(kind, i, sinkURL+strconv.Itoa(i))
			ts := time.Now().Unix()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.target, "/")+path, bytes.NewReader(body))
			req.Header.Set("Content-Type", ctype)
			req.Header.Set(bot.HeaderTimestamp, strconv.FormatInt(ts, 10))
			req.Header.Set(bot.HeaderSignature, bot.Sign(c.secret, ts, body))
			t := time.Now()
			mu.Lock()
			sent[i] = t
			mu.Unlock()
			resp, err := client.Do(req)
			lat[i] = time.Since(t)
			if err != nil {
				mu.Lock()
				errs["transport"]++
				mu.Unlock()
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				mu.Lock()
				errs[strconv.Itoa(resp.StatusCode)]++
				mu.Unlock()
				return
			}
			ok.Add(1)
		}(i)
	}
	wg.Wait()
	elapsed := time.Since(start)
	// Give answers in flight a moment to arrive.
	deadline := time.Now().Add(c.timeout)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(answers)
		mu.Unlock()
		if n >= int(ok.Load())*countsAnswered(kinds)/len(kinds) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	sorted := append([]time.Duration(nil), lat...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	p := func(q float64) time.Duration {
		if len(sorted) == 0 {
			return 0
		}
		return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))].Round(time.Microsecond)
	}
	mu.Lock()
	ans := append([]time.Duration(nil), answers...)
	mu.Unlock()
	sort.Slice(ans, func(i, j int) bool { return ans[i] < ans[j] })
	ap := func(q float64) time.Duration {
		if len(ans) == 0 {
			return 0
		}
		return ans[min(len(ans)-1, int(q*float64(len(ans))))].Round(time.Microsecond)
	}
	return Result{Rate: c.rate, Sent: total, OK: int(ok.Load()), Errors: errs, Throughput: float64(ok.Load()) / elapsed.Seconds(),
		P50: p(.50), P90: p(.90), P99: p(.99), Max: p(1), Answered: len(ans), AnswerP50: ap(.5), AnsP99: ap(.99)}
}

// countsAnswered is how many of the mix's kinds answer via response_url
// (events answer in a thread through the Web API instead).
func countsAnswered(kinds []string) int {
	n := 0
	for _, k := range kinds {
		if k != "events" {
			n++
		}
	}
	return n
}

func parseMix(mix string) []string {
	var kinds []string
	for _, part := range strings.Split(mix, ",") {
		k, w, _ := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(w)
		if err != nil || n < 0 {
			n = 1
		}
		for i := 0; i < n; i++ {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) == 0 {
		kinds = []string{"commands"}
	}
	return kinds
}

// runID keeps event ids of separate runs apart (the server dedupes them).
var runID = time.Now().UnixNano() % 1e9

var questions = []string{"owner payroll", "service email", "cost crm", "deps identity", "dr payroll", "who owns the vpn?", "find finance", "performance email"}

// request builds one signed-to-be request as Slack sends it.
func request(kind string, i int, responseURL string) (path string, body []byte, contentType string) {
	form := "application/x-www-form-urlencoded"
	switch kind {
	case "events":
		ev := map[string]any{
			"type": "event_callback", "team_id": "T0LOAD", "api_app_id": "A0LOAD",
			"event_id": fmt.Sprintf("Ev%d%08d", runID, i), "event_time": time.Now().Unix(),
			"event": map[string]any{"type": "app_mention", "user": "U0LEE", "channel": "C0LOAD",
				"text": "<@U0BOT> " + questions[i%len(questions)], "ts": fmt.Sprintf("%d.%06d", time.Now().Unix(), i%1000000)},
		}
		b, _ := json.Marshal(ev)
		return "/slack/events", b, "application/json"
	case "interactions":
		payload := map[string]any{
			"type": "block_actions", "trigger_id": fmt.Sprintf("trig%d", i),
			"user": map[string]any{"id": "U0LEE", "username": "lee"}, "team": map[string]any{"id": "T0LOAD"},
			"channel":      map[string]any{"id": "C0LOAD"},
			"response_url": responseURL,
			"actions": []map[string]any{{"action_id": "run_command", "block_id": "b1", "type": "button",
				"value": questions[i%len(questions)], "action_ts": "1"}},
		}
		b, _ := json.Marshal(payload)
		return "/slack/interactions", []byte("payload=" + url.QueryEscape(string(b))), form
	}
	v := url.Values{
		"token": {"unused"}, "team_id": {"T0LOAD"}, "channel_id": {"C0LOAD"}, "user_id": {"U0LEE"},
		"command": {"/itspm"}, "text": {questions[i%len(questions)]},
		"response_url": {responseURL}, "trigger_id": {fmt.Sprintf("trig%d", i)},
	}
	return "/slack/commands", []byte(v.Encode()), form
}
