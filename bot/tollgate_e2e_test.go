package bot_test

// End-to-end tollgate approvals over HTTP: signed Slack requests into the
// real bot, the real engine and tollgate workflow, the embedded store, and
// the fake Slack Web API receiving what the bot sends.

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
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
	"github.com/itspm/itspm/questions"
	"github.com/itspm/itspm/storage"
	"github.com/itspm/itspm/storage/storetest"
	"github.com/itspm/itspm/tollgates"
)

// tgApprovalMessage waits for the approval message with buttons in channel
// that names service, and returns it with its request ID.
func tgApprovalMessage(e *env, channel, service string) (fakeslack.Message, string) {
	e.t.Helper()
	var msg fakeslack.Message
	e.wait("approval message in "+channel, func() bool {
		for _, m := range e.fake.Messages(channel) {
			if strings.Contains(string(m.Blocks), "tollgate_approve") && strings.Contains(string(m.Blocks), "TG-"+service+"-") {
				msg = m
				return true
			}
		}
		return false
	})
	return msg, tgRequestID(e.t, msg.Blocks)
}

// tgRequestID is the value of the Approve button, checking that the message
// carries exactly the Approve and Reject buttons for one request.
func tgRequestID(t *testing.T, blocks []byte) string {
	t.Helper()
	got := buttonsOf(t, blocks)
	if len(got) != 2 || got[0].actionID != "tollgate_approve" || got[1].actionID != "tollgate_reject" || got[0].value != got[1].value {
		t.Fatalf("approval message buttons = %+v, want Approve and Reject for one request", got)
	}
	return got[0].value
}

// tgClick is a click on a tollgate button in the board's message.
func tgClick(user, action, requestID, channel, ts, responseURL string) map[string]any {
	c := blockActions(user, action, requestID, responseURL)
	c["container"] = map[string]any{"type": "message", "channel_id": channel, "message_ts": ts}
	c["channel"] = map[string]any{"id": channel}
	return c
}

// tgSubmitReason is the reject modal's view_submission.
func tgSubmitReason(user string, modal fakeslack.View, reason string) map[string]any {
	return map[string]any{
		"type":       "view_submission",
		"user":       map[string]any{"id": user},
		"trigger_id": nextTrigger(),
		"view": map[string]any{
			"id": modal.ID, "type": "modal", "callback_id": modal.CallbackID, "private_metadata": modal.PrivateMetadata, "hash": modal.Hash,
			"state": map[string]any{"values": map[string]any{"reason": map[string]any{"reason": map[string]any{"type": "plain_text_input", "value": reason}}}},
		},
	}
}

func tgStage(t *testing.T, st *storage.Store, service string) domain.Stage {
	t.Helper()
	snap, err := st.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return snap.Services[service].Stage
}

func tgCountActions(t *testing.T, st *storage.Store, service string) map[string]int {
	t.Helper()
	h, err := st.History(context.Background(), service, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, e := range h {
		out[e.Action]++
	}
	return out
}

// The whole flow as people live it: the owner types the command, the board
// channel gets the message with buttons, two members click, the service
// moves, the message is updated in place and the requester gets a DM.
func TestTollgateEndToEndOverHTTP(t *testing.T) {
	e := newEnv(t, func(c *envConfig) { c.flow = true })
	// security-monitoring: owner aisha, design; tg-transition goes to the
	// Design Authority (dana, lee, sam; C0BOARD), quorum 2.
	if got := e.slashCommand("U0AISHA", "tollgate security-monitoring transition", "open"); got.status != http.StatusOK {
		t.Fatalf("slash command ack %d", got.status)
	}
	opened := e.responses("open", 1)[0]
	if opened.ResponseType != "ephemeral" || !strings.Contains(opened.Text+string(opened.Blocks), "TG-security-monitoring-1") {
		t.Fatalf("requester's answer = %+v", opened)
	}
	msg, id := tgApprovalMessage(e, "C0BOARD", "security-monitoring")
	if id != "TG-security-monitoring-1" {
		t.Fatalf("request ID = %s", id)
	}
	text := blocksText(msg.Blocks)
	for _, want := range []string{"design → transition", "<@U0AISHA>", "Tier 1", "☐ Service design package approved", "☐ DR plan documented"} {
		if !strings.Contains(text, want) {
			t.Errorf("approval message lacks %q:\n%s", want, text)
		}
	}
	e.wait("line in the service channel", func() bool { return len(e.fake.Messages("C0SOC")) == 1 })

	// Refusals first: the requester, and someone not on the board.
	for i, who := range []string{"U0AISHA", "U0OMAR"} {
		name := fmt.Sprintf("refused-%d", i)
		e.interaction(tgClick(who, "tollgate_approve", id, "C0BOARD", msg.TS, e.fake.ResponseURL(name)))
		r := e.responses(name, 1)[0]
		if r.ResponseType != "ephemeral" || r.ReplaceOriginal {
			t.Errorf("%s's refusal = %+v, want an ephemeral answer", who, r)
		}
	}
	if got := e.fake.Responses("refused-0")[0].Text; !strings.Contains(got, "You requested "+id) {
		t.Errorf("requester's click: %q", got)
	}
	if got := e.fake.Responses("refused-1")[0].Text; !strings.Contains(got, "Only members of the Design Authority") {
		t.Errorf("outsider's click: %q", got)
	}

	e.interaction(tgClick("U0DANA", "tollgate_approve", id, "C0BOARD", msg.TS, e.fake.ResponseURL("dana")))
	if r := e.responses("dana", 1)[0]; !strings.Contains(r.Text, "1 of 2 approvals") {
		t.Errorf("first vote answer: %q", r.Text)
	}
	// The same member again: told, nothing changes.
	e.interaction(tgClick("U0DANA", "tollgate_approve", id, "C0BOARD", msg.TS, e.fake.ResponseURL("dana-again")))
	if r := e.responses("dana-again", 1)[0]; !strings.Contains(r.Text, "You already approved "+id+" at 09:00") {
		t.Errorf("second click: %q", r.Text)
	}
	e.interaction(tgClick("U0LEE", "tollgate_approve", id, "C0BOARD", msg.TS, e.fake.ResponseURL("lee")))
	if r := e.responses("lee", 1)[0]; !strings.Contains(r.Text, "That decided it: approved") {
		t.Errorf("deciding vote answer: %q", r.Text)
	}

	e.wait("approval message updated", func() bool {
		m, _ := e.fake.Message("C0BOARD", msg.TS)
		return m.Edited()
	})
	aisha := fakeslack.DMChannel("U0AISHA")
	e.wait("DM to the requester", func() bool { return len(e.fake.Messages(aisha)) == 1 })
	// Late clicks after the decision change nothing.
	e.interaction(tgClick("U0SAM", "tollgate_approve", id, "C0BOARD", msg.TS, e.fake.ResponseURL("late")))
	if r := e.responses("late", 1)[0]; !strings.Contains(r.Text, "already decided: approved by Dana Ortiz at 09:00 and Lee Chen at 09:00") {
		t.Errorf("late click: %q", r.Text)
	}
	e.shutdown()

	if got := tgStage(t, e.store, "security-monitoring"); got != domain.StageTransition {
		t.Errorf("stage = %s, want transition", got)
	}
	final, _ := e.fake.Message("C0BOARD", msg.TS)
	if len(final.History) != 2 || len(buttonsOf(t, final.Blocks)) != 0 {
		t.Errorf("board message: %d versions, buttons %v; want 2 versions and no buttons", len(final.History), buttonsOf(t, final.Blocks))
	}
	finalText := blocksText(final.Blocks)
	for _, want := range []string{"Approved", "<@U0DANA> approved at 09:00", "<@U0LEE> approved at 09:00"} {
		if !strings.Contains(finalText, want) {
			t.Errorf("final message lacks %q:\n%s", want, finalText)
		}
	}
	if n := len(e.fake.Calls("chat.update")); n != 1 {
		t.Errorf("chat.update calls = %d, want 1", n)
	}
	dm := e.fake.Messages(aisha)[0]
	if !strings.Contains(dm.Text+blocksText(dm.Blocks), "was approved") {
		t.Errorf("DM = %q", dm.Text+blocksText(dm.Blocks))
	}
	if soc := e.fake.Messages("C0SOC"); len(soc) != 2 || !strings.Contains(soc[1].Text+blocksText(soc[1].Blocks), "moved from design to transition") {
		t.Errorf("service channel = %+v", soc)
	}
	counts := tgCountActions(t, e.store, "security-monitoring")
	if counts["tollgate.request"] != 1 || counts["tollgate.vote"] != 2 || counts["tollgate.decision"] != 1 || counts["stage.change"] != 1 {
		t.Errorf("audit trail counts = %v", counts)
	}
	h, _ := e.store.History(context.Background(), "security-monitoring", 0)
	for _, en := range h {
		if en.Action == "tollgate.vote" && !strings.Contains(en.Source, "C0BOARD") {
			t.Errorf("vote audited from %q, want the board channel", en.Source)
		}
	}
}

// Reject opens a modal; submitting it without a reason keeps it open with
// an error; with a reason the request is rejected.
func TestTollgateRejectModalOverHTTP(t *testing.T) {
	e := newEnv(t, func(c *envConfig) { c.flow = true })
	// privileged-access: owner nina, design → transition (Design Authority).
	e.slashCommand("U0NINA", "tollgate privileged-access transition", "open")
	e.responses("open", 1)
	msg, id := tgApprovalMessage(e, "C0BOARD", "privileged-access")

	e.interaction(tgClick("U0SAM", "tollgate_reject", id, "C0BOARD", msg.TS, e.fake.ResponseURL("reject")))
	e.wait("reject modal", func() bool { return len(e.fake.Opened()) == 1 })
	modal := e.fake.Opened()[0]
	if modal.CallbackID != bot.CallbackTollgateReject || modal.PrivateMetadata != id {
		t.Fatalf("modal %q for %q", modal.CallbackID, modal.PrivateMetadata)
	}

	// Without a reason: errors in the acknowledgement, nothing recorded.
	got := e.interaction(tgSubmitReason("U0SAM", modal, "  "))
	var ack struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	if err := json.Unmarshal([]byte(got.body), &ack); err != nil || got.status != http.StatusOK || ack.ResponseAction != "errors" || ack.Errors["reason"] == "" {
		t.Fatalf("submission without a reason: %d %s", got.status, got.body)
	}
	votes, err := e.store.TollgateVotes(context.Background(), []string{id})
	if err != nil || len(votes[id]) != 0 {
		t.Fatalf("votes after an empty submission = %v, %v", votes, err)
	}

	// With a reason: closes the modal (empty ack) and rejects.
	got = e.interaction(tgSubmitReason("U0SAM", modal, "No DR plan yet"))
	if got.status != http.StatusOK || strings.Contains(got.body, "errors") {
		t.Fatalf("submission with a reason: %d %s", got.status, got.body)
	}
	e.wait("approval message updated", func() bool {
		m, _ := e.fake.Message("C0BOARD", msg.TS)
		return m.Edited()
	})
	nina := fakeslack.DMChannel("U0NINA")
	e.wait("DM to the requester", func() bool { return len(e.fake.Messages(nina)) == 1 })
	e.shutdown()

	final, _ := e.fake.Message("C0BOARD", msg.TS)
	text := blocksText(final.Blocks)
	if !strings.Contains(text, "Rejected") || !strings.Contains(text, "No DR plan yet") || len(buttonsOf(t, final.Blocks)) != 0 {
		t.Errorf("final message:\n%s", text)
	}
	if got := tgStage(t, e.store, "privileged-access"); got != domain.StageDesign {
		t.Errorf("stage = %s, want design", got)
	}
	d, err := e.store.TollgateDecision(context.Background(), id)
	if err != nil || d.Outcome != domain.Rejected || d.By != "sam" || d.Comment != "No DR plan yet" {
		t.Errorf("decision = %+v, %v", d, err)
	}
	// The rejecter hears back in their DM (a modal has no response_url).
	sam := e.fake.Messages(fakeslack.DMChannel("U0SAM"))
	if len(sam) != 1 || !strings.Contains(sam[0].Text+blocksText(sam[0].Blocks), "That decided it: rejected") {
		t.Errorf("rejecter's answer = %+v", sam)
	}
}

// tgReplica is one `serve` instance: its own store connection and snapshot
// cache, engine, sender and HTTP server, on the shared database.
type tgReplica struct {
	store *storage.Store
	bot   *bot.Server
	srv   *httptest.Server
}

func tgNoSleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

func tgNewReplica(t *testing.T, st *storage.Store, fake *fakeslack.Server) *tgReplica {
	engine := commands.New(st, commands.Options{Now: fixedNow, Logger: quietLogger()})
	engine.SetQuestions(questions.New(engine))
	sender := bot.NewSender(bot.NewClient("xoxb-test", "", fake.APIURL()), bot.SenderOptions{Logger: quietLogger(), Pace: -1, Sleep: tgNoSleep})
	engine.SetWorkflow(tollgates.New(engine, st, sender, tollgates.Options{Logger: quietLogger()}))
	// A generous work timeout: under -race on a busy machine 50 clicks on
	// one request queue on the database, and this test is about
	// exactly-once, not latency.
	b := bot.New(engine, sender, st, bot.Options{SigningSecret: secret, BotUserID: fakeslack.DefaultIdentity.BotUserID, Logger: quietLogger(), Now: fixedNow,
		WorkTimeout: 2 * time.Minute})
	r := &tgReplica{store: st, bot: b, srv: httptest.NewServer(b.Handler())}
	t.Cleanup(r.srv.Close)
	return r
}

// tgRaceCatalog: race-1…race-N in transition, owned by lee, pass tg-operate
// to a board of 48 members (quorum 2).
func tgRaceCatalog(services int) *domain.Catalog {
	cat := &domain.Catalog{
		People:     []domain.Person{{Name: "lee", PersonSpec: domain.PersonSpec{DisplayName: "Lee Chen", SlackUser: "U0LEE"}}},
		Portfolios: []domain.Portfolio{{Name: "workplace", PortfolioSpec: domain.PortfolioSpec{Manager: "lee"}}},
		Tollgates: []domain.Tollgate{{Name: "tg-operate", TollgateSpec: domain.TollgateSpec{
			From: domain.StageTransition, To: domain.StageOperate, Board: "big-board", Quorum: 2, Criteria: []string{"Acceptance tests passed"}}}},
	}
	board := domain.Board{Name: "big-board", BoardSpec: domain.BoardSpec{Title: "Big Board", Channel: "C0BIG"}}
	for i := 1; i <= 48; i++ {
		name := fmt.Sprintf("m%02d", i)
		cat.People = append(cat.People, domain.Person{Name: name, PersonSpec: domain.PersonSpec{SlackUser: fmt.Sprintf("U0M%02d", i)}})
		board.Members = append(board.Members, name)
	}
	cat.Boards = []domain.Board{board}
	for i := 1; i <= services; i++ {
		cat.Services = append(cat.Services, domain.Service{Name: fmt.Sprintf("race-%d", i), ServiceSpec: domain.ServiceSpec{
			Portfolio: "workplace", Owner: "lee", Stage: domain.StageTransition, Tier: 2, Channel: "C0RACE"}})
	}
	return cat
}

// 50 simultaneous clicks, Approve and Reject, by 40 members (ten of them
// twice), spread over two bot servers sharing one database: one decision,
// consistent with the stored votes, one stage change, one chat.update with
// the final outcome, one DM, and one answer per click.
func TestTollgateClickRaceAcrossTwoServers(t *testing.T) {
	const reps = 5
	ctx := context.Background()
	fake := fakeslack.New()
	t.Cleanup(fake.Close)
	cat := tgRaceCatalog(reps)
	for _, p := range cat.People {
		fake.AddUser(fakeslack.User{ID: p.SlackUser, Name: p.Name})
	}
	db := storetest.DatabaseName(t)
	var replicas []*tgReplica
	for i := range 2 {
		st := storetest.NewNamed(t, db, fixedNow)
		if i == 0 {
			if _, err := st.Apply(ctx, cat, "test", "race"); err != nil {
				t.Fatal(err)
			}
		}
		replicas = append(replicas, tgNewReplica(t, st, fake))
	}
	post := func(r *tgReplica, path string, body []byte) int {
		req := signedRequest(t, r.srv.URL, path, formType, body, now)
		return do(t, req).status
	}
	interact := func(r *tgReplica, payload any) int {
		b, err := json.Marshal(payload)
		if err != nil {
			t.Error(err)
			return 0
		}
		return post(r, "/slack/interactions", []byte(url.Values{"payload": {string(b)}}.Encode()))
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		if err := fake.WaitFor(wctx, cond); err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}

	rng := rand.New(rand.NewPCG(7, 11))
	for rep := 1; rep <= reps; rep++ {
		svc := fmt.Sprintf("race-%d", rep)
		if got := post(replicas[rep%2], "/slack/commands", []byte(slashForm("U0LEE", "tollgate "+svc+" operate", fake.ResponseURL(svc)).Encode())); got != http.StatusOK {
			t.Fatalf("slash command: %d", got)
		}
		var msg fakeslack.Message
		waitFor("approval message for "+svc, func() bool {
			for _, m := range fake.Messages("C0BIG") {
				if strings.Contains(string(m.Blocks), "TG-"+svc+"-1") {
					msg = m
					return true
				}
			}
			return false
		})
		id := tgRequestID(t, msg.Blocks)

		start := make(chan struct{})
		var wg sync.WaitGroup
		names := make([]string, 50)
		for i := range 50 {
			voter := fmt.Sprintf("U0M%02d", i%40+1)
			action := "tollgate_approve"
			if rng.IntN(6) == 0 {
				// Reject goes through the modal: submit the reason directly,
				// as Slack does after the modal is filled in.
				action = "tollgate_reject"
			}
			names[i] = fmt.Sprintf("%s-click-%d", svc, i)
			r := replicas[i%2]
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				var status int
				if action == "tollgate_approve" {
					status = interact(r, tgClick(voter, action, id, "C0BIG", msg.TS, fake.ResponseURL(names[i])))
				} else {
					modal := fakeslack.View{ID: "V" + names[i], CallbackID: bot.CallbackTollgateReject, PrivateMetadata: id}
					status = interact(r, tgSubmitReason(voter, modal, "not ready"))
					names[i] = "" // answered by DM, not on a response_url
				}
				if status != http.StatusOK {
					t.Errorf("click ack %d", status)
				}
			}()
		}
		close(start)
		wg.Wait()
		waitFor("the decision's update", func() bool {
			m, _ := fake.Message("C0BIG", msg.TS)
			return m.Edited()
		})
		for _, r := range replicas { // drain the acknowledged work
			sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
			if err := r.bot.Shutdown(sctx); err != nil {
				t.Fatalf("shutdown: %v", err)
			}
			cancel()
		}

		st := replicas[0].store
		d, err := st.TollgateDecision(ctx, id)
		if err != nil {
			t.Fatalf("%s: decision: %v", id, err)
		}
		votes, err := st.TollgateVotes(ctx, []string{id})
		if err != nil {
			t.Fatal(err)
		}
		out, n := domain.Decide(votes[id], 2)
		if out != d.Outcome || n != len(votes[id]) || len(d.Votes) != n {
			t.Fatalf("%s: decision %s over %d votes; the %d stored votes decide %s after %d", id, d.Outcome, len(d.Votes), len(votes[id]), out, n)
		}
		wantStage := map[domain.Outcome]domain.Stage{domain.Approved: domain.StageOperate, domain.Rejected: domain.StageTransition}[d.Outcome]
		if got := tgStage(t, st, svc); got != wantStage {
			t.Errorf("%s: stage %s, want %s", id, got, wantStage)
		}
		counts := tgCountActions(t, st, svc)
		if counts["stage.change"] != map[domain.Outcome]int{domain.Approved: 1}[d.Outcome] || counts["tollgate.decision"] != 1 || counts["tollgate.vote"] != n {
			t.Errorf("%s (%s): audit counts %v", id, d.Outcome, counts)
		}
		updates := 0
		for _, c := range fake.Calls("chat.update") {
			if c.Params.Get("ts") == msg.TS {
				updates++
			}
		}
		final, _ := fake.Message("C0BIG", msg.TS)
		wantTitle := map[domain.Outcome]string{domain.Approved: "Approved", domain.Rejected: "Rejected"}[d.Outcome]
		if updates != 1 || len(buttonsOf(t, final.Blocks)) != 0 || !strings.Contains(blocksText(final.Blocks), wantTitle) {
			t.Errorf("%s: %d chat.update calls; final message:\n%s", id, updates, blocksText(final.Blocks))
		}
		dms := 0
		for _, m := range fake.Messages(fakeslack.DMChannel("U0LEE")) {
			if strings.Contains(m.Text+blocksText(m.Blocks), id+" was") {
				dms++
			}
		}
		if dms != 1 {
			t.Errorf("%s: %d DMs to the requester, want 1", id, dms)
		}
		for _, name := range names {
			if name == "" {
				continue
			}
			if rs := fake.Responses(name); len(rs) != 1 || rs[0].ResponseType != "ephemeral" {
				t.Errorf("%s: click %s got %d answers", id, name, len(rs))
			}
		}

		// Fresh servers for the next round (Shutdown is final).
		for i, r := range replicas {
			r.srv.Close()
			replicas[i] = tgNewReplica(t, r.store, fake)
		}
	}
}
