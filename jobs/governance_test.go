package jobs

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/itspm/itspm/catalog"
	"github.com/itspm/itspm/catalog/sample"
	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/storage"
	"github.com/itspm/itspm/storage/storetest"
)

func importSample(t *testing.T, st *storage.Store) {
	t.Helper()
	files, err := catalog.ReadFS(sample.FS)
	if err != nil {
		t.Fatal(err)
	}
	set, errs := catalog.Parse(files)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if _, err := st.Apply(context.Background(), &set.Catalog, "test", "sample"); err != nil {
		t.Fatal(err)
	}
}

// Two replicas run the first Monday's digest at once: each portfolio
// channel (and each board channel) gets one message saying "first week",
// with its chart, and one snapshot per portfolio is stored. A week later a
// restarted process compares with it: the line that changed has its arrow.
func TestGovernanceDigest(t *testing.T) {
	ctx := context.Background()
	db := storetest.DatabaseName(t)
	monday := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	c := newClock(monday)
	a, b := storetest.NewNamed(t, db, c.Now), storetest.NewNamed(t, db, c.Now)
	importSample(t, a)
	snap, err := a.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder(c)
	var senders []*Sender
	var scheds []*Scheduler
	for i, st := range []*storage.Store{a, b} {
		s, err := New(Options{Store: st, Jobs: []Job{governanceJob()}, Instance: []string{"a", "b"}[i], Now: c.Now, Logger: quietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		scheds = append(scheds, s)
		senders = append(senders, NewSender(SenderOptions{Store: st, Notifier: rec, Instance: []string{"a", "b"}[i], Now: c.Now, After: never, Logger: quietLogger()}))
	}
	var wg sync.WaitGroup
	for _, s := range scheds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.RunNow(ctx, GovernanceDigest, monday); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	drain(t, c, senders...)

	channels := map[string]bool{}
	for _, p := range snap.Portfolios {
		channels[p.Channel] = true
	}
	posts, uploads := map[string]int{}, map[string]int{}
	for _, cl := range rec.all() {
		if cl.Method == "post" {
			posts[cl.To]++
			if !strings.HasPrefix(cl.Title, "Governance digest: ") {
				t.Errorf("post to %s titled %q", cl.To, cl.Title)
			}
		} else {
			uploads[cl.To]++
		}
	}
	for ch := range channels {
		if posts[ch] != 1 || uploads[ch] == 0 {
			t.Errorf("portfolio channel %s: %d posts, %d charts; want 1 post and its chart", ch, posts[ch], uploads[ch])
		}
	}
	for _, bd := range snap.Boards {
		if bd.Channel != "" && posts[bd.Channel] > 1 {
			t.Errorf("board channel %s got %d posts, want one", bd.Channel, posts[bd.Channel])
		}
	}
	if len(posts) <= len(channels) {
		t.Errorf("no board got a copy: posts %v", posts)
	}
	week := domain.ISOWeek(domain.DateOf(monday))
	var ids []string
	for n := range snap.Portfolios {
		ids = append(ids, n+"@"+week)
	}
	got, err := a.MetricSnapshots(ctx, ids)
	if err != nil || len(got) != len(snap.Portfolios) {
		t.Fatalf("snapshots %d (%v), want one per portfolio (%d)", len(got), err, len(snap.Portfolios))
	}
	first, err := scheds[0].Preview(ctx, GovernanceDigest, monday)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range first {
		if !strings.Contains(m.Reply.Text, "First week") && !strings.Contains(m.Reply.Sections[0].Text, "First week") {
			t.Errorf("first digest to %s does not say first week: %q", m.To, m.Reply.Text)
		}
	}

	// A week on: payroll (workplace) lost its strategy; a new process runs.
	if _, err := a.UpdateService(ctx, "payroll", domain.AuditEntry{Actor: "test", Action: "test"}, func(s *domain.Service) error {
		s.Strategy = nil
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	next := monday.Add(7 * 24 * time.Hour)
	c.Set(next)
	restarted := storetest.NewNamed(t, db, c.Now)
	s3, err := New(Options{Store: restarted, Jobs: []Job{governanceJob()}, Instance: "c", Now: c.Now, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := s3.Preview(ctx, GovernanceDigest, next)
	if err != nil {
		t.Fatal(err)
	}
	pf := snap.Portfolios["workplace"]
	found := false
	for _, m := range msgs {
		if m.To != pf.Channel {
			continue
		}
		found = true
		txt := m.Reply.Text
		if strings.Contains(txt, "First week") || !strings.Contains(txt, week) {
			t.Errorf("second digest: %q, want the change since %s", txt, week)
		}
		// 11 of 11 → 10 of 11: 100% → 91%.
		var strategy string
		for _, l := range m.Reply.Sections[0].Lines {
			if strings.HasPrefix(l, "Strategy documented") {
				strategy = l
			}
		}
		if !strings.Contains(strategy, "▼ 9 pts") {
			t.Errorf("strategy line %q, want ▼ 9 pts", strategy)
		}
	}
	if !found {
		t.Fatalf("no digest to %s", pf.Channel)
	}
}

// A store without metric snapshots cannot run the digest: it fails, it
// does not post a trend it cannot know.
func TestGovernanceNeedsSnapshots(t *testing.T) {
	_, err := collectGovernance(context.Background(), plainSource{}, Occurrence{Job: GovernanceDigest, At: time.Now()})
	if err == nil {
		t.Fatal("no error from a store without snapshots")
	}
}

type plainSource struct{ Source }
