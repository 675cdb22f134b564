package fakeslack_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/itspm/itspm/internal/fakeslack"
)

const token = "xoxb-test-token"

func setup(t *testing.T) (*fakeslack.Server, *slack.Client) {
	t.Helper()
	srv := fakeslack.New()
	t.Cleanup(srv.Close)
	return srv, slack.New(token, slack.OptionAPIURL(srv.APIURL()))
}

func section(text string) slack.Block {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil)
}

func TestAuthTestAndToken(t *testing.T) {
	srv, api := setup(t)
	ctx := context.Background()
	resp, err := api.AuthTestContext(ctx)
	if err != nil {
		t.Fatalf("auth.test: %v", err)
	}
	id := fakeslack.DefaultIdentity
	if resp.UserID != id.BotUserID || resp.TeamID != id.TeamID || resp.BotID != id.BotID {
		t.Errorf("auth.test = %+v, want identity %+v", resp, id)
	}
	calls := srv.Calls("auth.test")
	if len(calls) != 1 || calls[0].Token != token {
		t.Fatalf("calls = %+v, want one with the token", calls)
	}

	bad := slack.New("xoxp-user-token", slack.OptionAPIURL(srv.APIURL()))
	if _, err := bad.AuthTestContext(ctx); err == nil || err.Error() != "invalid_auth" {
		t.Errorf("non-bot token: err = %v, want invalid_auth", err)
	}
	srv.SetToken("xoxb-only-this")
	if _, err := api.AuthTestContext(ctx); err == nil || err.Error() != "invalid_auth" {
		t.Errorf("restricted token: err = %v, want invalid_auth", err)
	}
	if _, err := slack.New("xoxb-only-this", slack.OptionAPIURL(srv.APIURL())).AuthTestContext(ctx); err != nil {
		t.Errorf("the accepted token: %v", err)
	}
}

func TestPostUpdateDelete(t *testing.T) {
	srv, api := setup(t)
	ctx := context.Background()

	ch, ts, err := api.PostMessageContext(ctx, "C0001",
		slack.MsgOptionText("fallback", false),
		slack.MsgOptionBlocks(section("*hello*")))
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	if ch != "C0001" || ts != "1764201600.000100" {
		t.Errorf("post = %s %s, want C0001 1764201600.000100", ch, ts)
	}
	_, ts2, err := api.PostMessageContext(ctx, "C0001", slack.MsgOptionText("reply", false), slack.MsgOptionTS(ts))
	if err != nil {
		t.Fatalf("threaded post: %v", err)
	}

	msgs := srv.Messages("C0001")
	if len(msgs) != 2 {
		t.Fatalf("messages = %d, want 2", len(msgs))
	}
	if msgs[0].Text != "fallback" || !strings.Contains(string(msgs[0].Blocks), "*hello*") {
		t.Errorf("message 0 = %q %s", msgs[0].Text, msgs[0].Blocks)
	}
	if msgs[1].ThreadTS != ts || msgs[1].TS != ts2 {
		t.Errorf("reply thread_ts=%q ts=%q, want %q %q", msgs[1].ThreadTS, msgs[1].TS, ts, ts2)
	}

	// Update changes the text, keeps the blocks (not sent), records history.
	if _, _, _, err := api.UpdateMessageContext(ctx, "C0001", ts, slack.MsgOptionText("edited", false)); err != nil {
		t.Fatalf("update: %v", err)
	}
	m, ok := srv.Message("C0001", ts)
	if !ok || m.Text != "edited" || !m.Edited() || len(m.History) != 2 || m.History[0].Text != "fallback" {
		t.Fatalf("after update: %+v", m)
	}
	if !strings.Contains(string(m.Blocks), "*hello*") {
		t.Errorf("blocks not kept by update: %s", m.Blocks)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, "C0001", ts, slack.MsgOptionBlocks(section("v3"))); err != nil {
		t.Fatalf("update blocks: %v", err)
	}
	if m, _ := srv.Message("C0001", ts); !strings.Contains(string(m.Blocks), "v3") || len(m.History) != 3 {
		t.Errorf("after second update: %s, %d versions", m.Blocks, len(m.History))
	}
	_, _, _, err = api.UpdateMessageContext(ctx, "C0001", "1.000000", slack.MsgOptionText("x", false))
	if err == nil || err.Error() != "message_not_found" {
		t.Errorf("update of unknown ts: %v, want message_not_found", err)
	}

	if _, _, err := api.DeleteMessageContext(ctx, "C0001", ts2); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if m, _ := srv.Message("C0001", ts2); m.TS != "" {
		t.Errorf("deleted message still found")
	}
	if msgs := srv.Messages("C0001"); !msgs[1].Deleted {
		t.Errorf("deleted message not marked")
	}
}

func TestPostErrors(t *testing.T) {
	srv, api := setup(t)
	ctx := context.Background()
	if _, _, err := api.PostMessageContext(ctx, "C1"); err == nil || err.Error() != "no_text" {
		t.Errorf("empty message: %v, want no_text", err)
	}
	blocks := make([]slack.Block, 51)
	for i := range blocks {
		blocks[i] = slack.NewDividerBlock()
	}
	_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionBlocks(blocks...))
	var serr slack.SlackErrorResponse
	if !errors.As(err, &serr) || serr.Err != "invalid_blocks" || len(serr.ResponseMetadata.Messages) == 0 {
		t.Errorf("51 blocks: %#v, want invalid_blocks with messages", err)
	}
	_, _, err = api.PostMessageContext(ctx, "C1", slack.MsgOptionBlocks(section(strings.Repeat("x", 3001))))
	if err == nil || err.Error() != "invalid_blocks" {
		t.Errorf("long section: %v, want invalid_blocks", err)
	}
	if n := len(srv.Messages("")); n != 0 {
		t.Errorf("%d messages stored from failed posts", n)
	}
	if calls := srv.Calls("chat.postMessage"); len(calls) != 3 || calls[0].Error != "no_text" {
		t.Errorf("calls not recorded with errors: %+v", calls)
	}
	srv.SetValidateBlocks(false)
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionBlocks(blocks...)); err != nil {
		t.Errorf("with validation off: %v", err)
	}
}

func TestPostEphemeral(t *testing.T) {
	srv, api := setup(t)
	ts, err := api.PostEphemeralContext(context.Background(), "C0001", "U0001", slack.MsgOptionText("only you", false))
	if err != nil {
		t.Fatalf("postEphemeral: %v", err)
	}
	if ts == "" {
		t.Fatal("no message_ts")
	}
	eph := srv.Ephemerals("C0001")
	if len(eph) != 1 || eph[0].User != "U0001" || eph[0].Text != "only you" || eph[0].TS != ts {
		t.Errorf("ephemerals = %+v", eph)
	}
	if len(srv.Messages("C0001")) != 0 {
		t.Error("ephemeral stored as a channel message")
	}
}

func TestViews(t *testing.T) {
	srv, api := setup(t)
	ctx := context.Background()
	modal := slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           slack.NewTextBlockObject(slack.PlainTextType, "New request", false, false),
		Submit:          slack.NewTextBlockObject(slack.PlainTextType, "Submit", false, false),
		CallbackID:      "request",
		PrivateMetadata: "svc=laptop",
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("reason", slack.NewTextBlockObject(slack.PlainTextType, "Reason", false, false), nil,
				slack.NewPlainTextInputBlockElement(nil, "reason")),
		}},
	}
	resp, err := api.OpenViewContext(ctx, "trigger-1", modal)
	if err != nil {
		t.Fatalf("views.open: %v", err)
	}
	if resp.View.ID == "" || resp.View.Hash == "" || resp.View.CallbackID != "request" {
		t.Errorf("views.open view = %+v", resp.View)
	}
	opened := srv.Opened()
	if len(opened) != 1 || opened[0].TriggerID != "trigger-1" || opened[0].Title != "New request" || opened[0].PrivateMetadata != "svc=laptop" {
		t.Fatalf("opened = %+v", opened)
	}
	if _, err := api.OpenViewContext(ctx, "trigger-1", modal); err == nil || err.Error() != "exchanged_trigger_id" {
		t.Errorf("reused trigger: %v, want exchanged_trigger_id", err)
	}
	noSubmit := modal
	noSubmit.Submit = nil
	if _, err := api.OpenViewContext(ctx, "trigger-2", noSubmit); err == nil || err.Error() != "invalid_arguments" {
		t.Errorf("input without submit: %v, want invalid_arguments", err)
	}

	modal.Title = slack.NewTextBlockObject(slack.PlainTextType, "Thanks", false, false)
	if _, err := api.UpdateViewContext(ctx, modal, "", "stale-hash", resp.View.ID); err == nil || err.Error() != "hash_conflict" {
		t.Errorf("update with stale hash: %v, want hash_conflict", err)
	}
	up, err := api.UpdateViewContext(ctx, modal, "", resp.View.Hash, resp.View.ID)
	if err != nil {
		t.Fatalf("views.update: %v", err)
	}
	if up.View.ID != resp.View.ID || up.View.Hash == resp.View.Hash {
		t.Errorf("update kept id %s->%s, hash %s->%s", resp.View.ID, up.View.ID, resp.View.Hash, up.View.Hash)
	}
	if v, _ := srv.View(resp.View.ID); v.Title != "Thanks" || v.Version != 2 {
		t.Errorf("view after update: %+v", v)
	}
	if _, err := api.UpdateViewContext(ctx, modal, "", "", "V-unknown"); err == nil || err.Error() != "not_found" {
		t.Errorf("update unknown view: %v, want not_found", err)
	}

	home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: []slack.Block{section("Home v1")}}}
	p1, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U0001", View: home})
	if err != nil {
		t.Fatalf("views.publish: %v", err)
	}
	home.Blocks = slack.Blocks{BlockSet: []slack.Block{section("Home v2")}}
	p2, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U0001", View: home})
	if err != nil {
		t.Fatalf("views.publish again: %v", err)
	}
	if p1.View.ID != p2.View.ID {
		t.Errorf("home tab id changed: %s -> %s", p1.View.ID, p2.View.ID)
	}
	pub := srv.Published("U0001")
	if len(pub) != 2 || !strings.Contains(string(pub[1].Blocks), "Home v2") || pub[1].Type != "home" {
		t.Errorf("published = %+v", pub)
	}
	if len(srv.Published("U0002")) != 0 {
		t.Error("published for another user")
	}
}

func TestUsersAndConversations(t *testing.T) {
	srv, api := setup(t)
	ctx := context.Background()
	srv.AddUser(fakeslack.User{ID: "U0001", Name: "ada", RealName: "Ada Lovelace", Email: "ada@example.com", TZ: "Europe/London"})

	u, err := api.GetUserByEmailContext(ctx, "ADA@example.com")
	if err != nil {
		t.Fatalf("lookupByEmail: %v", err)
	}
	if u.ID != "U0001" || u.Profile.Email != "ada@example.com" || u.RealName != "Ada Lovelace" || u.TZ != "Europe/London" {
		t.Errorf("user = %+v", u)
	}
	if _, err := api.GetUserByEmailContext(ctx, "nobody@example.com"); err == nil || err.Error() != "users_not_found" {
		t.Errorf("unknown email: %v, want users_not_found", err)
	}
	if u, err := api.GetUserInfoContext(ctx, "U0001"); err != nil || u.Name != "ada" {
		t.Errorf("users.info = %+v, %v", u, err)
	}
	if _, err := api.GetUserInfoContext(ctx, "U9999"); err == nil || err.Error() != "user_not_found" {
		t.Errorf("unknown user: %v, want user_not_found", err)
	}

	ch, _, already, err := api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{"U0001"}})
	if err != nil {
		t.Fatalf("conversations.open: %v", err)
	}
	if ch.ID != fakeslack.DMChannel("U0001") || !strings.HasPrefix(ch.ID, "D") || already {
		t.Errorf("DM = %s already=%v", ch.ID, already)
	}
	if _, _, already, _ := api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{"U0001"}}); !already {
		t.Error("second open not already_open")
	}
	if _, _, _, err := api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{"U9999"}}); err == nil {
		t.Error("DM with unknown user succeeded")
	}

	// Posting to a user ID lands in their DM channel, as on Slack.
	got, _, err := api.PostMessageContext(ctx, "U0001", slack.MsgOptionText("hi", false))
	if err != nil || got != ch.ID {
		t.Fatalf("post to user: channel %q, %v; want %q", got, err, ch.ID)
	}
	if len(srv.Messages(ch.ID)) != 1 || len(srv.Messages("U0001")) != 1 {
		t.Error("DM message not found by channel or user")
	}
}

func TestUploadFile(t *testing.T) {
	srv, api := setup(t)
	content := "id,name\n1,laptop\n"
	f, err := api.UploadFileContext(context.Background(), slack.UploadFileParameters{
		Reader:         strings.NewReader(content),
		FileSize:       len(content),
		Filename:       "report.csv",
		Title:          "Weekly report",
		Channel:        "C0001",
		InitialComment: "here you go",
	})
	if err != nil {
		t.Fatalf("UploadFileContext: %v", err)
	}
	if f.ID == "" || f.Title != "Weekly report" {
		t.Errorf("file summary = %+v", f)
	}
	for _, m := range []string{"files.getUploadURLExternal", fakeslack.MethodUpload, "files.completeUploadExternal"} {
		if n := len(srv.Calls(m)); n != 1 {
			t.Errorf("%s called %d times, want 1", m, n)
		}
	}
	ups := srv.Uploads()
	if len(ups) != 1 {
		t.Fatalf("uploads = %d, want 1", len(ups))
	}
	u := ups[0]
	if u.FileID != f.ID || u.Filename != "report.csv" || u.Title != "Weekly report" || string(u.Bytes) != content ||
		u.Length != len(content) || len(u.Channels) != 1 || u.Channels[0] != "C0001" || u.InitialComment != "here you go" {
		t.Errorf("upload = %+v", u)
	}
}

func TestRateLimited(t *testing.T) {
	srv, api := setup(t)
	srv.FailNext("chat.postMessage", 1, fakeslack.RateLimited{RetryAfter: 7 * time.Second})
	_, _, err := api.PostMessageContext(context.Background(), "C1", slack.MsgOptionText("x", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 7*time.Second {
		t.Fatalf("err = %#v, want *slack.RateLimitedError{7s}", err)
	}
	if n := len(srv.Messages("C1")); n != 0 {
		t.Errorf("rate-limited post stored %d messages", n)
	}
	calls := srv.Calls("chat.postMessage")
	if len(calls) != 1 || !calls[0].Faulted || calls[0].Status != http.StatusTooManyRequests || calls[0].Error != "ratelimited" {
		t.Errorf("call = %+v", calls)
	}
	// The fault was used up: the retry goes through.
	if _, _, err := api.PostMessageContext(context.Background(), "C1", slack.MsgOptionText("x", false)); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if n := len(srv.Messages("C1")); n != 1 {
		t.Errorf("messages = %d, want 1", n)
	}
}

func TestServerErrorAndSlackError(t *testing.T) {
	srv, api := setup(t)
	ctx := context.Background()
	srv.FailNext("chat.postMessage", 1, fakeslack.ServerError{Status: 503})
	srv.FailNext("chat.postMessage", 1, fakeslack.SlackError{Code: "channel_not_found"})
	_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false))
	var sce slack.StatusCodeError
	if !errors.As(err, &sce) || sce.Code != 503 {
		t.Fatalf("err = %#v, want StatusCodeError 503", err)
	}
	_, _, err = api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false))
	if err == nil || err.Error() != "channel_not_found" {
		t.Fatalf("err = %v, want channel_not_found", err)
	}
	if n := len(srv.Messages("")); n != 0 {
		t.Errorf("faulted posts stored %d messages", n)
	}
}

func TestDropConnections(t *testing.T) {
	srv, api := setup(t)
	ctx := context.Background()
	srv.FailNext("chat.postMessage", 1, fakeslack.DropConnection{})
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("lost", false)); err == nil {
		t.Fatal("dropped connection gave no error")
	}
	if n := len(srv.Messages("C1")); n != 0 {
		t.Fatalf("DropConnection posted %d messages", n)
	}
	srv.FailNext("chat.postMessage", 1, fakeslack.PostThenDrop{})
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("maybe", false)); err == nil {
		t.Fatal("PostThenDrop gave no error")
	}
	msgs := srv.Messages("C1")
	if len(msgs) != 1 || msgs[0].Text != "maybe" {
		t.Fatalf("PostThenDrop messages = %+v", msgs)
	}
	calls := srv.Calls("chat.postMessage")
	if len(calls) != 2 || !calls[0].Faulted || !calls[1].Faulted || calls[0].Status != 0 {
		t.Errorf("calls = %+v", calls)
	}
}

func TestLatency(t *testing.T) {
	srv, api := setup(t)
	srv.FailNext("auth.test", 1, fakeslack.Latency{D: 300 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := api.AuthTestContext(ctx); err == nil {
		t.Fatal("slow call did not time out")
	}
	// The server still completes the call, as Slack would.
	calls, err := srv.WaitCalls("auth.test", 1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := calls[0].Fault.(fakeslack.Latency); !ok || calls[0].Faulted {
		t.Errorf("call = %+v", calls[0])
	}

	srv.SetLatency("auth.test", 100*time.Millisecond)
	start := time.Now()
	if _, err := api.AuthTestContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("call took %v, want >= 100ms", d)
	}
}

func TestCloseDuringLatency(t *testing.T) {
	srv := fakeslack.New()
	srv.SetLatency(fakeslack.AnyMethod, time.Hour)
	api := slack.New(token, slack.OptionAPIURL(srv.APIURL()))
	done := make(chan error, 1)
	go func() { _, err := api.AuthTest(); done <- err }()
	time.Sleep(50 * time.Millisecond) // let the request arrive and start sleeping
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hung on a sleeping request")
	}
	if err := <-done; err == nil {
		t.Error("request during shutdown succeeded")
	}
}

func TestResponseURL(t *testing.T) {
	srv, api := setup(t)
	ctx := context.Background()
	url := srv.ResponseURL("cmd-1")
	if _, err := api.PostEphemeralContext(ctx, "", "",
		slack.MsgOptionResponseURL(url, slack.ResponseTypeEphemeral),
		slack.MsgOptionText("working on it", false)); err != nil {
		t.Fatalf("post to response_url: %v", err)
	}
	if _, _, err := api.PostMessageContext(ctx, "",
		slack.MsgOptionReplaceOriginal(url),
		slack.MsgOptionBlocks(section("done"))); err != nil {
		t.Fatalf("replace_original: %v", err)
	}
	rs := srv.Responses("cmd-1")
	if len(rs) != 2 {
		t.Fatalf("responses = %d, want 2", len(rs))
	}
	if rs[0].Text != "working on it" || rs[0].ResponseType != "ephemeral" || rs[0].ReplaceOriginal {
		t.Errorf("response 0 = %+v", rs[0])
	}
	if !rs[1].ReplaceOriginal || !strings.Contains(string(rs[1].Blocks), "done") {
		t.Errorf("response 1 = %+v", rs[1])
	}
	if len(srv.Responses("other")) != 0 {
		t.Error("responses leaked to another name")
	}
	if len(srv.Calls(fakeslack.MethodResponseURL)) != 2 {
		t.Error("response_url calls not recorded")
	}

	// Slack accepts five posts per response_url.
	for i := 2; i < fakeslack.ResponseURLUses; i++ {
		if _, err := api.PostEphemeralContext(ctx, "", "", slack.MsgOptionResponseURL(url, slack.ResponseTypeInChannel), slack.MsgOptionText(fmt.Sprint(i), false)); err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
	}
	if _, err := api.PostEphemeralContext(ctx, "", "", slack.MsgOptionResponseURL(url, slack.ResponseTypeInChannel), slack.MsgOptionText("6", false)); err == nil {
		t.Error("sixth post accepted")
	}

	// Faults apply to response_url too.
	srv.FailNext(fakeslack.MethodResponseURL, 1, fakeslack.ServerError{})
	if _, err := api.PostEphemeralContext(ctx, "", "", slack.MsgOptionResponseURL(srv.ResponseURL("x"), slack.ResponseTypeEphemeral), slack.MsgOptionText("x", false)); err == nil {
		t.Error("faulted response_url post succeeded")
	}
	if len(srv.Responses("x")) != 0 {
		t.Error("faulted response_url post recorded as a response")
	}
}

func TestConcurrentPostsGetUniqueIncreasingTS(t *testing.T) {
	srv, api := setup(t)
	const n = 50
	var wg sync.WaitGroup
	tss := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, tss[i], errs[i] = api.PostMessageContext(context.Background(), "C1", slack.MsgOptionText(fmt.Sprint(i), false))
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, ts := range tss {
		if errs[i] != nil {
			t.Fatalf("post %d: %v", i, errs[i])
		}
		if seen[ts] {
			t.Fatalf("duplicate ts %s", ts)
		}
		seen[ts] = true
	}
	msgs := srv.Messages("C1")
	if len(msgs) != n {
		t.Fatalf("messages = %d, want %d", len(msgs), n)
	}
	for i := 1; i < n; i++ {
		if msgs[i].TS <= msgs[i-1].TS { // same width, so string order is numeric order
			t.Errorf("ts not increasing: %s then %s", msgs[i-1].TS, msgs[i].TS)
		}
	}
}

func TestSetClock(t *testing.T) {
	srv, api := setup(t)
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	srv.SetClock(func() time.Time { return at })
	_, ts1, _ := api.PostMessageContext(context.Background(), "C1", slack.MsgOptionText("a", false))
	_, ts2, _ := api.PostMessageContext(context.Background(), "C1", slack.MsgOptionText("b", false))
	if want := fmt.Sprintf("%d.000000", at.Unix()); ts1 != want {
		t.Errorf("ts1 = %s, want %s", ts1, want)
	}
	if ts2 <= ts1 {
		t.Errorf("ts2 %s not after ts1 %s under a frozen clock", ts2, ts1)
	}
}

func TestWaitCallsAndJSONParams(t *testing.T) {
	srv, api := setup(t)
	go func() {
		time.Sleep(20 * time.Millisecond)
		_, _ = api.PublishViewContext(context.Background(), slack.PublishViewContextRequest{
			UserID: "U7", View: slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: []slack.Block{section("x")}}},
		})
	}()
	calls, err := srv.WaitCalls("views.publish", 1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c := calls[0]
	if c.Params.Get("user_id") != "U7" || c.JSON["user_id"] != "U7" || c.Token != token {
		t.Errorf("call params=%v json=%v token=%q", c.Params, c.JSON, c.Token)
	}
	var view map[string]any
	if err := json.Unmarshal([]byte(c.Params.Get("view")), &view); err != nil || view["type"] != "home" {
		t.Errorf("view param = %q (%v)", c.Params.Get("view"), err)
	}
	if _, err := srv.WaitCalls("chat.postMessage", 1, 30*time.Millisecond); err == nil {
		t.Error("WaitCalls succeeded without calls")
	}
}

func TestUnknownMethod(t *testing.T) {
	srv, _ := setup(t)
	resp, err := http.Post(srv.APIURL()+"no.such", "application/x-www-form-urlencoded", strings.NewReader("token="+token))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.OK || body.Error != "unknown_method" {
		t.Errorf("unknown method answered %d %+v (%v)", resp.StatusCode, body, err)
	}
}
