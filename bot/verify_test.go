package bot

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

// Slack's documented signing example
// (https://docs.slack.dev/authentication/verifying-requests-from-slack).
const (
	exampleSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	exampleTS     = 1531420618
	exampleBody   = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	exampleSig    = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

func exampleClock() time.Time { return time.Unix(exampleTS, 0) }

func TestSignDocumentedExample(t *testing.T) {
	if got := Sign(exampleSecret, exampleTS, []byte(exampleBody)); got != exampleSig {
		t.Errorf("Sign = %s, want %s", got, exampleSig)
	}
}

func newSignedRequest(ts, sig, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/slack/commands", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if ts != "" {
		r.Header.Set(HeaderTimestamp, ts)
	}
	if sig != "" {
		r.Header.Set(HeaderSignature, sig)
	}
	return r
}

func TestVerify(t *testing.T) {
	ts := strconv.Itoa(exampleTS)
	altered := []byte(exampleBody)
	altered[len(altered)-1] ^= 1
	big := strings.Repeat("a", MaxBodyBytes+1)
	atMax := strings.Repeat("a", MaxBodyBytes)
	sign := func(secret string, ts int64, body string) string { return Sign(secret, ts, []byte(body)) }

	tests := []struct {
		name    string
		ts, sig string
		body    string
		now     func() time.Time
		skew    time.Duration
		wantErr error
	}{
		{name: "documented example", ts: ts, sig: exampleSig, body: exampleBody},
		{name: "missing both headers", body: exampleBody, wantErr: ErrMissingHeaders},
		{name: "missing signature", ts: ts, body: exampleBody, wantErr: ErrMissingHeaders},
		{name: "missing timestamp", sig: exampleSig, body: exampleBody, wantErr: ErrMissingHeaders},
		{name: "non-numeric timestamp", ts: "1531420618abc", sig: exampleSig, body: exampleBody, wantErr: ErrStaleTimestamp},
		{name: "absurd timestamp", ts: "-9223372036854775808", sig: exampleSig, body: exampleBody, wantErr: ErrStaleTimestamp},
		{
			name: "stale: 6 minutes old", ts: ts, sig: exampleSig, body: exampleBody,
			now:     func() time.Time { return exampleClock().Add(6 * time.Minute) },
			wantErr: ErrStaleTimestamp,
		},
		{
			name: "future: 6 minutes ahead", ts: ts, sig: exampleSig, body: exampleBody,
			now:     func() time.Time { return exampleClock().Add(-6 * time.Minute) },
			wantErr: ErrStaleTimestamp,
		},
		{
			name: "4m59s old is fine", ts: ts, sig: exampleSig, body: exampleBody,
			now: func() time.Time { return exampleClock().Add(4*time.Minute + 59*time.Second) },
		},
		{
			name: "exactly 5 minutes ahead is fine", ts: ts, sig: exampleSig, body: exampleBody,
			now: func() time.Time { return exampleClock().Add(-5 * time.Minute) },
		},
		{
			name: "custom MaxSkew", ts: ts, sig: exampleSig, body: exampleBody,
			now:     func() time.Time { return exampleClock().Add(2 * time.Minute) },
			skew:    time.Minute,
			wantErr: ErrStaleTimestamp,
		},
		{name: "bad signature", ts: ts, sig: "v0=" + strings.Repeat("0", 64), body: exampleBody, wantErr: ErrBadSignature},
		{name: "signature without v0 prefix", ts: ts, sig: strings.TrimPrefix(exampleSig, "v0="), body: exampleBody, wantErr: ErrBadSignature},
		{name: "uppercase hex", ts: ts, sig: "v0=" + strings.ToUpper(strings.TrimPrefix(exampleSig, "v0=")), body: exampleBody, wantErr: ErrBadSignature},
		{name: "body altered by one byte", ts: ts, sig: exampleSig, body: string(altered), wantErr: ErrBadSignature},
		{name: "signed for another timestamp", ts: strconv.Itoa(exampleTS + 1), sig: exampleSig, body: exampleBody, wantErr: ErrBadSignature},
		{name: "wrong secret", ts: ts, sig: sign("not-the-secret", exampleTS, exampleBody), body: exampleBody, wantErr: ErrBadSignature},
		{name: "empty body signed", ts: ts, sig: sign(exampleSecret, exampleTS, ""), body: ""},
		{name: "body of exactly 1 MiB", ts: ts, sig: sign(exampleSecret, exampleTS, atMax), body: atMax},
		{name: "oversized body", ts: ts, sig: sign(exampleSecret, exampleTS, big), body: big, wantErr: ErrBodyTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := tt.now
			if now == nil {
				now = exampleClock
			}
			v := &Verifier{Secret: exampleSecret, Now: now, MaxSkew: tt.skew}
			body, err := v.Verify(newSignedRequest(tt.ts, tt.sig, tt.body))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Verify error = %v, want %v", err, tt.wantErr)
				}
				for _, other := range []error{ErrMissingHeaders, ErrStaleTimestamp, ErrBadSignature, ErrBodyTooLarge} {
					if other != tt.wantErr && errors.Is(err, other) {
						t.Errorf("error %v also matches %v", err, other)
					}
				}
				if strings.Contains(err.Error(), exampleSecret) {
					t.Errorf("error %q leaks the secret", err)
				}
				if body != nil {
					t.Errorf("body returned on failure")
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if string(body) != tt.body {
				t.Errorf("body = %d bytes, want the %d sent", len(body), len(tt.body))
			}
		})
	}
}

func TestVerifyDefaultsToRealClock(t *testing.T) {
	now := time.Now().Unix()
	v := &Verifier{Secret: "s"}
	r := newSignedRequest(strconv.FormatInt(now, 10), Sign("s", now, []byte("x=1")), "x=1")
	if _, err := v.Verify(r); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	// The documented example is years old.
	r = newSignedRequest(strconv.Itoa(exampleTS), exampleSig, exampleBody)
	if _, err := (&Verifier{Secret: exampleSecret}).Verify(r); !errors.Is(err, ErrStaleTimestamp) {
		t.Fatalf("Verify error = %v, want ErrStaleTimestamp", err)
	}
}

func TestMiddlewareRejects(t *testing.T) {
	v := &Verifier{Secret: exampleSecret, Now: exampleClock}
	called := false
	h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called = true }))

	for name, r := range map[string]*http.Request{
		"bad signature":   newSignedRequest(strconv.Itoa(exampleTS), "v0=00", exampleBody),
		"missing headers": newSignedRequest("", "", exampleBody),
		"stale":           newSignedRequest(strconv.Itoa(exampleTS-600), Sign(exampleSecret, exampleTS-600, []byte(exampleBody)), exampleBody),
	} {
		t.Run(name, func(t *testing.T) {
			called = false
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusUnauthorized {
				t.Errorf("status = %d, want 401", w.Code)
			}
			if got := w.Body.String(); got != "invalid signature" {
				t.Errorf("body = %q, want %q", got, "invalid signature")
			}
			if called {
				t.Error("next was called for an unverified request")
			}
		})
	}
}

func TestMiddlewareRestoresBody(t *testing.T) {
	v := &Verifier{Secret: exampleSecret, Now: exampleClock}
	var gotCommand, gotTrigger string
	var rest []byte
	h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("ParseForm: %v", err)
		}
		gotCommand, gotTrigger = r.PostForm.Get("command"), r.PostForm.Get("trigger_id")
		rest, _ = io.ReadAll(r.Body) // ParseForm consumed it
		w.WriteHeader(http.StatusOK)
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, newSignedRequest(strconv.Itoa(exampleTS), exampleSig, exampleBody))
	if w.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", w.Code)
	}
	if gotCommand != "/webhook-collect" || gotTrigger != "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c" {
		t.Errorf("parsed command=%q trigger_id=%q", gotCommand, gotTrigger)
	}
	if len(rest) != 0 {
		t.Errorf("body left after ParseForm: %q", rest)
	}

	// A handler that reads the raw body sees every byte.
	var raw []byte
	h = v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ = io.ReadAll(r.Body)
	}))
	h.ServeHTTP(httptest.NewRecorder(), newSignedRequest(strconv.Itoa(exampleTS), exampleSig, exampleBody))
	if !bytes.Equal(raw, []byte(exampleBody)) {
		t.Errorf("raw body = %q, want the signed body", raw)
	}
}

func TestMiddlewareThenInteractionCallbackParse(t *testing.T) {
	const secret = "shh"
	now := time.Unix(1764201600, 0)
	v := &Verifier{Secret: secret, Now: func() time.Time { return now }}
	payload := `{"type":"block_actions","trigger_id":"123.456.abc","user":{"id":"U0001"},"actions":[{"type":"button","block_id":"tg","action_id":"approve","value":"TG-1","action_ts":"1764201600.000200"}]}`
	body := url.Values{"payload": {payload}}.Encode()

	var cb slack.InteractionCallback
	var parseErr error
	h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cb, parseErr = slack.InteractionCallbackParse(r)
	}))
	r := newSignedRequest(strconv.FormatInt(now.Unix(), 10), Sign(secret, now.Unix(), []byte(body)), body)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("status = %d", w.Code)
	}
	if parseErr != nil {
		t.Fatalf("InteractionCallbackParse: %v", parseErr)
	}
	if cb.Type != slack.InteractionTypeBlockActions || cb.User.ID != "U0001" || len(cb.ActionCallback.BlockActions) != 1 ||
		cb.ActionCallback.BlockActions[0].ActionID != "approve" {
		t.Errorf("callback = %+v", cb)
	}
}
