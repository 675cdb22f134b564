package tollgates_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/internal/testclock"
	"github.com/itspm/itspm/storage"
	"github.com/itspm/itspm/storage/storetest"
	"github.com/itspm/itspm/tollgates"
)

// tgNow is the tests' "now": 2026-11-27 12:00 UTC.
var tgNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// bigBoard is the number of members of the race tests' board.
const bigBoard = 48

func member(i int) string { return fmt.Sprintf("m%02d", i) }
func slackOf(name string) string {
	return "U0" + strings.ToUpper(name)
}

// tollgateCatalog is a small catalog plus a big board for the race tests:
// payroll (design, owned by lee) passes tg-transition (design-authority,
// quorum 2); race-01…race-20 (transition) pass tg-operate (big-board of 48,
// quorum 2).
func tollgateCatalog() *domain.Catalog {
	person := func(name, display string) domain.Person {
		return domain.Person{Name: name, PersonSpec: domain.PersonSpec{DisplayName: display, SlackUser: slackOf(name), Email: name + "@example.com"}}
	}
	cat := &domain.Catalog{
		People: []domain.Person{
			person("lee", "Lee Chen"), person("dana", "Dana Ortiz"), person("sam", "Sam Patel"),
			person("priya", "Priya Rao"), person("olga", "Olga Berg"),
		},
		Portfolios: []domain.Portfolio{{Name: "workplace", PortfolioSpec: domain.PortfolioSpec{Title: "Workplace Services", Manager: "dana", Channel: "C0WORKPLACE"}}},
		Boards: []domain.Board{
			{Name: "design-authority", BoardSpec: domain.BoardSpec{Title: "Design Authority", Members: []string{"dana", "lee", "sam", "priya"}, Channel: "C0BOARD"}},
		},
		Tollgates: []domain.Tollgate{
			{Name: "tg-design", TollgateSpec: domain.TollgateSpec{From: domain.StageStrategy, To: domain.StageDesign, Board: "design-authority", Quorum: 1}},
			{Name: "tg-transition", TollgateSpec: domain.TollgateSpec{From: domain.StageDesign, To: domain.StageTransition, Board: "design-authority", Quorum: 2,
				Criteria: []string{"Service design package approved", "Cost model agreed", "DR plan documented"}}},
			{Name: "tg-operate", TollgateSpec: domain.TollgateSpec{From: domain.StageTransition, To: domain.StageOperate, Board: "big-board", Quorum: 2,
				Criteria: []string{"Acceptance tests passed"}}},
			{Name: "tg-improve", TollgateSpec: domain.TollgateSpec{From: domain.StageOperate, To: domain.StageImprove, Board: "design-authority", Quorum: 1}},
			{Name: "tg-operate-retirement", TollgateSpec: domain.TollgateSpec{From: domain.StageOperate, To: domain.StageRetirement, Board: "design-authority", Quorum: 2}},
		},
		Services: []domain.Service{
			{Name: "payroll", Title: "Payroll", Aliases: []string{"pay"}, ServiceSpec: domain.ServiceSpec{
				Portfolio: "workplace", Owner: "lee", Stage: domain.StageDesign, Tier: 1, Channel: "C0PAYROLL",
				Cost: &domain.Cost{Currency: "EUR", TCO: domain.TCO{Licenses: 120000, Infrastructure: 40000, Labor: 90000, Support: 15000}},
				Continuity: &domain.Continuity{RTO: "4h", RPO: "15m", TestEvery: domain.Semiannual,
					LastTest: &domain.DRTest{Date: "2026-05-04", Result: "pass"}},
			}},
			{Name: "email", Title: "Email", ServiceSpec: domain.ServiceSpec{Portfolio: "workplace", Owner: "lee", Stage: domain.StageOperate, Tier: 2}},
			{Name: "fax", Title: "Fax Gateway", ServiceSpec: domain.ServiceSpec{Portfolio: "workplace", Owner: "lee", Stage: domain.StageRetirement, Tier: 3}},
		},
	}
	big := domain.Board{Name: "big-board", BoardSpec: domain.BoardSpec{Title: "Big Board", Channel: "C0BIG"}}
	for i := 1; i <= bigBoard; i++ {
		cat.People = append(cat.People, person(member(i), "Member "+fmt.Sprint(i)))
		big.Members = append(big.Members, member(i))
	}
	cat.Boards = append(cat.Boards, big)
	for i := 1; i <= 20; i++ {
		cat.Services = append(cat.Services, domain.Service{Name: fmt.Sprintf("race-%02d", i), ServiceSpec: domain.ServiceSpec{
			Portfolio: "workplace", Owner: "lee", Stage: domain.StageTransition, Tier: 2, Channel: "C0RACE"}})
	}
	return cat
}

// recorder is a Notifier that records what would reach Slack.
type recorder struct {
	mu      sync.Mutex
	seq     int
	posts   []post
	updates []update
	down    bool // Slack is failing: posts return an error
}

func (r *recorder) setDown(down bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.down = down
}

type post struct {
	To, TS string
	Reply  commands.Reply
}

type update struct {
	Channel, TS string
	Reply       commands.Reply
}

func (r *recorder) Post(_ context.Context, to string, rep commands.Reply) (string, string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.down {
		return "", "", errors.New("slack: 503 service unavailable")
	}
	r.seq++
	ts := fmt.Sprintf("1764244800.%06d", r.seq)
	r.posts = append(r.posts, post{To: to, TS: ts, Reply: rep})
	return to, ts, nil
}

func (r *recorder) Update(_ context.Context, channel, ts string, rep commands.Reply) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.updates = append(r.updates, update{Channel: channel, TS: ts, Reply: rep})
	return nil
}

func (r *recorder) postsTo(to string) []post {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []post
	for _, p := range r.posts {
		if p.To == to {
			out = append(out, p)
		}
	}
	return out
}

func (r *recorder) updatesOf(channel, ts string) []update {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []update
	for _, u := range r.updates {
		if u.Channel == channel && u.TS == ts {
			out = append(out, u)
		}
	}
	return out
}

func (r *recorder) counts() (posts, updates int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.posts), len(r.updates)
}

// fixture is an engine with the tollgate workflow over a fresh store.
type fixture struct {
	t     *testing.T
	st    *storage.Store
	e     *commands.Engine
	flow  *tollgates.Workflow
	notes *recorder
	clock *testclock.Clock
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newFixture(t *testing.T) *fixture {
	t.Helper()
	c := testclock.New(tgNow)
	st := storetest.NewNamed(t, storetest.DatabaseName(t), c.Now)
	cat := tollgateCatalog()
	if probs := cat.Validate(); len(probs) > 0 {
		t.Fatalf("test catalog: %v", probs)
	}
	if _, err := st.Apply(context.Background(), cat, "test", "test"); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, st: st, notes: &recorder{}, clock: c}
	f.e, f.flow = f.engine(st, f.notes)
	return f
}

// engine builds an engine over st (another replica shares the database).
func (f *fixture) engine(st *storage.Store, n commands.Notifier) (*commands.Engine, *tollgates.Workflow) {
	e := commands.New(st, commands.Options{Admins: []string{"U0ADMIN", "priya"}, Now: f.clock.Now, Logger: quiet()})
	flow := tollgates.New(e, st, n, tollgates.Options{Grace: time.Minute})
	e.SetWorkflow(flow)
	return e, flow
}

func as(person string) commands.Caller {
	return commands.Caller{SlackUser: slackOf(person), Source: "https://slack.com/archives/C0TEST/p1"}
}

func (f *fixture) run(c commands.Caller, text string) commands.Reply {
	f.t.Helper()
	r, err := f.e.Handle(context.Background(), c, text)
	if err != nil {
		f.t.Fatalf("%q: %v", text, err)
	}
	return r
}

func (f *fixture) vote(c commands.Caller, id string, approve bool, comment string) commands.Reply {
	f.t.Helper()
	r, err := f.e.Vote(context.Background(), c, id, approve, comment)
	if err != nil {
		f.t.Fatalf("vote %s: %v", id, err)
	}
	return r
}

func (f *fixture) open(c commands.Caller, svc, stage string) string {
	f.t.Helper()
	r := f.run(c, "tollgate "+svc+" "+stage)
	if r.Error {
		f.t.Fatalf("tollgate %s %s: %s", svc, stage, r.Text)
	}
	return strings.TrimSuffix(r.Title[strings.LastIndex(r.Title, "(")+1:], ")")
}

func (f *fixture) service(name string) *domain.Service {
	f.t.Helper()
	snap, err := f.st.Snapshot(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return snap.Services[name]
}

func (f *fixture) actions(service string) []string {
	f.t.Helper()
	h, err := f.st.History(context.Background(), service, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Action != "import.create" {
			out = append(out, h[i].Action)
		}
	}
	return out
}

func plain(r commands.Reply) string { return commands.PlainText(r) }

func TestTollgateFullFlow(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()

	req := f.run(as("lee"), "tollgate pay transition")
	if req.Error || req.Title != "Tollgate requested: Payroll → transition (TG-payroll-1)" {
		t.Fatalf("request reply: %s", plain(req))
	}
	if !strings.Contains(req.Text, "C0BOARD") || !strings.Contains(req.Text, "https://slack.com/archives/C0BOARD/p") {
		t.Errorf("the requester's reply should say where the approval message is: %q", req.Text)
	}

	board := f.notes.postsTo("C0BOARD")
	if len(board) != 1 {
		t.Fatalf("posts to the board channel = %d, want 1", len(board))
	}
	msg := board[0].Reply
	wantActions := []commands.Action{
		{Label: "Approve", ID: "tollgate_approve", Value: "TG-payroll-1", Style: "primary", Command: "approve TG-payroll-1"},
		{Label: "Reject", ID: "tollgate_reject", Value: "TG-payroll-1", Style: "danger", Command: "reject TG-payroll-1 <reason>"},
	}
	if diff := cmp.Diff(wantActions, msg.Actions); diff != "" {
		t.Errorf("approval buttons (-want +got):\n%s", diff)
	}
	text := plain(msg)
	for _, want := range []string{"design → transition", "Lee Chen (@U0LEE)", "Tier 1", "Annual TCO", "265,000", "last test pass on 2026-05-04",
		"☐ Service design package approved", "☐ Cost model agreed", "☐ DR plan documented", "2 approvals"} {
		if !strings.Contains(text, want) {
			t.Errorf("approval message lacks %q:\n%s", want, text)
		}
	}
	if got := f.notes.postsTo("C0PAYROLL"); len(got) != 1 || !strings.Contains(got[0].Reply.Text, "TG-payroll-1") {
		t.Errorf("service channel posts = %+v, want one line naming the request", got)
	}

	f.clock.Add(time.Minute)
	first := f.vote(as("dana"), "TG-payroll-1", true, "")
	if first.Error || !strings.Contains(first.Text, "1 of 2 approvals") {
		t.Fatalf("first vote: %s", plain(first))
	}
	if got := f.service("payroll").Stage; got != domain.StageDesign {
		t.Fatalf("stage after one approval = %s", got)
	}
	if _, n := f.notes.counts(); n != 0 {
		t.Fatalf("%d updates before the decision, want 0", n)
	}
	f.clock.Add(3 * time.Minute)
	second := f.vote(as("sam"), "tg-payroll-1", true, "Looks solid")
	if second.Error || !strings.Contains(plain(second), "That decided it: approved by Dana Ortiz") {
		t.Fatalf("deciding vote: %s", plain(second))
	}

	if got := f.service("payroll").Stage; got != domain.StageTransition {
		t.Errorf("stage = %s, want transition", got)
	}
	updates := f.notes.updatesOf("C0BOARD", board[0].TS)
	if len(updates) != 1 {
		t.Fatalf("updates of the approval message = %d, want 1", len(updates))
	}
	final := updates[0].Reply
	if len(final.Actions) != 0 || !strings.HasPrefix(final.Title, "✅ Approved: Payroll → transition") {
		t.Errorf("final message: %s", plain(final))
	}
	finalText := plain(final)
	for _, want := range []string{"✅ Dana Ortiz (@U0DANA) approved at 12:01", "✅ Sam Patel (@U0SAM) approved at 12:04: Looks solid"} {
		if !strings.Contains(finalText, want) {
			t.Errorf("final message lacks %q:\n%s", want, finalText)
		}
	}
	dms := f.notes.postsTo("U0LEE")
	if len(dms) != 1 || !strings.Contains(dms[0].Reply.Title, "was approved") {
		t.Fatalf("DMs to the requester = %+v", dms)
	}
	if got := f.notes.postsTo("C0PAYROLL"); len(got) != 2 || !strings.Contains(got[1].Reply.Text, "moved from design to transition") {
		t.Errorf("service channel posts = %+v, want the request and the decision", got)
	}

	// The trail, in order, and how history shows it.
	want := []string{"tollgate.request", "tollgate.vote", "tollgate.vote", "tollgate.decision", "stage.change"}
	if diff := cmp.Diff(want, f.actions("payroll")); diff != "" {
		t.Errorf("audit actions (-want +got):\n%s", diff)
	}
	hist := plain(f.run(as("lee"), "history payroll"))
	for _, want := range []string{
		"Sam Patel (@U0SAM) · stage design → transition by tollgate TG-payroll-1 (stage: \"design\" → \"transition\")",
		"Sam Patel (@U0SAM) · approved tollgate TG-payroll-1 (design → transition): Looks solid",
		"Sam Patel (@U0SAM) · tollgate TG-payroll-1 approved (design → transition) by Dana Ortiz and Sam Patel",
		"Lee Chen (@U0LEE) · requested tollgate TG-payroll-1: design → transition (the Design Authority)",
	} {
		if !strings.Contains(hist, want) {
			t.Errorf("history lacks %q:\n%s", want, hist)
		}
	}
	h, _ := f.st.History(ctx, "payroll", 0)
	for _, e := range h {
		if e.Action == "tollgate.vote" && e.Source != as("sam").Source {
			t.Errorf("vote entry source = %q", e.Source)
		}
	}

	// Afterwards: clicks explain, nothing changes; the list is empty.
	late := f.vote(as("priya"), "TG-payroll-1", true, "")
	if !late.Error || !strings.Contains(plain(late), "already decided: approved by Dana Ortiz") {
		t.Errorf("late vote: %s", plain(late))
	}
	if r := f.run(as("lee"), "tollgates"); !strings.Contains(r.Text, "No tollgate requests are open") {
		t.Errorf("tollgates after the decision: %s", plain(r))
	}
	if p, u := f.notes.counts(); p != 4 || u != 1 {
		t.Errorf("notifier saw %d posts and %d updates, want 4 and 1", p, u)
	}
}

func TestTollgateReject(t *testing.T) {
	f := newFixture(t)
	id := f.open(as("lee"), "payroll", "transition")
	f.clock.Add(time.Minute)
	f.vote(as("dana"), id, true, "")
	f.clock.Add(time.Minute)
	r := f.run(as("sam"), "reject "+id+" DR plan is missing")
	if r.Error || !strings.Contains(plain(r), `rejected by Sam Patel (@U0SAM) at 12:02 ("DR plan is missing")`) {
		t.Fatalf("reject: %s", plain(r))
	}
	if got := f.service("payroll").Stage; got != domain.StageDesign {
		t.Errorf("stage = %s, want design", got)
	}
	ts := f.notes.postsTo("C0BOARD")[0].TS
	ups := f.notes.updatesOf("C0BOARD", ts)
	if len(ups) != 1 || !strings.HasPrefix(ups[0].Reply.Title, "❌ Rejected") || !strings.Contains(ups[0].Reply.Text, "DR plan is missing") {
		t.Fatalf("updates = %+v", ups)
	}
	if dms := f.notes.postsTo("U0LEE"); len(dms) != 1 || !strings.Contains(dms[0].Reply.Text, "stays in design") {
		t.Errorf("DM = %+v", dms)
	}
	want := []string{"tollgate.request", "tollgate.vote", "tollgate.vote", "tollgate.decision"}
	if diff := cmp.Diff(want, f.actions("payroll")); diff != "" {
		t.Errorf("audit actions (-want +got):\n%s", diff)
	}
	// Rejected requests free the service for a new one.
	if id2 := f.open(as("lee"), "payroll", "transition"); id2 != "TG-payroll-2" {
		t.Errorf("next request = %s, want TG-payroll-2", id2)
	}
}

func TestTollgateRequestRefusals(t *testing.T) {
	f := newFixture(t)
	f.open(as("lee"), "email", "improve") // for "already open"
	tests := []struct {
		name   string
		caller commands.Caller
		text   string
		want   string
	}{
		{"usage", as("lee"), "tollgate payroll", "Usage: `tollgate <service> <stage>`"},
		{"unknown service", as("lee"), "tollgate payrol transition", "I don't know a service called \"payrol\". Did you mean `payroll`?"},
		{"unknown stage", as("lee"), "tollgate payroll production-ish", `"production-ish" is not a lifecycle stage. Stages, in order: strategy, design, transition, operate, improve, retirement.`},
		{"no such gate", as("lee"), "tollgate payroll strategy", "There is no tollgate from design to strategy. From design you can ask for: `tollgate payroll transition` (tg-transition)."},
		{"skipped stage", as("lee"), "tollgate payroll operate", "Payroll is in design; going to operate would skip transition, and services pass one tollgate at a time."},
		{"same stage", as("lee"), "tollgate payroll design", "Payroll is already in stage design."},
		{"already open", as("lee"), "tollgate email retirement", "email already has an open tollgate request: TG-email-1."},
		{"retired", as("lee"), "tollgate fax operate", "Fax Gateway is retired; retired services don't pass tollgates."},
		{"no role", as("sam"), "tollgate payroll transition", "Only Payroll's owner (Lee Chen"},
		{"outsider", commands.Caller{SlackUser: "U0STRANGER"}, "tollgate payroll transition", "Only Payroll's owner"},
		{"admin who is no person", commands.Caller{SlackUser: "U0ADMIN"}, "tollgate payroll transition", "I can't match you to a person in the catalog"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			posts, _ := f.notes.counts()
			r, err := f.e.Handle(context.Background(), tt.caller, tt.text)
			if err != nil {
				// Engine-level refusals (unknown service) come back as errors.
				text, _ := commands.ErrorText(err)
				r = commands.Reply{Text: text, Error: true}
			}
			if !r.Error || !strings.Contains(plain(r), tt.want) {
				t.Errorf("%q: error=%v %q, want an error containing %q", tt.text, r.Error, plain(r), tt.want)
			}
			if p, _ := f.notes.counts(); p != posts {
				t.Errorf("a refusal posted %d messages", p-posts)
			}
		})
	}
	open, err := f.st.OpenTollgateRequests(context.Background())
	if err != nil || len(open) != 1 {
		t.Errorf("open requests = %d, %v; want only TG-email-1", len(open), err)
	}
}

func TestTollgateRequestByManagerOrAdmin(t *testing.T) {
	f := newFixture(t)
	if id := f.open(as("dana"), "payroll", "transition"); id != "TG-payroll-1" { // portfolio manager
		t.Errorf("manager's request = %s", id)
	}
	if id := f.open(as("priya"), "email", "improve"); id != "TG-email-1" { // admin by person name
		t.Errorf("admin's request = %s", id)
	}
}

func TestTollgateVoteRefusals(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.open(as("lee"), "payroll", "transition")
	if r := f.vote(as("dana"), id, true, ""); r.Error {
		t.Fatal(r.Text)
	}
	withdrawn := f.open(as("lee"), "email", "improve")
	if r := f.run(as("lee"), "withdraw "+withdrawn); r.Error {
		t.Fatal(r.Text)
	}
	tests := []struct {
		name    string
		caller  commands.Caller
		id      string
		approve bool
		comment string
		want    string
	}{
		{"unknown request", as("sam"), "TG-nope-1", true, "", `There is no tollgate request "TG-nope-1"`},
		{"not a member", as("olga"), id, true, "", "Only members of the Design Authority vote on TG-payroll-1"},
		{"requester", as("lee"), id, true, "", "You requested TG-payroll-1, so you can't vote on it"},
		{"unknown person", commands.Caller{SlackUser: "U0STRANGER"}, id, true, "", "I can't match your Slack account to a person"},
		{"reject without reason", as("sam"), id, false, "  ", "A rejection needs a reason: `reject TG-payroll-1 <reason>`."},
		{"second click", as("dana"), id, true, "", "You already approved TG-payroll-1 at 12:00."},
		{"second click, other way", as("dana"), id, false, "changed my mind", "You already approved TG-payroll-1 at 12:00."},
		{"withdrawn", as("sam"), withdrawn, true, "", "TG-email-1 is already decided: withdrawn by Lee Chen (@U0LEE) at 12:00."},
		{"control characters", as("sam"), id, true, "bad\x00", "The comment contains control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.vote(tt.caller, tt.id, tt.approve, tt.comment)
			if !r.Error || !strings.Contains(plain(r), tt.want) {
				t.Errorf("error=%v %q, want an error containing %q", r.Error, r.Text, tt.want)
			}
		})
	}
	votes, err := f.st.TollgateVotes(ctx, []string{id, withdrawn})
	if err != nil {
		t.Fatal(err)
	}
	if len(votes[id]) != 1 || len(votes[withdrawn]) != 0 {
		t.Errorf("votes after refusals = %v, want only dana's", votes)
	}

	// After the decision, every click explains and changes nothing.
	f.vote(as("sam"), id, true, "")
	_, updates := f.notes.counts()
	for _, c := range []commands.Caller{as("priya"), as("sam"), as("olga")} {
		if r := f.vote(c, id, false, "too late"); !r.Error {
			t.Errorf("vote after the decision by %s accepted: %s", c.SlackUser, r.Text)
		}
	}
	if r := f.vote(as("priya"), id, false, "too late"); !strings.Contains(plain(r), "TG-payroll-1 is already decided: approved by Dana Ortiz (@U0DANA) at 12:00 and Sam Patel (@U0SAM) at 12:00.") {
		t.Errorf("late vote: %q", r.Text)
	}
	if _, u := f.notes.counts(); u != updates {
		t.Errorf("late votes updated the message")
	}
	if got := f.service("payroll").Stage; got != domain.StageTransition {
		t.Errorf("stage = %s", got)
	}
}

func TestTollgateCommandsGrammar(t *testing.T) {
	f := newFixture(t)
	id := f.open(as("lee"), "payroll", "transition")
	tests := []struct {
		caller commands.Caller
		text   string
		want   string
		err    bool
	}{
		{as("dana"), "approve", "Which request?", true},
		{as("dana"), "reject " + id, "A rejection needs a reason", true},
		{as("dana"), "withdraw", "Usage: `withdraw <request-id>`", true},
		{as("sam"), "withdraw " + id, "Only the requester (Lee Chen (@U0LEE)) or an admin can withdraw TG-payroll-1.", true},
		{as("dana"), "tollgates everything", "Usage: `tollgates`", true},
		{as("dana"), "approve tg-PAYROLL-1 fine by me", "You approved TG-payroll-1 (design → transition). 1 of 2 approvals so far; waiting for Sam Patel (@U0SAM) and Priya Rao (@U0PRIYA).", false},
	}
	for _, tt := range tests {
		r := f.run(tt.caller, tt.text)
		if r.Error != tt.err || !strings.Contains(plain(r), tt.want) {
			t.Errorf("%q: error=%v %q, want error=%v containing %q", tt.text, r.Error, plain(r), tt.err, tt.want)
		}
	}
}

func TestTollgatesListMineAndWaiting(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pay := f.open(as("lee"), "payroll", "transition")
	f.clock.Add(50 * time.Hour)
	mail := f.open(as("lee"), "email", "improve")
	f.vote(as("dana"), pay, true, "")

	all := plain(f.run(as("olga"), "tollgates"))
	for _, want := range []string{
		"TG-payroll-1 · Payroll · design → transition · by Lee Chen (@U0LEE) · 2 days ago · 1/2 approvals · Design Authority",
		"TG-email-1 · Email · operate → improve · by Lee Chen (@U0LEE) · less than a minute ago · 0/1 approvals · Design Authority",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("tollgates lacks %q:\n%s", want, all)
		}
	}
	tests := []struct {
		who  string
		want []string
	}{
		{"dana", []string{mail}},     // voted on payroll already
		{"sam", []string{pay, mail}}, // waiting on both
		{"lee", nil},                 // requester
		{"olga", nil},                // not on the board
	}
	for _, tt := range tests {
		r := f.run(as(tt.who), "tollgates mine")
		var got []string
		for _, a := range r.Actions {
			if a.ID == "tollgate_approve" {
				got = append(got, a.Value)
			}
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("tollgates mine for %s (-want +got):\n%s\n%s", tt.who, diff, plain(r))
		}
		if tt.want == nil && !strings.Contains(r.Text, "Nothing waits for your vote") {
			t.Errorf("tollgates mine for %s: %s", tt.who, plain(r))
		}
	}

	waiting, err := f.flow.Waiting(ctx, 48*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(waiting) != 1 || waiting[0].Request.ID != pay {
		t.Fatalf("waiting over 48h = %+v, want only %s", waiting, pay)
	}
	if diff := cmp.Diff([]string{"sam", "priya"}, waiting[0].Waiting); diff != "" {
		t.Errorf("waiting approvers (-want +got):\n%s", diff)
	}
	if waiting[0].Age != 50*time.Hour || len(waiting[0].Votes) != 1 || waiting[0].Board.Channel != "C0BOARD" {
		t.Errorf("pending = %+v", waiting[0])
	}
	snap, _ := f.st.Snapshot(ctx)
	nudge := f.flow.Reminder(snap, waiting[0])
	if len(nudge.Actions) != 2 || nudge.Actions[0].Value != pay || !strings.Contains(nudge.Text, "2 days ago") {
		t.Errorf("reminder = %s", plain(nudge))
	}
	all2, err := f.flow.Waiting(ctx, 0)
	if err != nil || len(all2) != 2 {
		t.Errorf("waiting(0) = %d, %v", len(all2), err)
	}
}

func TestTollgateWithdraw(t *testing.T) {
	f := newFixture(t)
	id := f.open(as("lee"), "payroll", "transition")
	f.clock.Add(time.Minute)
	f.vote(as("dana"), id, true, "")
	f.clock.Add(time.Minute)
	r := f.run(as("lee"), "withdraw "+id)
	if r.Error || r.Title != "Withdrawn: TG-payroll-1" {
		t.Fatalf("withdraw: %s", plain(r))
	}
	ts := f.notes.postsTo("C0BOARD")[0].TS
	ups := f.notes.updatesOf("C0BOARD", ts)
	if len(ups) != 1 || !strings.HasPrefix(ups[0].Reply.Title, "↩️ Withdrawn") || len(ups[0].Reply.Actions) != 0 {
		t.Fatalf("updates = %+v", ups)
	}
	if dms := f.notes.postsTo("U0LEE"); len(dms) != 0 {
		t.Errorf("the requester withdrew, yet got a DM: %+v", dms)
	}
	if r := f.run(as("lee"), "withdraw "+id); !r.Error || !strings.Contains(r.Text, "already decided: withdrawn") {
		t.Errorf("second withdraw: %s", plain(r))
	}
	if got := f.service("payroll").Stage; got != domain.StageDesign {
		t.Errorf("stage = %s", got)
	}
	// An admin may withdraw someone else's request; the requester hears of it.
	f.clock.Add(time.Minute)
	id2 := f.open(as("lee"), "payroll", "transition")
	f.clock.Add(time.Minute)
	if r := f.run(commands.Caller{SlackUser: "U0ADMIN"}, "withdraw "+id2); r.Error {
		t.Fatalf("admin withdraw: %s", plain(r))
	}
	if dms := f.notes.postsTo("U0LEE"); len(dms) != 1 || !strings.Contains(dms[0].Reply.Text, "withdrawn by U0ADMIN") {
		t.Errorf("DM after an admin's withdrawal = %+v", dms)
	}
	want := []string{"tollgate.request", "tollgate.vote", "tollgate.withdraw", "tollgate.request", "tollgate.withdraw"}
	if diff := cmp.Diff(want, f.actions("payroll")); diff != "" {
		t.Errorf("audit actions (-want +got):\n%s", diff)
	}
}

// A process that won the decision and died before applying it: nothing
// happens during the grace period; then Reconcile (or the next vote)
// applies the effects once.
func TestTollgateReconcileAfterCrash(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.open(as("lee"), "payroll", "transition")
	// The crashed process inserted both votes and the decision, nothing else.
	for i, who := range []string{"dana", "sam"} {
		if ok, err := f.st.InsertTollgateVote(ctx, domain.Vote{Request: id, Slot: i, Voter: who, Approve: true, At: tgNow}); err != nil || !ok {
			t.Fatal(ok, err)
		}
	}
	votes, _ := f.st.TollgateVotes(ctx, []string{id})
	if won, _, err := f.st.DecideTollgate(ctx, domain.TollgateDecision{ID: id, Service: "payroll", Outcome: domain.Approved, By: "sam", At: tgNow, Votes: votes[id]}); err != nil || !won {
		t.Fatal(won, err)
	}

	n, err := f.flow.Reconcile(ctx)
	if err != nil || n != 0 {
		t.Fatalf("reconcile within the grace period = %d, %v; want 0", n, err)
	}
	f.clock.Add(90 * time.Second)
	// A vote now answers with the decision and, as the grace period is
	// over, applies it.
	if r := f.vote(as("priya"), id, true, ""); !r.Error || !strings.Contains(r.Text, "already decided: approved") {
		t.Fatalf("vote after crash: %s", plain(r))
	}
	if got := f.service("payroll").Stage; got != domain.StageTransition {
		t.Fatalf("stage after retry = %s", got)
	}
	n, err = f.flow.Reconcile(ctx)
	if err != nil || n != 0 {
		t.Errorf("reconcile after the vote applied = %d, %v; want 0", n, err)
	}
	f.clock.Add(10 * time.Minute)
	if n, err := f.flow.Reconcile(ctx); err != nil || n != 0 {
		t.Errorf("later reconcile = %d, %v; want 0 (settled)", n, err)
	}
	ts := f.notes.postsTo("C0BOARD")[0].TS
	if ups := f.notes.updatesOf("C0BOARD", ts); len(ups) != 1 {
		t.Errorf("updates = %d, want 1", len(ups))
	}
	if dms := f.notes.postsTo("U0LEE"); len(dms) != 1 {
		t.Errorf("DMs = %d, want 1", len(dms))
	}
	// The votes of the crashed process are in the trail all the same.
	want := []string{"tollgate.request", "tollgate.vote", "tollgate.vote", "tollgate.decision", "stage.change"}
	if diff := cmp.Diff(want, f.actions("payroll")); diff != "" {
		t.Errorf("audit actions (-want +got):\n%s", diff)
	}
}

func TestTollgateReconcileDecidesUnrecordedDecision(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.open(as("lee"), "payroll", "transition")
	// Died after its vote, before inserting the decision.
	for i, v := range []struct {
		who     string
		approve bool
	}{{"dana", true}, {"sam", false}} {
		if ok, err := f.st.InsertTollgateVote(ctx, domain.Vote{Request: id, Slot: i, Voter: v.who, Approve: v.approve, Comment: "no", At: tgNow}); err != nil || !ok {
			t.Fatal(ok, err)
		}
	}
	if n, _ := f.flow.Reconcile(ctx); n != 0 {
		t.Fatalf("reconcile within the grace period settled %d", n)
	}
	f.clock.Add(2 * time.Minute)
	var wg sync.WaitGroup
	settled := make([]int, 4)
	for i := range settled { // replicas reconciling at once
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := f.flow.Reconcile(ctx)
			if err != nil {
				t.Error(err)
			}
			settled[i] = n
		}()
	}
	wg.Wait()
	if total := settled[0] + settled[1] + settled[2] + settled[3]; total != 1 {
		t.Errorf("reconcilers settled %v, want one in total", settled)
	}
	d, err := f.st.TollgateDecision(ctx, id)
	if err != nil || d.Outcome != domain.Rejected || d.By != "sam" {
		t.Fatalf("decision = %+v, %v", d, err)
	}
	if dms := f.notes.postsTo("U0LEE"); len(dms) != 1 {
		t.Errorf("DMs = %d, want 1", len(dms))
	}
	if got := f.service("payroll").Stage; got != domain.StageDesign {
		t.Errorf("stage = %s", got)
	}
}

// The stage change is guarded: if the service left the from stage before
// the effects ran, it is not moved again.
func TestTollgateStageGuard(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.open(as("lee"), "payroll", "transition")
	f.vote(as("dana"), id, true, "")
	// Someone re-imports the service in another stage meanwhile.
	cat := tollgateCatalog()
	cat.Services[0].Stage = domain.StageOperate
	if _, err := f.st.Apply(ctx, &domain.Catalog{Services: cat.Services[:1]}, "import", "test"); err != nil {
		t.Fatal(err)
	}
	if r := f.vote(as("sam"), id, true, ""); r.Error {
		t.Fatal(r.Text)
	}
	if got := f.service("payroll").Stage; got != domain.StageOperate {
		t.Errorf("stage = %s, want operate (left alone)", got)
	}
	for _, a := range f.actions("payroll") {
		if a == "stage.change" {
			t.Errorf("stage changed although the service had left design")
		}
	}
}

// flakyNotifier fails every Update and DM until fixed.
type flakyNotifier struct {
	*recorder
	mu     sync.Mutex
	broken bool
}

func (f *flakyNotifier) setBroken(b bool) { f.mu.Lock(); f.broken = b; f.mu.Unlock() }
func (f *flakyNotifier) isBroken() bool   { f.mu.Lock(); defer f.mu.Unlock(); return f.broken }

func (f *flakyNotifier) Update(ctx context.Context, ch, ts string, r commands.Reply) error {
	if f.isBroken() {
		return fmt.Errorf("slack: service unavailable")
	}
	return f.recorder.Update(ctx, ch, ts, r)
}

func (f *flakyNotifier) Post(ctx context.Context, to string, r commands.Reply) (string, string, error) {
	if f.isBroken() && strings.HasPrefix(to, "U") {
		return "", "", fmt.Errorf("slack: service unavailable")
	}
	return f.recorder.Post(ctx, to, r)
}

func TestTollgateNotificationRetry(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	flaky := &flakyNotifier{recorder: f.notes}
	f.e, f.flow = f.engine(f.st, flaky)
	id := f.open(as("lee"), "payroll", "transition")
	flaky.setBroken(true)
	f.vote(as("dana"), id, true, "")
	if r := f.vote(as("sam"), id, true, ""); r.Error {
		t.Fatal(r.Text)
	}
	if got := f.service("payroll").Stage; got != domain.StageTransition {
		t.Fatalf("stage = %s", got)
	}
	if _, u := f.notes.counts(); u != 0 {
		t.Fatalf("updates while broken = %d", u)
	}
	flaky.setBroken(false)
	f.clock.Add(2 * time.Minute)
	if n, err := f.flow.Reconcile(ctx); err != nil || n != 1 {
		t.Fatalf("reconcile = %d, %v; want 1", n, err)
	}
	f.clock.Add(2 * time.Minute)
	if n, err := f.flow.Reconcile(ctx); err != nil || n != 0 {
		t.Fatalf("second reconcile = %d, %v; want 0", n, err)
	}
	ts := f.notes.postsTo("C0BOARD")[0].TS
	if ups := f.notes.updatesOf("C0BOARD", ts); len(ups) != 1 {
		t.Errorf("updates = %d, want 1", len(ups))
	}
	if dms := f.notes.postsTo("U0LEE"); len(dms) != 1 {
		t.Errorf("DMs = %d, want 1", len(dms))
	}
	if got := f.notes.postsTo("C0PAYROLL"); len(got) != 2 {
		t.Errorf("service channel posts = %d, want 2 (request, decision once)", len(got))
	}
	changes := 0
	for _, a := range f.actions("payroll") {
		if a == "stage.change" {
			changes++
		}
	}
	if changes != 1 {
		t.Errorf("stage changes = %d, want 1", changes)
	}
}

// Votes are audited when cast and again, once, when the decision is
// applied from the votes read back, which the store keeps to the
// millisecond: the two must be the same entries.
func TestTollgateVotesAreAuditedOnceWithSubMillisecondClock(t *testing.T) {
	f := newFixture(t)
	f.clock.Add(123456789 * time.Nanosecond)
	id := f.open(as("lee"), "payroll", "transition")
	f.clock.Add(1234567 * time.Nanosecond)
	f.vote(as("dana"), id, true, "")
	f.clock.Add(7654321 * time.Nanosecond)
	if r := f.vote(as("sam"), id, true, "fine"); !strings.Contains(plain(r), "approved") {
		t.Fatalf("deciding vote: %s", plain(r))
	}
	want := []string{"tollgate.request", "tollgate.vote", "tollgate.vote", "tollgate.decision", "stage.change"}
	if diff := cmp.Diff(want, f.actions("payroll")); diff != "" {
		t.Errorf("audit actions (-want +got):\n%s", diff)
	}
}

// The approval message (and the service channel's line) of a request
// opened while Slack was failing are posted by Reconcile after the grace
// period, once across replicas; the decision then updates that message.
func TestTollgateApprovalMessageIsPostedAfterSlackFailed(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.notes.setDown(true)
	id := f.open(as("lee"), "payroll", "transition")
	f.notes.setDown(false)
	if n := len(f.notes.postsTo("C0BOARD")); n != 0 {
		t.Fatalf("%d approval messages while Slack was down", n)
	}
	// A vote by command meanwhile.
	f.vote(as("dana"), id, true, "")
	if _, err := f.flow.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(f.notes.postsTo("C0BOARD")); n != 0 {
		t.Fatalf("%d approval messages within the grace period, want 0", n)
	}
	f.clock.Add(2 * time.Minute)
	var wg sync.WaitGroup
	for range 4 { // replicas reconciling at once
		wg.Go(func() {
			if _, err := f.flow.Reconcile(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	posts := f.notes.postsTo("C0BOARD")
	if len(posts) != 1 {
		t.Fatalf("%d approval messages after the grace period, want 1", len(posts))
	}
	// The service channel's line too.
	if lines := f.notes.postsTo("C0PAYROLL"); len(lines) != 1 || !strings.Contains(lines[0].Reply.Text, "asked the Design Authority to move Payroll from design to transition") {
		t.Errorf("service channel lines after the grace period = %+v, want the request's line once", lines)
	}
	if text := plain(posts[0].Reply); !strings.Contains(text, "Tollgate "+id) {
		t.Errorf("approval message lacks the request:\n%s", text)
	}
	if len(posts[0].Reply.Actions) != 2 {
		t.Errorf("approval message buttons = %+v", posts[0].Reply.Actions)
	}
	f.clock.Add(10 * time.Minute)
	if _, err := f.flow.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(f.notes.postsTo("C0BOARD")); n != 1 {
		t.Errorf("%d approval messages once one was posted, want 1", n)
	}
	if n := len(f.notes.postsTo("C0PAYROLL")); n != 1 {
		t.Errorf("%d service channel lines once one was posted, want 1", n)
	}
	f.vote(as("sam"), id, true, "")
	if ups := f.notes.updatesOf("C0BOARD", posts[0].TS); len(ups) != 1 {
		t.Errorf("%d updates of the reposted message on the decision, want 1", len(ups))
	}
}

// On the embedded store a concurrent update of a request (the reminders
// job marking it reminded as a vote closes it) can bring back "open" over
// the decided status. Reconcile settles it again without repeating any
// effect.
func TestTollgateReconcileSettlesARequestReopenedByALostUpdate(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := f.open(as("lee"), "payroll", "transition")
	f.vote(as("dana"), id, true, "")
	f.vote(as("sam"), id, true, "")
	posts, updates := f.notes.counts()
	trail := f.actions("payroll")
	req, err := f.st.TollgateRequest(ctx, id)
	if err != nil || req.Status != domain.RequestApproved {
		t.Fatalf("request after the decision: %+v, %v", req, err)
	}
	// The lost update: the status is "open" again.
	if err := f.st.CloseTollgateRequest(ctx, req, domain.RequestOpen, req.DecidedAt); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(2 * time.Minute)
	if n, err := f.flow.Reconcile(ctx); err != nil || n != 1 {
		t.Fatalf("Reconcile = %d, %v; want the request settled again", n, err)
	}
	if req, err := f.st.TollgateRequest(ctx, id); err != nil || req.Status != domain.RequestApproved {
		t.Errorf("request after Reconcile: %+v, %v; want approved", req, err)
	}
	if p, u := f.notes.counts(); p != posts || u != updates {
		t.Errorf("Slack posts/updates %d/%d after Reconcile, want %d/%d (nothing repeated)", p, u, posts, updates)
	}
	if diff := cmp.Diff(trail, f.actions("payroll")); diff != "" {
		t.Errorf("audit trail changed (-before +after):\n%s", diff)
	}
	if got := f.service("payroll").Stage; got != domain.StageTransition {
		t.Errorf("stage %s, want transition", got)
	}
}
