package storage_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/storage"
	"github.com/itspm/itspm/storage/storetest"
)

func newRequest(service string, at time.Time) *domain.TollgateRequest {
	return &domain.TollgateRequest{Service: service, Gate: "tg-transition", From: domain.StageDesign, To: domain.StageTransition,
		Board: "design-authority", Quorum: 2, Requester: "lee", OpenedAt: at}
}

func TestOpenTollgateRequestOnePerService(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

	first := newRequest("payroll", now)
	if err := st.OpenTollgateRequest(ctx, first); err != nil {
		t.Fatal(err)
	}
	if first.ID != "TG-payroll-1" || first.Status != domain.RequestOpen {
		t.Fatalf("first request = %s (%s), want TG-payroll-1 (open)", first.ID, first.Status)
	}
	err := st.OpenTollgateRequest(ctx, newRequest("payroll", now))
	if domain.ErrorCode(err) != domain.Conflict || !strings.Contains(domain.ErrorMessage(err), "TG-payroll-1") {
		t.Fatalf("second open: %v, want a conflict naming TG-payroll-1", err)
	}
	other := newRequest("email", now)
	if err := st.OpenTollgateRequest(ctx, other); err != nil || other.ID != "TG-email-1" {
		t.Fatalf("another service: %v %s", err, other.ID)
	}
	if err := st.CloseTollgateRequest(ctx, first, domain.RequestApproved, now); err != nil {
		t.Fatal(err)
	}
	next := newRequest("payroll", now)
	if err := st.OpenTollgateRequest(ctx, next); err != nil || next.ID != "TG-payroll-2" {
		t.Fatalf("after closing: %v %s, want TG-payroll-2", err, next.ID)
	}
	got, err := st.TollgateRequest(ctx, "TG-payroll-1")
	if err != nil || got.Status != domain.RequestApproved {
		t.Fatalf("closed request = %+v, %v", got, err)
	}
	if _, err := st.TollgateRequest(ctx, "TG-nope-1"); domain.ErrorCode(err) != domain.NotFound {
		t.Fatalf("unknown request: %v, want NotFound", err)
	}
}

func TestOpenTollgateRequestConcurrent(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	var wg sync.WaitGroup
	var opened, conflicts atomic.Int32
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := st.OpenTollgateRequest(ctx, newRequest("payroll", time.Now()))
			switch domain.ErrorCode(err) {
			case "":
				opened.Add(1)
			case domain.Conflict:
				conflicts.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if opened.Load() != 1 || conflicts.Load() != 19 {
		t.Fatalf("opened %d, conflicts %d; want 1 and 19", opened.Load(), conflicts.Load())
	}
	open, err := st.OpenTollgateRequests(ctx)
	if err != nil || len(open) != 1 {
		t.Fatalf("open requests = %d, %v; want 1", len(open), err)
	}
}

func TestStaleOpenMarkerIsCleared(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	st := storetest.NewNamed(t, storetest.DatabaseName(t), clock)
	// An opener that crashed after claiming the marker, before the request.
	if _, err := st.DB().Collection("tollgate_open").InsertOne(ctx, map[string]any{"_id": "payroll", "request": "TG-payroll-1", "at": now}); err != nil {
		t.Fatal(err)
	}
	if err := st.OpenTollgateRequest(ctx, newRequest("payroll", now)); domain.ErrorCode(err) != domain.Conflict {
		t.Fatalf("fresh marker: %v, want Conflict", err)
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	r := newRequest("payroll", now)
	if err := st.OpenTollgateRequest(ctx, r); err != nil {
		t.Fatalf("stale marker: %v, want it cleared", err)
	}
	// A marker of a decided request does not block either.
	if won, _, err := st.DecideTollgate(ctx, domain.TollgateDecision{ID: r.ID, Service: "payroll", Outcome: domain.Rejected, At: now}); err != nil || !won {
		t.Fatal(won, err)
	}
	if err := st.OpenTollgateRequest(ctx, newRequest("payroll", now)); err != nil {
		t.Fatalf("decided request's marker: %v, want it cleared", err)
	}
}

func TestTollgateVoteSlots(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	vote := func(req string, slot int, voter string) domain.Vote {
		return domain.Vote{Request: req, Slot: slot, Voter: voter, Approve: true, At: at}
	}
	tests := []struct {
		v    domain.Vote
		want bool
	}{
		{vote("TG-a-1", 0, "dana"), true},
		{vote("TG-a-1", 0, "lee"), false},  // slot taken
		{vote("TG-a-1", 1, "dana"), false}, // dana already holds a slot
		{vote("TG-a-1", 1, "lee"), true},
		{vote("TG-b-1", 0, "dana"), true}, // another request
	}
	for _, tt := range tests {
		got, err := st.InsertTollgateVote(ctx, tt.v)
		if err != nil || got != tt.want {
			t.Errorf("insert %s#%d by %s = %v, %v; want %v", tt.v.Request, tt.v.Slot, tt.v.Voter, got, err, tt.want)
		}
	}
	votes, err := st.TollgateVotes(ctx, []string{"TG-a-1", "TG-b-1", "TG-c-1"})
	if err != nil {
		t.Fatal(err)
	}
	summary := map[string][]string{}
	for req, vs := range votes {
		for _, v := range vs {
			summary[req] = append(summary[req], fmt.Sprintf("%s %d %s", v.ID, v.Slot, v.Voter))
		}
	}
	want := map[string][]string{"TG-a-1": {"TG-a-1#0 0 dana", "TG-a-1#1 1 lee"}, "TG-b-1": {"TG-b-1#0 0 dana"}}
	if diff := cmp.Diff(want, summary); diff != "" {
		t.Errorf("votes (-want +got):\n%s", diff)
	}
	if err := st.DeleteTollgateVote(ctx, storage.VoteID("TG-a-1", 1)); err != nil {
		t.Fatal(err)
	}
	if votes, _ := st.TollgateVotes(ctx, []string{"TG-a-1"}); len(votes["TG-a-1"]) != 1 {
		t.Errorf("after delete: %v", votes)
	}
}

func TestTollgateVoteSlotRace(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	var wg sync.WaitGroup
	var won atomic.Int32
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := st.InsertTollgateVote(ctx, domain.Vote{Request: "TG-a-1", Slot: 0, Voter: fmt.Sprintf("m%d", i%15), At: time.Now()})
			if err != nil {
				t.Error(err)
			}
			if ok {
				won.Add(1)
			}
		}()
	}
	wg.Wait()
	if won.Load() != 1 {
		t.Fatalf("%d inserts won slot 0, want 1", won.Load())
	}
}

func TestDecideTollgateOnce(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	r := newRequest("payroll", time.Now())
	if err := st.OpenTollgateRequest(ctx, r); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var wins atomic.Int32
	winners := make([]string, 30)
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			won, d, err := st.DecideTollgate(ctx, domain.TollgateDecision{ID: r.ID, Service: "payroll", Outcome: domain.Approved, By: fmt.Sprintf("m%d", i), At: time.Now()})
			if err != nil {
				t.Error(err)
				return
			}
			if won {
				wins.Add(1)
			}
			winners[i] = d.By
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d winners, want 1", wins.Load())
	}
	for _, w := range winners[1:] {
		if w != winners[0] {
			t.Fatalf("callers saw different winners: %v", winners)
		}
	}
	open, err := st.OpenTollgateRequests(ctx)
	if err != nil || len(open) != 0 {
		t.Fatalf("open after decision = %v, %v; want none", open, err)
	}
	unsettled, err := st.UnsettledTollgateRequests(ctx)
	if err != nil || len(unsettled) != 1 {
		t.Fatalf("unsettled = %v, %v; want the decided request until it is closed", unsettled, err)
	}
	decisions, err := st.TollgateDecisions(ctx, []string{r.ID, "TG-x-1"})
	if err != nil || len(decisions) != 1 || decisions[r.ID].Outcome != domain.Approved {
		t.Fatalf("decisions = %v, %v", decisions, err)
	}
}

func TestTollgateSteps(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	for _, c := range []struct {
		req, step string
		want      bool
	}{
		{"TG-a-1", "stage", true},
		{"TG-a-1", "stage", false},
		{"TG-a-1", "dm", true},
		{"TG-a-10", "dm", true},
		{"TG-a-1x", "dm", true},
	} {
		if got, err := st.ClaimTollgateStep(ctx, c.req, c.step); err != nil || got != c.want {
			t.Errorf("claim %s/%s = %v, %v; want %v", c.req, c.step, got, err, c.want)
		}
	}
	got, err := st.TollgateSteps(ctx, "TG-a-1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]bool{"stage": true, "dm": true}, got); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
}

func TestAppendAuditOnce(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	e := domain.AuditEntry{ID: "TG-a-1/decision", Actor: "dana", Action: "tollgate.decision", Service: "payroll", Summary: "approved"}
	for range 2 {
		if err := st.AppendAuditOnce(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	h, err := st.History(ctx, "payroll", 0)
	if err != nil || len(h) != 1 {
		t.Fatalf("history = %v, %v; want one entry", h, err)
	}
	// A batch in which some entries are already there writes the others.
	vote := func(id string) domain.AuditEntry {
		return domain.AuditEntry{ID: id, Actor: "sam", Action: "tollgate.vote", Service: "payroll"}
	}
	if err := st.AppendAuditOnce(ctx, vote("v1"), e, vote("v2"), e); err != nil {
		t.Fatal(err)
	}
	if err := st.AppendAuditOnce(ctx, vote("v1"), vote("v2")); err != nil {
		t.Fatal(err)
	}
	h, err = st.History(ctx, "payroll", 0)
	if err != nil || len(h) != 3 {
		t.Fatalf("history = %v, %v; want the decision and two votes", h, err)
	}
}
