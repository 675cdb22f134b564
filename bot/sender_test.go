package bot_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/itspm/itspm/bot"
	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/internal/fakeslack"
)

func newSender(t *testing.T, o bot.SenderOptions) (*fakeslack.Server, *bot.Sender, *sleepLog) {
	t.Helper()
	fake := fakeslack.New()
	t.Cleanup(fake.Close)
	fake.AddUser(fakeslack.User{ID: "U0LEE", Name: "lee", RealName: "Lee Chen", Email: "lee@example.com"})
	sleeps := &sleepLog{}
	if o.Sleep == nil {
		o.Sleep = sleeps.sleep
	}
	if o.Pace == 0 {
		o.Pace = -1
	}
	o.Logger = quietLogger()
	return fake, bot.NewSender(bot.NewClient("xoxb-test", "", fake.APIURL()), o), sleeps
}

var note = commands.Reply{Title: "Reminder", Text: "DR test of Payroll is due."}

func TestPostRetriesAfterRateLimit(t *testing.T) {
	fake, s, sleeps := newSender(t, bot.SenderOptions{})
	fake.FailNext("chat.postMessage", 1, fakeslack.RateLimited{RetryAfter: 2 * time.Second})
	ch, ts, err := s.Post(context.Background(), "C0PAYROLL", note)
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	if msgs := fake.Messages("C0PAYROLL"); len(msgs) != 1 || msgs[0].TS != ts || ch != "C0PAYROLL" {
		t.Fatalf("messages = %+v (answered %s %s), want the one message", msgs, ch, ts)
	}
	calls := fake.Calls("chat.postMessage")
	if len(calls) != 2 || !calls[0].Faulted || calls[1].Faulted {
		t.Fatalf("%d postMessage calls, want a 429 then one success", len(calls))
	}
	if w := sleeps.waits(); len(w) == 0 || w[0] != 2*time.Second {
		t.Errorf("waited %v before retrying, want Retry-After (2s) first", w)
	}
}

func TestRateLimitAttemptsAreBounded(t *testing.T) {
	fake, s, _ := newSender(t, bot.SenderOptions{Attempts: 3})
	fake.FailNext("chat.postMessage", 5, fakeslack.RateLimited{RetryAfter: time.Second})
	if _, _, err := s.Post(context.Background(), "C0PAYROLL", note); err == nil {
		t.Fatal("post succeeded through five 429s with three attempts")
	}
	if n := len(fake.Calls("chat.postMessage")); n != 3 {
		t.Errorf("%d attempts, want 3", n)
	}
}

func TestPostIsNotRetriedWhenItMayHaveLanded(t *testing.T) {
	tests := []struct {
		name  string
		fault fakeslack.Fault
		posts int // messages that exist afterwards
	}{
		{"server error", fakeslack.ServerError{Status: http.StatusInternalServerError}, 0},
		{"bad gateway", fakeslack.ServerError{Status: http.StatusBadGateway}, 0},
		{"dropped connection", fakeslack.DropConnection{}, 0},
		{"posted then dropped", fakeslack.PostThenDrop{}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake, s, _ := newSender(t, bot.SenderOptions{})
			fake.FailNext("chat.postMessage", 1, tc.fault)
			if _, _, err := s.Post(context.Background(), "C0PAYROLL", note); err == nil {
				t.Fatal("post reported success")
			}
			if n := len(fake.Calls("chat.postMessage")); n != 1 {
				t.Errorf("%d postMessage calls, want exactly 1 (no blind retry)", n)
			}
			if n := len(fake.Messages("C0PAYROLL")); n != tc.posts {
				t.Errorf("%d messages, want %d", n, tc.posts)
			}
		})
	}
}

func TestUpdateIsRetriedAfterServerError(t *testing.T) {
	fake, s, _ := newSender(t, bot.SenderOptions{})
	ctx := context.Background()
	ch, ts, err := s.Post(ctx, "C0BOARD", commands.Reply{Text: "Tollgate request", Actions: []commands.Action{{Label: "Approve", ID: bot.ActionTollgateApprove, Value: "TG-1", Style: "primary"}}})
	if err != nil {
		t.Fatal(err)
	}
	fake.FailNext("chat.update", 1, fakeslack.ServerError{Status: http.StatusServiceUnavailable})
	fake.FailNext("chat.update", 1, fakeslack.DropConnection{})
	if err := s.Update(ctx, ch, ts, commands.Reply{Text: "Approved by " + commands.Mention("U0LEE", "Lee Chen")}); err != nil {
		t.Fatalf("update: %v", err)
	}
	m, _ := fake.Message(ch, ts)
	if len(m.History) != 2 || !strings.Contains(blocksText(m.Blocks), "Approved by <@U0LEE>") || strings.Contains(string(m.Blocks), "tollgate_approve") {
		t.Errorf("message after update: %s (history %d)", m.Blocks, len(m.History))
	}
	if n := len(fake.Calls("chat.update")); n != 3 {
		t.Errorf("%d update calls, want 3 (two failures, one success)", n)
	}
}

func TestPostToUserOpensDMOnce(t *testing.T) {
	fake, s, _ := newSender(t, bot.SenderOptions{})
	ctx := context.Background()
	for range 2 {
		ch, _, err := s.Post(ctx, "U0LEE", note)
		if err != nil {
			t.Fatal(err)
		}
		if ch != fakeslack.DMChannel("U0LEE") {
			t.Errorf("posted to %s, want the DM", ch)
		}
	}
	if n := len(fake.Calls("conversations.open")); n != 1 {
		t.Errorf("conversations.open called %d times, want 1 (cached)", n)
	}
	if n := len(fake.Messages("U0LEE")); n != 2 {
		t.Errorf("%d DMs, want 2", n)
	}
}

func TestResolveUser(t *testing.T) {
	fake, s, _ := newSender(t, bot.SenderOptions{})
	ctx := context.Background()
	tests := []struct {
		name   string
		person domain.Person
		want   string
		err    domain.Code
	}{
		{"slack user", domain.Person{Name: "dana", PersonSpec: domain.PersonSpec{SlackUser: "U0DANA", Email: "dana@example.com"}}, "U0DANA", ""},
		{"by email", domain.Person{Name: "lee", PersonSpec: domain.PersonSpec{Email: "Lee@Example.com"}}, "U0LEE", ""},
		{"by email again (cached)", domain.Person{Name: "lee", PersonSpec: domain.PersonSpec{Email: "lee@example.com"}}, "U0LEE", ""},
		{"unknown email", domain.Person{Name: "ghost", PersonSpec: domain.PersonSpec{Email: "ghost@example.com"}}, "", domain.NotFound},
		{"nothing to go by", domain.Person{Name: "anon"}, "", domain.NotFound},
	}
	for _, tc := range tests {
		got, err := s.ResolveUser(ctx, tc.person)
		if got != tc.want || domain.ErrorCode(err) != tc.err {
			t.Errorf("%s: got %q, %v; want %q, code %q", tc.name, got, err, tc.want, tc.err)
		}
	}
	if n := len(fake.Calls("users.lookupByEmail")); n != 2 {
		t.Errorf("users.lookupByEmail called %d times, want 2 (lee once, ghost once)", n)
	}
}

func TestUpload(t *testing.T) {
	fake, s, _ := newSender(t, bot.SenderOptions{})
	png := []byte("\x89PNG\r\n\x1a\nfake chart")
	if err := s.Upload(context.Background(), "C0PAYROLL", "payroll-2026-10.png", "Payroll: October", png, "Monthly review"); err != nil {
		t.Fatalf("upload: %v", err)
	}
	ups := fake.Uploads()
	if len(ups) != 1 {
		t.Fatalf("%d uploads", len(ups))
	}
	u := ups[0]
	if u.Filename != "payroll-2026-10.png" || u.Title != "Payroll: October" || string(u.Bytes) != string(png) || u.InitialComment != "Monthly review" || len(u.Channels) != 1 || u.Channels[0] != "C0PAYROLL" {
		t.Errorf("upload = %+v", u)
	}
}

func TestPacingPerChannel(t *testing.T) {
	// A fake clock that only moves when the sender waits.
	var mu sync.Mutex
	clock := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	var waited []time.Duration
	o := bot.SenderOptions{
		Pace: time.Second,
		Now:  func() time.Time { mu.Lock(); defer mu.Unlock(); return clock },
		Sleep: func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			defer mu.Unlock()
			waited = append(waited, d)
			clock = clock.Add(d)
			return nil
		},
	}
	fake, s, _ := newSender(t, o)
	ctx := context.Background()
	for _, ch := range []string{"C0A", "C0A", "C0B", "C0A"} {
		if _, _, err := s.Post(ctx, ch, note); err != nil {
			t.Fatal(err)
		}
	}
	// C0A: now, +1s, +1s; C0B is independent and goes at once.
	want := []time.Duration{0, time.Second, 0, time.Second}
	mu.Lock()
	got := append([]time.Duration(nil), waited...)
	mu.Unlock()
	if len(got) != len(want) {
		t.Fatalf("waits %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("waits %v, want %v", got, want)
			break
		}
	}
	if n := len(fake.Messages("C0A")); n != 3 {
		t.Errorf("%d messages in C0A", n)
	}
}

func TestEphemeralAndHome(t *testing.T) {
	fake, s, _ := newSender(t, bot.SenderOptions{})
	ctx := context.Background()
	if err := s.Ephemeral(ctx, "C0PAYROLL", "U0LEE", note); err != nil {
		t.Fatal(err)
	}
	if e := fake.Ephemerals("C0PAYROLL"); len(e) != 1 || e[0].User != "U0LEE" {
		t.Errorf("ephemerals = %+v", e)
	}
	// The home tab allows 100 blocks.
	var lines []commands.Section
	for range 70 {
		lines = append(lines, commands.Section{Text: "a section"})
	}
	if err := s.PublishHome(ctx, "U0LEE", commands.Reply{Title: "Home", Sections: lines}); err != nil {
		t.Fatal(err)
	}
	if v := fake.Published("U0LEE"); len(v) != 1 || strings.Count(string(v[0].Blocks), `"type":"section"`) != 70 {
		t.Errorf("home not published with all 70 sections")
	}
}
