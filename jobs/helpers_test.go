package jobs

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/internal/testclock"
	"github.com/itspm/itspm/storage"
)

// The real store satisfies the interface jobs declares.
var _ Store = (*storage.Store)(nil)

// clock is a settable clock shared by the instances of a test.
type clock = testclock.Clock

func newClock(t time.Time) *clock { return testclock.New(t) }

// never is an After that does not fire: loops under test wake only when
// stopped or kicked.
func never(time.Duration) <-chan time.Time { return nil }

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// call is one Post or Upload a recorder saw.
type call struct {
	Method string // post or upload
	To     string
	Title  string
	At     time.Time // on the test clock
	Err    error
}

// recorder is a Notifier that records calls and can fail them.
type recorder struct {
	clock *clock
	mu    sync.Mutex
	calls []call
	// fail, when set, decides the outcome of each call (n counts calls
	// to the same recipient, from 1).
	fail func(method, to string, n int) error
	seen map[string]int
	seq  int
}

func newRecorder(c *clock) *recorder { return &recorder{clock: c, seen: map[string]int{}} }

func (r *recorder) record(method, to, title string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen[method+" "+to]++
	var err error
	if r.fail != nil {
		err = r.fail(method, to, r.seen[method+" "+to])
	}
	r.calls = append(r.calls, call{Method: method, To: to, Title: title, At: r.clock.Now(), Err: err})
	return err
}

func (r *recorder) Post(_ context.Context, to string, rep commands.Reply) (string, string, error) {
	if err := r.record("post", to, rep.Title); err != nil {
		return "", "", err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	ch := to
	if strings.HasPrefix(to, "U") {
		ch = "D" + to[1:]
	}
	return ch, fmt.Sprintf("1764201600.%06d", r.seq), nil
}

func (r *recorder) Upload(_ context.Context, channel, filename, title string, data []byte, comment string) error {
	return r.record("upload", channel, filename)
}

// posted counts successful posts by recipient and title.
func (r *recorder) posted() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for _, c := range r.calls {
		if c.Method == "post" && c.Err == nil {
			out[c.To+" "+c.Title]++
		}
	}
	return out
}

func (r *recorder) all() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]call(nil), r.calls...)
}

// drain runs the senders (concurrently, like replicas) until nothing is
// pending, stepping the clock a second per round for pacing.
func drain(t *testing.T, c *clock, senders ...*Sender) {
	t.Helper()
	ctx := context.Background()
	for round := 0; ; round++ {
		var wg sync.WaitGroup
		for _, s := range senders[1:] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.Pass(ctx, ""); err != nil {
					t.Error(err)
				}
			}()
		}
		res, err := senders[0].Pass(ctx, "")
		wg.Wait()
		if err != nil {
			t.Fatal(err)
		}
		if res.Pending == 0 {
			// Another sender may still have held the last one during the
			// pass: look at the batches once more.
			bs, err := senders[0].o.Store.OutboxBatches(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(bs) == 0 {
				return
			}
		}
		if round > 2000 {
			t.Fatalf("outbox not drained: %+v", res)
		}
		c.Add(time.Second)
	}
}
