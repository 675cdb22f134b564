package jobs

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"

	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/internal/gencatalog"
	"github.com/itspm/itspm/storage"
	"github.com/itspm/itspm/storage/storetest"
)

// benchFigure is one job's run on one catalog size.
type benchFigure struct {
	took       time.Duration
	roundTrips int64
	messages   int
	baseline   time.Duration // raw insert of as many outbox-sized documents
}

// TestBenchJobs times one run of each job (claim, select, enqueue, record)
// on a generated catalog of 10,000 services on the embedded store, and
// counts the store round trips with a driver command monitor, beside the
// same figures for 1,000 services: the round trips must not grow with the
// catalog. `make bench` runs it (ITSPM_BENCH=1) and prints the BENCH lines.
func TestBenchJobs(t *testing.T) {
	if os.Getenv("ITSPM_BENCH") == "" {
		t.Skip("set ITSPM_BENCH=1 (make bench) to run")
	}
	small := benchJobs(t, 1000)
	large := benchJobs(t, 10000)
	for _, name := range Names() {
		s, l := small[name], large[name]
		verdict := "ok"
		if l.took > 5*time.Second {
			verdict = "MISSED"
		}
		fmt.Printf("BENCH jobs %s: select+enqueue, 10,000 services | %v (%d messages) | %v raw insert of %d docs | %.1fx | < 5s | %s\n",
			name, l.took.Round(time.Millisecond), l.messages, l.baseline.Round(time.Millisecond), l.messages, ratio(l.took, l.baseline), verdict)
		verdict = "ok"
		if l.roundTrips > s.roundTrips {
			verdict = "MISSED"
		}
		fmt.Printf("BENCH jobs %s: store round trips per run | %d at 10,000 services | %d at 1,000 services | %.2f | constant | %s\n",
			name, l.roundTrips, s.roundTrips, float64(l.roundTrips)/float64(max(s.roundTrips, 1)), verdict)
	}
}

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func benchJobs(t *testing.T, n int) map[string]benchFigure {
	t.Helper()
	ctx := context.Background()
	var commands atomic.Int64
	mon := &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		switch e.CommandName {
		case "hello", "isMaster", "ismaster", "endSessions":
		default:
			commands.Add(1)
		}
	}}
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC) // a Monday: every job has work
	today := domain.DateOf(at)
	st, err := storage.Open(ctx, storage.Config{URI: storetest.URI(t), Database: fmt.Sprintf("%s_%d", storetest.DatabaseName(t), n),
		Logger: quietLogger(), Monitor: mon, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = st.Drop(context.Background())
		_ = st.Close(context.Background())
	})
	cat := gencatalog.Generate(n, 1, today)
	if _, err := st.Apply(ctx, cat, "bench", "bench"); err != nil {
		t.Fatal(err)
	}
	// A hundred open tollgate requests, three days old, half with a vote.
	opened := 0
	for i := range cat.Services {
		s := &cat.Services[i]
		if opened == 100 || s.Stage != domain.StageOperate {
			continue
		}
		req := &domain.TollgateRequest{Service: s.Name, Gate: "tg-improve", From: domain.StageOperate, To: domain.StageImprove,
			Board: "board", Quorum: 2, Requester: s.Owner, OpenedAt: at.Add(-72 * time.Hour)}
		if err := st.OpenTollgateRequest(ctx, req); err != nil {
			t.Fatal(err)
		}
		if opened%2 == 0 {
			if _, err := st.InsertTollgateVote(ctx, domain.Vote{Request: req.ID, Slot: 1, Voter: "person-1", Approve: true, At: at}); err != nil {
				t.Fatal(err)
			}
		}
		opened++
	}
	if _, err := st.Snapshot(ctx); err != nil { // the serving process keeps it warm
		t.Fatal(err)
	}
	cs := newCounting(st)
	defer func() { t.Logf("store time by method: %v", cs.took) }()
	s, err := New(Options{Store: cs, Now: func() time.Time { return at }, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]benchFigure{}
	for _, name := range Names() {
		commands.Store(0)
		start := time.Now()
		res, err := s.RunNow(ctx, name, at)
		took := time.Since(start)
		if err != nil || res.Err != nil || !res.Claimed {
			t.Fatalf("%s: %+v, %v", name, res, err)
		}
		f := benchFigure{took: took, roundTrips: commands.Load(), messages: res.Enqueued}
		f.baseline = rawInsert(t, st, name, res.Messages)
		out[name] = f
		t.Logf("%d services, %s: %v, %d round trips, %d messages (baseline %v)", n, name, took, f.roundTrips, f.messages, f.baseline)
	}
	return out
}

// rawInsert times a plain InsertMany of documents as large as the run's
// outbox records: the floor any outbox design pays on this store.
func rawInsert(t *testing.T, st *storage.Store, name string, msgs []Message) time.Duration {
	t.Helper()
	if len(msgs) == 0 {
		return 0
	}
	docs := make([]any, len(msgs))
	for i, m := range msgs {
		p, err := encodePayload(m)
		if err != nil {
			t.Fatal(err)
		}
		docs[i] = bson.D{{Key: "_id", Value: fmt.Sprintf("%s/%d", name, i)}, {Key: "payload", Value: p}}
	}
	start := time.Now()
	if _, err := st.DB().Collection("bench_raw_"+name).InsertMany(context.Background(), docs); err != nil {
		t.Fatal(err)
	}
	return time.Since(start)
}
