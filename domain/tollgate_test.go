package domain_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/itspm/itspm/domain"
)

func votes(spec string) []domain.Vote {
	var out []domain.Vote
	for i, c := range spec {
		out = append(out, domain.Vote{Slot: i, Voter: string(rune('a' + i)), Approve: c == 'y'})
	}
	return out
}

func TestDecide(t *testing.T) {
	tests := []struct {
		votes   string // y = approve, n = reject, in arrival order
		quorum  int
		want    domain.Outcome
		wantLen int
	}{
		{"", 2, domain.Pending, 0},
		{"y", 2, domain.Pending, 1},
		{"yy", 2, domain.Approved, 2},
		{"yyy", 2, domain.Approved, 2}, // the third arrived too late
		{"n", 2, domain.Rejected, 1},
		{"yn", 2, domain.Rejected, 2},
		{"ny", 2, domain.Rejected, 1},
		{"yny", 2, domain.Rejected, 2},
		{"yyn", 2, domain.Approved, 2}, // a rejection after the quorum does not count
		{"y", 1, domain.Approved, 1},
		{"yy", 3, domain.Pending, 2},
		{"yyy", 3, domain.Approved, 3},
		{"yyn", 3, domain.Rejected, 3},
		{"y", 0, domain.Approved, 1}, // a zero quorum (invalid catalog) still needs one approval
	}
	for _, tt := range tests {
		got, n := domain.Decide(votes(tt.votes), tt.quorum)
		if got != tt.want || n != tt.wantLen {
			t.Errorf("Decide(%q, %d) = %q, %d; want %q, %d", tt.votes, tt.quorum, got, n, tt.want, tt.wantLen)
		}
	}
}

// Decide depends only on the order of votes, so every process reading the
// same slots reaches the same decision, and a longer read never changes it.
func TestDecideIsStableUnderLaterVotes(t *testing.T) {
	for _, spec := range []string{"yy", "n", "yn", "yyy", "ny"} {
		base, n := domain.Decide(votes(spec), 2)
		for _, more := range []string{"y", "n", "yn", "nny"} {
			got, m := domain.Decide(votes(spec+more), 2)
			if got != base || m != n {
				t.Errorf("Decide(%q) = %s/%d but Decide(%q) = %s/%d", spec, base, n, spec+more, got, m)
			}
		}
	}
}

func TestOutcomeStatus(t *testing.T) {
	for o, want := range map[domain.Outcome]string{
		domain.Pending: domain.RequestOpen, domain.Approved: domain.RequestApproved,
		domain.Rejected: domain.RequestRejected, domain.Withdrawn: domain.RequestWithdrawn,
	} {
		if got := o.Status(); got != want {
			t.Errorf("%q.Status() = %q, want %q", o, got, want)
		}
	}
}

func TestGates(t *testing.T) {
	gate := func(name string, from, to domain.Stage) *domain.Tollgate {
		return &domain.Tollgate{Name: name, TollgateSpec: domain.TollgateSpec{From: from, To: to}}
	}
	snap := &domain.Snapshot{Tollgates: map[string]*domain.Tollgate{
		"tg-improve":            gate("tg-improve", domain.StageOperate, domain.StageImprove),
		"tg-operate-retirement": gate("tg-operate-retirement", domain.StageOperate, domain.StageRetirement),
		"tg-transition":         gate("tg-transition", domain.StageDesign, domain.StageTransition),
		"tg-improve-operate":    gate("tg-improve-operate", domain.StageImprove, domain.StageOperate),
	}}
	names := func(gs []*domain.Tollgate) []string {
		var out []string
		for _, g := range gs {
			out = append(out, g.Name)
		}
		return out
	}
	tests := []struct {
		from domain.Stage
		want []string
	}{
		{domain.StageOperate, []string{"tg-improve", "tg-operate-retirement"}},
		{domain.StageImprove, []string{"tg-improve-operate"}},
		{domain.StageRetirement, nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, names(snap.GatesFrom(tt.from))); diff != "" {
			t.Errorf("GatesFrom(%s) (-want +got):\n%s", tt.from, diff)
		}
	}
	if g, ok := snap.Gate(domain.StageImprove, domain.StageOperate); !ok || g.Name != "tg-improve-operate" {
		t.Errorf("Gate(improve, operate) = %v, %v", g, ok)
	}
	if _, ok := snap.Gate(domain.StageDesign, domain.StageOperate); ok {
		t.Errorf("Gate(design, operate) found a gate that skips transition")
	}
}

func TestRequestWaiting(t *testing.T) {
	board := &domain.Board{Name: "da", BoardSpec: domain.BoardSpec{Members: []string{"dana", "lee", "sam", "priya", "sam"}}}
	req := &domain.TollgateRequest{Requester: "lee"}
	tests := []struct {
		votes []domain.Vote
		want  []string
	}{
		{nil, []string{"dana", "sam", "priya"}},
		{[]domain.Vote{{Voter: "sam", Approve: true}}, []string{"dana", "priya"}},
		{[]domain.Vote{{Voter: "sam"}, {Voter: "dana"}, {Voter: "priya"}}, nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, req.Waiting(board, tt.votes)); diff != "" {
			t.Errorf("Waiting after %v (-want +got):\n%s", tt.votes, diff)
		}
	}
	if got := domain.Approvals([]domain.Vote{{Approve: true}, {Approve: false}, {Approve: true}}); got != 2 {
		t.Errorf("Approvals = %d, want 2", got)
	}
}
