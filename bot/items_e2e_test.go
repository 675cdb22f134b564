package bot_test

// End to end over HTTP: the jobs post reminders through the outbox and the
// bot's sender to the fake Slack; people click their buttons on two bot
// replicas sharing one embedded database.

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/itspm/itspm/bot"
	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/internal/fakeslack"
	"github.com/itspm/itspm/jobs"
	"github.com/itspm/itspm/storage"
	"github.com/itspm/itspm/storage/storetest"
)

type itReplica struct {
	store  *storage.Store
	sender *bot.Sender
	bot    *bot.Server
	srv    *httptest.Server
}

var itKey = bot.ButtonKey("xoxb-test")

func itNewReplica(t *testing.T, st *storage.Store, fake *fakeslack.Server) *itReplica {
	engine := commands.New(st, commands.Options{Now: fixedNow, Logger: quietLogger(), Admins: []string{"U0SAM"}})
	sender := bot.NewSender(bot.NewClient("xoxb-test", "", fake.APIURL()), bot.SenderOptions{Logger: quietLogger(), Pace: -1, Sleep: tgNoSleep, ButtonKey: itKey})
	b := bot.New(engine, sender, st, bot.Options{SigningSecret: secret, BotUserID: fakeslack.DefaultIdentity.BotUserID, Logger: quietLogger(), Now: fixedNow,
		WorkTimeout: time.Minute, Reminders: jobs.Reminders{Store: st}})
	r := &itReplica{store: st, sender: sender, bot: b, srv: httptest.NewServer(b.Handler())}
	t.Cleanup(r.srv.Close)
	return r
}

type itEnv struct {
	t        *testing.T
	fake     *fakeslack.Server
	replicas []*itReplica
}

func newItEnv(t *testing.T) *itEnv {
	fake := fakeslack.New()
	t.Cleanup(fake.Close)
	db := storetest.DatabaseName(t)
	e := &itEnv{t: t, fake: fake}
	for i := range 2 {
		st := storetest.NewNamed(t, db, fixedNow)
		if i == 0 {
			loadSample(t, st)
			snap, err := st.Snapshot(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range snap.People {
				if p.SlackUser != "" {
					fake.AddUser(fakeslack.User{ID: p.SlackUser, Name: p.Name, RealName: p.Label(), Email: p.Email})
				}
			}
		}
		e.replicas = append(e.replicas, itNewReplica(t, st, fake))
	}
	return e
}

// runJob runs one occurrence of a job and delivers its messages.
func (e *itEnv) runJob(name string) {
	e.t.Helper()
	ctx := context.Background()
	st := e.replicas[0].store
	sched, err := jobs.New(jobs.Options{Store: st, Now: fixedNow, Logger: quietLogger()})
	if err != nil {
		e.t.Fatal(err)
	}
	res, err := sched.RunNow(ctx, name, now)
	if err != nil || res.Err != nil {
		e.t.Fatalf("%s: %v %v", name, err, res.Err)
	}
	sender := jobs.NewSender(jobs.SenderOptions{Store: st, Notifier: e.replicas[0].sender, Now: fixedNow, Logger: quietLogger(),
		Render: func(jobs.Chart) ([]byte, error) { return []byte("png"), nil }})
	dctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if failed, err := sender.Drain(dctx, res.Occurrence); err != nil || failed != 0 {
		e.t.Fatalf("drain %s: %d failed, %v", name, failed, err)
	}
}

func (e *itEnv) interact(r int, payload any) reply {
	e.t.Helper()
	b, err := json.Marshal(payload)
	if err != nil {
		e.t.Fatal(err)
	}
	return do(e.t, signedRequest(e.t, e.replicas[r].srv.URL, "/slack/interactions", formType, []byte(url.Values{"payload": {string(b)}}.Encode()), now))
}

func (e *itEnv) drain() {
	e.t.Helper()
	for i, r := range e.replicas {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if err := r.bot.Shutdown(ctx); err != nil {
			e.t.Fatalf("shutdown: %v", err)
		}
		cancel()
		e.replicas[i] = itNewReplica(e.t, r.store, e.fake)
	}
}

// reminder is the message in channel holding a button actionID for svc,
// and that button's value.
func (e *itEnv) reminder(channel, actionID, svc string) (fakeslack.Message, string) {
	e.t.Helper()
	for _, m := range e.fake.Messages(channel) {
		for _, b := range buttonsOf(e.t, m.Blocks) {
			if b.actionID == actionID || strings.HasPrefix(b.actionID, actionID+"#") {
				if strings.Contains(b.value, "s="+svc+"&") {
					return m, b.value
				}
			}
		}
	}
	e.t.Fatalf("no %s button for %s in %s", actionID, svc, channel)
	return fakeslack.Message{}, ""
}

func itClick(user, action, value, channel, ts, responseURL string) map[string]any {
	c := blockActions(user, action, value, responseURL)
	c["container"] = map[string]any{"type": "message", "channel_id": channel, "message_ts": ts}
	c["channel"] = map[string]any{"id": channel}
	return c
}

func itSubmit(user string, v fakeslack.View, values map[string]any) map[string]any {
	return map[string]any{
		"type": "view_submission", "user": map[string]any{"id": user}, "trigger_id": nextTrigger(),
		"view": map[string]any{"id": v.ID, "type": "modal", "callback_id": v.CallbackID, "private_metadata": v.PrivateMetadata, "hash": v.Hash,
			"state": map[string]any{"values": values}},
	}
}

func drValues(result, date, notes string) map[string]any {
	return map[string]any{
		"result": map[string]any{"result": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": result}}},
		"date":   map[string]any{"date": map[string]any{"type": "datepicker", "selected_date": date}},
		"notes":  map[string]any{"notes": map[string]any{"type": "plain_text_input", "value": notes}},
	}
}

func (e *itEnv) service(name string) *domain.Service {
	e.t.Helper()
	snap, err := e.replicas[0].store.Snapshot(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return snap.Services[name]
}

func (e *itEnv) trail(svc, action string) int {
	return tgCountActions(e.t, e.replicas[0].store, svc)[action]
}

func (e *itEnv) wait(what string, cond func() bool) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := e.fake.WaitFor(ctx, cond); err != nil {
		e.t.Fatalf("waiting for %s: %v", what, err)
	}
}

// The DR reminder's Record result: refused for a non-owner and a tampered
// value, a modal for the owner whose bad input stays in the modal, and two
// people submitting at once on two replicas record one test; the reminder
// is updated in place once, and a later click says it was handled.
func TestRecordResultClickedOnTwoReplicas(t *testing.T) {
	e := newItEnv(t)
	e.runJob(jobs.ContinuityTests)
	dm := fakeslack.DMChannel("U0LEE")
	msg, value := e.reminder(dm, commands.ActionRecordDR, "payroll")

	// Someone who neither owns nor manages payroll: refused, no modal.
	e.interact(0, itClick("U0OMAR", commands.ActionRecordDR, value, dm, msg.TS, e.fake.ResponseURL("omar")))
	e.drain()
	if r := e.fake.Responses("omar"); len(r) != 1 || !strings.Contains(r[0].Text, "Only Payroll's owner") || r[0].ResponseType != "ephemeral" {
		t.Fatalf("non-owner's click answered %+v", r)
	}
	// A changed value: refused.
	forged := strings.Replace(value, "s=payroll", "s=email", 1)
	e.interact(1, itClick("U0LEE", commands.ActionRecordDR, forged, dm, msg.TS, e.fake.ResponseURL("forged")))
	e.drain()
	if r := e.fake.Responses("forged"); len(r) != 1 || !strings.Contains(r[0].Text, "not one of mine") {
		t.Fatalf("tampered click answered %+v", r)
	}
	if n := len(e.fake.Opened()); n != 0 {
		t.Fatalf("%d modals opened for refused clicks", n)
	}

	// The owner: the modal.
	e.interact(0, itClick("U0LEE", commands.ActionRecordDR, value, dm, msg.TS, e.fake.ResponseURL("lee")))
	e.drain()
	opened := e.fake.Opened()
	if len(opened) != 1 || opened[0].CallbackID != bot.CallbackRecordDR {
		t.Fatalf("modals opened: %+v", opened)
	}
	modal := opened[0]
	// Bad input and a forged metadata stay in the modal.
	for _, tc := range []struct {
		name, user string
		v          fakeslack.View
		values     map[string]any
		want       string
	}{
		{"future date", "U0LEE", modal, drValues("pass", "2027-01-01", ""), "in the future"},
		{"no result", "U0LEE", modal, drValues("", "2026-11-27", ""), "pass, partial or fail"},
		{"not permitted", "U0OMAR", modal, drValues("pass", "2026-11-27", ""), "Only Payroll's owner"},
		{"forged metadata", "U0LEE", fakeslack.View{ID: modal.ID, CallbackID: modal.CallbackID, PrivateMetadata: strings.Replace(modal.PrivateMetadata, "payroll", "email", 1)}, drValues("pass", "2026-11-27", ""), "not one of mine"},
	} {
		got := e.interact(1, itSubmit(tc.user, tc.v, tc.values))
		if !strings.Contains(got.body, `"response_action":"errors"`) || !strings.Contains(got.body, tc.want) {
			t.Errorf("%s: modal answer %s, want errors with %q", tc.name, got.body, tc.want)
		}
	}
	if n := e.trail("payroll", "dr.record"); n != 0 {
		t.Fatalf("refused submissions recorded %d tests", n)
	}

	// Lee and Dana (the portfolio manager) submit at once, on two replicas.
	var wg sync.WaitGroup
	for i, who := range []string{"U0LEE", "U0DANA"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got := e.interact(i, itSubmit(who, modal, drValues([]string{"pass", "fail"}[i], "2026-11-26", "failover in 40 min"))); got.status != http.StatusOK || got.body != "" {
				t.Errorf("submission ack %d %q", got.status, got.body)
			}
		}()
	}
	wg.Wait()
	e.drain()
	if n := e.trail("payroll", "dr.record"); n != 1 {
		t.Fatalf("two simultaneous submissions recorded %d DR tests, want 1", n)
	}
	last := e.service("payroll").Continuity.LastTest
	if last.Date != "2026-11-26" || last.Notes != "failover in 40 min" {
		t.Fatalf("last test = %+v", last)
	}
	updated, _ := e.fake.Message(dm, msg.TS)
	if len(updated.History) != 2 { // as posted, and once updated
		t.Fatalf("reminder has %d versions, want 2 (updated once)", len(updated.History))
	}
	text := blocksText(updated.Blocks)
	if !strings.Contains(text, "Recorded by") || !strings.Contains(text, last.Result+", 2026-11-26") {
		t.Errorf("updated reminder lacks the record:\n%s", text)
	}
	for _, b := range buttonsOf(t, updated.Blocks) {
		if strings.HasPrefix(b.actionID, commands.ActionRecordDR) && strings.Contains(b.value, "s=payroll&") {
			t.Errorf("payroll's Record result button is still there")
		}
	}
	// One of the two recorded it, the other was told nothing changed.
	recorded, told := 0, 0
	for _, u := range []string{"U0LEE", "U0DANA"} {
		for _, m := range e.fake.Messages(fakeslack.DMChannel(u)) {
			switch {
			case strings.Contains(m.Text, "DR test recorded for Payroll"):
				recorded++
			case strings.Contains(m.Text, "changed nothing") || strings.Contains(m.Text, "Already handled"):
				told++
			}
		}
	}
	if recorded != 1 || told != 1 {
		t.Errorf("answers: %d recorded, %d told nothing changed; want 1 and 1", recorded, told)
	}

	// A second click on the old reminder: handled already, nothing changes.
	e.interact(1, itClick("U0LEE", commands.ActionRecordDR, value, dm, msg.TS, e.fake.ResponseURL("again")))
	e.drain()
	if r := e.fake.Responses("again"); len(r) != 1 || !strings.Contains(r[0].Text, "Already handled") {
		t.Fatalf("second click answered %+v", r)
	}
	if n := e.trail("payroll", "dr.record"); n != 1 {
		t.Fatalf("second click recorded a test")
	}
}

// Roadmap Done and Postpone, and Mark reviewed, clicked: each changes
// what its typed command would, once.
func TestReminderButtonsChangeWhatTheySay(t *testing.T) {
	e := newItEnv(t)
	e.runJob(jobs.RoadmapReminders)
	dm := fakeslack.DMChannel("U0LEE")
	msg, done := e.reminder(dm, commands.ActionRoadmapDone, "payroll")
	before := e.service("payroll")
	e.interact(0, itClick("U0LEE", commands.ActionRoadmapDone, done, dm, msg.TS, e.fake.ResponseURL("done")))
	e.interact(1, itClick("U0DANA", commands.ActionRoadmapDone, done, dm, msg.TS, e.fake.ResponseURL("done2")))
	e.drain()
	if n := e.trail("payroll", "roadmap.done"); n != 1 {
		t.Fatalf("two Done clicks closed %d items, want 1", n)
	}
	it, _ := commands.ParseItem(done[:strings.LastIndex(done, "&m=")])
	after := e.service("payroll")
	changed := 0
	for i := range after.Roadmap {
		if after.Roadmap[i] != before.Roadmap[i] {
			changed++
			if after.Roadmap[i].Title != it.Title || after.Roadmap[i].Status != "done" {
				t.Errorf("changed %+v, want %q done", after.Roadmap[i], it.Title)
			}
		}
	}
	if changed != 1 {
		t.Errorf("%d roadmap items changed", changed)
	}
	if m, _ := e.fake.Message(dm, msg.TS); len(m.History) != 2 {
		t.Errorf("reminder has %d versions, want 2", len(m.History))
	}

	// Postpone another item through its modal.
	m2, _ := e.fake.Message(dm, msg.TS)
	var postpone string
	for _, b := range buttonsOf(t, m2.Blocks) {
		if strings.HasPrefix(b.actionID, commands.ActionRoadmapPostpone) {
			postpone = b.value
			break
		}
	}
	if postpone == "" {
		t.Fatal("no Postpone button left")
	}
	pit, _ := commands.ParseItem(postpone[:strings.LastIndex(postpone, "&m=")])
	e.interact(0, itClick("U0LEE", commands.ActionRoadmapPostpone, postpone, dm, msg.TS, e.fake.ResponseURL("pp")))
	e.drain()
	opened := e.fake.Opened()
	if len(opened) != 1 || opened[0].CallbackID != bot.CallbackRoadmapPostpone {
		t.Fatalf("modals: %+v", opened)
	}
	date := map[string]any{"date": map[string]any{"date": map[string]any{"type": "datepicker", "selected_date": "2027-02-01"}}}
	if got := e.interact(1, itSubmit("U0LEE", opened[0], date)); got.body != "" {
		t.Fatalf("postpone ack %s", got.body)
	}
	e.drain()
	svc := e.service(pit.Service)
	for _, r := range svc.Roadmap {
		if r.Title == pit.Title && r.Due != "2027-02-01" {
			t.Errorf("postponed item due %s", r.Due)
		}
	}
	if m, _ := e.fake.Message(dm, msg.TS); len(m.History) != 3 || !strings.Contains(blocksText(m.Blocks), "Postponed by") {
		t.Errorf("reminder after postpone: %d versions\n%s", len(m.History), blocksText(m.Blocks))
	}

	// Mark reviewed, from the owner's review reminder.
	e.runJob(jobs.PerformanceReviews)
	var rmsg fakeslack.Message
	var rv string
	for _, m := range e.fake.Messages(dm) {
		for _, b := range buttonsOf(t, m.Blocks) {
			if strings.HasPrefix(b.actionID, commands.ActionMarkReviewed) && rv == "" {
				rmsg, rv = m, b.value
			}
		}
	}
	if rv == "" {
		t.Fatal("no Mark reviewed button")
	}
	rit, _ := commands.ParseItem(rv[:strings.LastIndex(rv, "&m=")])
	e.interact(0, itClick("U0LEE", commands.ActionMarkReviewed, rv, dm, rmsg.TS, e.fake.ResponseURL("rev")))
	e.drain()
	var rmodal fakeslack.View
	for _, v := range e.fake.Opened() {
		if v.CallbackID == bot.CallbackMarkReviewed {
			rmodal = v
		}
	}
	notes := map[string]any{"notes": map[string]any{"notes": map[string]any{"type": "plain_text_input", "value": "targets agreed"}}}
	if got := e.interact(1, itSubmit("U0LEE", rmodal, notes)); got.body != "" {
		t.Fatalf("review ack %s", got.body)
	}
	e.drain()
	if got := e.service(rit.Service).Performance.LastReview; got != "2026-11-27" {
		t.Errorf("last review %s", got)
	}
	h, _ := e.replicas[0].store.History(context.Background(), rit.Service, 0)
	reviews := 0
	for _, en := range h {
		if en.Action == "review.done" {
			reviews++
			if !strings.Contains(en.Summary, "targets agreed") || en.Actor != "lee" {
				t.Errorf("review audited as %+v", en)
			}
		}
	}
	if reviews != 1 {
		t.Errorf("%d reviews in the trail, want 1", reviews)
	}
}
