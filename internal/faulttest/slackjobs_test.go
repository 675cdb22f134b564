package faulttest

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/itspm/itspm/bot"
	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/internal/fakeslack"
	"github.com/itspm/itspm/jobs"
	"github.com/itspm/itspm/storage/storetest"
)

// slackTimeout is the bot's Slack client timeout in these tests
// (production: 30 s).
const slackTimeout = 2 * time.Second

// TestSlackFaultsJobDeliveries runs the four jobs on the sample catalog
// (Monday 2026-11-30, 09:00 UTC) and delivers their messages through the
// outbox and the bot's Slack sender while Slack misbehaves. Failures after
// which Slack did nothing (429, 5xx, Slack errors, a dropped connection, a
// timeout on a request that never reached Slack) are retried until every
// message is posted exactly once. Failures after which the message exists
// although the sender could not tell (the answer lost, a timeout after
// Slack posted) are retried too, by design: each costs exactly one
// duplicate (docs/jobs.md, "the remaining duplicate window"), and nothing
// is lost.
func TestSlackFaultsJobDeliveries(t *testing.T) {
	post := "chat.postMessage"
	tests := []struct {
		name   string
		faults func(fs *fakeslack.Server)
		// unsent is the post (from 1) held until the client times out,
		// never reaching Slack (0: none).
		unsent  int
		wantDup int
	}{
		{
			name: "429, 5xx, errors, drops, unsent timeout",
			faults: func(fs *fakeslack.Server) {
				fs.FailNext(post, 3, fakeslack.RateLimited{RetryAfter: 2 * time.Second})
				fs.FailNext(post, 1, fakeslack.ServerError{Status: 500})
				fs.FailNext(post, 1, fakeslack.ServerError{Status: 503})
				fs.FailNext(post, 1, fakeslack.SlackError{Code: "internal_error"})
				fs.FailNext(post, 1, fakeslack.DropConnection{})
				fs.FailNext(post, 2, fakeslack.RateLimited{RetryAfter: 30 * time.Second})
				fs.FailNext("files.getUploadURLExternal", 1, fakeslack.ServerError{Status: 502})
				fs.FailNext("files.completeUploadExternal", 1, fakeslack.RateLimited{RetryAfter: time.Second})
			},
			unsent: 11,
		},
		{
			name: "posted but the answer lost",
			faults: func(fs *fakeslack.Server) {
				fs.FailNext(post, 1, fakeslack.PostThenDrop{})
				fs.FailNext(post, 1, fakeslack.Latency{D: slackTimeout + time.Second})
			},
			wantDup: 2,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			clk := newClock(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
			st := storetest.NewNamed(t, storetest.DatabaseName(t), clk.Now)
			loadSample(t, st)
			fs := newSlack(t)
			hold := &holdTransport{base: http.DefaultTransport, hold: nthCall(post, tc.unsent)}
			bs := bot.NewSender(slackClient(fs.APIURL(), &http.Client{Timeout: slackTimeout, Transport: hold}),
				bot.SenderOptions{Logger: quiet(), Pace: -1, Attempts: 2, Sleep: clk.sleep, Now: clk.Now})
			n := &jobsNotifier{s: bs}

			sched, err := jobs.New(jobs.Options{Store: st, Now: clk.Now, Logger: quiet()})
			if err != nil {
				t.Fatal(err)
			}
			var occs []string
			enqueued := 0
			for _, name := range jobs.Names() {
				res, err := sched.RunNow(ctx, name, clk.Now())
				if err != nil || res.Err != nil {
					t.Fatalf("%s: %v %v", name, err, res.Err)
				}
				occs = append(occs, res.Occurrence)
				enqueued += res.Enqueued
			}
			if enqueued < 12 {
				t.Fatalf("only %d messages enqueued; the faults need more", enqueued)
			}
			tc.faults(fs)
			// Charts are rendered elsewhere: what is under test is their
			// upload (the renderer is slow under the race detector).
			sender := jobs.NewSender(jobs.SenderOptions{Store: st, Notifier: n, Now: clk.Now, After: clk.after, Logger: quiet(), Render: fakeChart})
			for _, occ := range occs {
				dctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
				failed, err := sender.Drain(dctx, occ)
				cancel()
				if err != nil || failed != 0 {
					t.Fatalf("drain %s: %d failed, %v", occ, failed, err)
				}
			}

			// Every record delivered; every message in Slack as many
			// times as records landed there, plus the duplicates.
			ds, err := st.Deliveries(ctx, "", "")
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]int{}
			charts, retried := 0, 0
			for _, d := range ds {
				if d.Status != domain.DeliveryDelivered {
					t.Errorf("%s: %s after %d attempts (%s)", d.ID, d.Status, d.Attempts, d.Error)
				}
				want[d.Channel]++
				charts += d.Uploaded
				if d.Attempts > 1 {
					retried++
				}
			}
			if len(ds) != enqueued {
				t.Errorf("%d outbox records, %d enqueued", len(ds), enqueued)
			}
			total := func() int {
				n := 0
				for ch := range want {
					n += len(fs.Messages(ch))
				}
				return n
			}
			// A post that outlived its client lands a little later.
			waitSlack(t, fs, 30*time.Second, "the late posts", func() bool { return total() >= len(ds)+tc.wantDup })
			dups := 0
			for ch, n := range want {
				got := len(fs.Messages(ch))
				if got < n {
					t.Errorf("%s: %d messages, want %d: lost", ch, got, n)
				}
				dups += max(got-n, 0)
			}
			if dups != tc.wantDup {
				t.Errorf("%d duplicate posts, want %d", dups, tc.wantDup)
			}
			completed := 0
			for _, up := range fs.Uploads() {
				if up.Completed {
					completed++
				}
			}
			if completed != charts {
				t.Errorf("%d charts shared in Slack, %d recorded as uploaded", completed, charts)
			}
			faulted := 0
			for _, c := range fs.Calls("") {
				if c.Fault != nil {
					faulted++
				}
			}
			t.Logf("FAULT slack %s, job deliveries: %d messages (+%d charts) to %d channels, %d Slack calls faulted, %d records needed retries; all delivered, %d lost, %d duplicates; %d upload(s) each once",
				tc.name, len(ds), charts, len(want), faulted+hold.held(), retried, 0, dups, completed)
		})
	}
}

// holdTransport holds the Web API requests that hold matches until the
// client gives up, without sending them: a timeout after which Slack has
// done nothing. After kill, nothing leaves: held requests fail and new
// ones fail at once, as for a process that died.
type holdTransport struct {
	base http.RoundTripper
	hold func(r *http.Request) bool // nil: hold nothing

	mu     sync.Mutex
	holds  int
	dead   chan struct{}
	killed bool
}

var errKilled = errors.New("replica killed")

func (h *holdTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	if h.dead == nil {
		h.dead = make(chan struct{})
	}
	dead, killed, hold := h.dead, h.killed, h.hold
	h.mu.Unlock()
	if killed {
		return nil, errKilled
	}
	if hold != nil && hold(r) {
		h.mu.Lock()
		h.holds++
		h.mu.Unlock()
		select {
		case <-r.Context().Done():
			return nil, r.Context().Err()
		case <-dead:
			return nil, errKilled
		}
	}
	return h.base.RoundTrip(r)
}

// setHold replaces the hold rule.
func (h *holdTransport) setHold(f func(*http.Request) bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hold = f
}

// held is how many requests were held so far.
func (h *holdTransport) held() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.holds
}

func (h *holdTransport) kill() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.dead == nil {
		h.dead = make(chan struct{})
	}
	if !h.killed {
		h.killed = true
		close(h.dead)
	}
}

// nthCall matches the nth request (from 1) of a Web API method.
func nthCall(method string, n int) func(*http.Request) bool {
	var mu sync.Mutex
	seen := 0
	return func(r *http.Request) bool {
		if n <= 0 || !strings.HasSuffix(r.URL.Path, "/"+method) {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		seen++
		return seen == n
	}
}

// formValue reads a form field of r's body, leaving the body in place.
func formValue(r *http.Request, key string) string {
	if r.Body == nil {
		return ""
	}
	b, err := io.ReadAll(r.Body)
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		return ""
	}
	v, _ := url.ParseQuery(string(b))
	return v.Get(key)
}

// fakeChart stands in for jobs.RenderChart: a tiny valid PNG.
func fakeChart(jobs.Chart) ([]byte, error) {
	img := image.NewGray(image.Rect(0, 0, 2, 2))
	var b bytes.Buffer
	err := png.Encode(&b, img)
	return b.Bytes(), err
}
