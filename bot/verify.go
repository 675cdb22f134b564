package bot

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Slack request-signing headers.
const (
	HeaderSignature = "X-Slack-Signature"
	HeaderTimestamp = "X-Slack-Request-Timestamp"
)

// MaxBodyBytes is the largest request body Verify accepts (1 MiB).
const MaxBodyBytes = 1 << 20

// DefaultMaxSkew is how far a request timestamp may be from now, in either
// direction, when Verifier.MaxSkew is zero.
const DefaultMaxSkew = 5 * time.Minute

// Verification failures. Verify wraps exactly one of them; test with
// errors.Is. None of the messages contain the secret.
var (
	ErrMissingHeaders = errors.New("slack verify: missing signature headers")
	ErrStaleTimestamp = errors.New("slack verify: timestamp outside the allowed window")
	ErrBadSignature   = errors.New("slack verify: signature mismatch")
	ErrBodyTooLarge   = errors.New("slack verify: request body too large")
)

// Verifier checks Slack's v0 request signatures.
type Verifier struct {
	Secret  string           // signing secret of the Slack app
	Now     func() time.Time // clock; nil means time.Now
	MaxSkew time.Duration    // allowed distance from Now, past or future; 0 means DefaultMaxSkew
}

// Sign returns Slack's v0 signature of body sent at ts:
// "v0=" + hex(HMAC-SHA256(secret, "v0:<ts>:<body>")).
func Sign(secret string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%d:", ts)
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify reads the whole body (at most MaxBodyBytes), checks the timestamp
// and signature headers, and returns the raw body. It does not restore
// r.Body; Middleware does.
func (v *Verifier) Verify(r *http.Request) ([]byte, error) {
	sig := r.Header.Get(HeaderSignature)
	tsHeader := r.Header.Get(HeaderTimestamp)
	if sig == "" || tsHeader == "" {
		return nil, ErrMissingHeaders
	}
	// Check the timestamp before reading the body: replayed or garbage
	// requests cost nothing.
	ts, err := strconv.ParseInt(strings.TrimSpace(tsHeader), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%w: timestamp %q is not a number", ErrStaleTimestamp, truncate(tsHeader, 32))
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	skew := v.MaxSkew
	if skew <= 0 {
		skew = DefaultMaxSkew
	}
	// Compare in whole seconds against bounds computed from now, so absurd
	// timestamps cannot overflow anything.
	nowSec, skewSec := now().Unix(), int64(skew/time.Second)
	if ts < nowSec-skewSec || ts > nowSec+skewSec {
		return nil, fmt.Errorf("%w: timestamp %d is %s from now (max %v)", ErrStaleTimestamp, ts, distance(nowSec, ts), skew)
	}

	if r.Body == nil {
		r.Body = http.NoBody
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("slack verify: reading body: %w", err)
	}
	if len(body) > MaxBodyBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrBodyTooLarge, MaxBodyBytes)
	}

	want := Sign(v.Secret, ts, body)
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return nil, ErrBadSignature
	}
	return body, nil
}

// Middleware verifies each request before next sees it. A request that
// fails gets 401 with the plain body "invalid signature" and nothing else
// happens; a verified request reaches next with r.Body restored, so
// r.ParseForm or slack.InteractionCallbackParse can read it.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := v.Verify(r)
		if err != nil {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, "invalid signature")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		next.ServeHTTP(w, r)
	})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// distance describes how far ts is from now, for error messages.
func distance(now, ts int64) string {
	if ts > now {
		return fmt.Sprintf("%ds ahead", uint64(ts)-uint64(now))
	}
	return fmt.Sprintf("%ds behind", uint64(now)-uint64(ts))
}
