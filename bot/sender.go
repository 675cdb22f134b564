package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/metrics"
)

// NewClient returns a Slack Web API client for token at apiURL (SLACK_API_URL)
// with slack-go's own retries off: the Sender decides what may be retried.
// appToken (xapp-…) is only needed for Socket Mode.
func NewClient(botToken, appToken, apiURL string) *slack.Client {
	opts := []slack.Option{
		slack.OptionAPIURL(apiURL),
		slack.OptionHTTPClient(&http.Client{Timeout: 30 * time.Second}),
	}
	if appToken != "" {
		opts = append(opts, slack.OptionAppLevelToken(appToken))
	}
	return slack.New(botToken, opts...)
}

// SenderOptions tune a Sender; the zero value is production behaviour.
type SenderOptions struct {
	Logger *slog.Logger
	// Pace is the least time between two posts to one channel (Slack allows
	// about one message per second per channel). 0 means one second;
	// negative turns pacing off.
	Pace time.Duration
	// Attempts bounds the tries of one call (429s and, for idempotent
	// methods, server errors). 0 means 4.
	Attempts int
	// Sleep waits for d or until ctx ends; tests replace it to observe
	// Retry-After without waiting.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock for pacing.
	Now func() time.Time
	// HTTPClient posts to response_urls. nil: a client with a 10 s timeout.
	HTTPClient *http.Client
	// ButtonKey signs the values of reminder buttons (see seal), so a
	// changed value is refused. Replicas must share it; serve derives it
	// from the bot token.
	ButtonKey []byte
}

// Sender is the bot's only way out to Slack: every post, update, upload,
// view and response_url answer goes through it, so pacing, rate limits,
// retries and metrics are handled in one place. It implements
// commands.Notifier.
type Sender struct {
	api      *slack.Client
	logger   *slog.Logger
	pace     time.Duration
	attempts int
	sleep    func(ctx context.Context, d time.Duration) error
	now      func() time.Time
	hc       *http.Client
	key      []byte

	mu     sync.Mutex
	next   map[string]time.Time // channel → earliest time of its next post
	dms    map[string]string    // user → DM channel
	emails map[string]string    // lower-cased email → user ID
}

var _ commands.Notifier = (*Sender)(nil)

// NewSender wraps api.
func NewSender(api *slack.Client, o SenderOptions) *Sender {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Pace == 0 {
		o.Pace = time.Second
	}
	if o.Attempts <= 0 {
		o.Attempts = 4
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	return &Sender{
		api: api, logger: o.Logger, pace: o.Pace, attempts: o.Attempts, sleep: o.Sleep, now: o.Now, hc: o.HTTPClient, key: o.ButtonKey,
		next: map[string]time.Time{}, dms: map[string]string{}, emails: map[string]string{},
	}
}

// API is the underlying client (Socket Mode builds on it).
func (s *Sender) API() *slack.Client { return s.api }

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ---- commands.Notifier ----

// Post sends r to a channel, or to a user's DM when to is a user ID.
func (s *Sender) Post(ctx context.Context, to string, r commands.Reply) (channel, ts string, err error) {
	return s.PostThread(ctx, to, "", r)
}

// PostThread is Post as a reply in the thread of threadTS ("" = top level).
func (s *Sender) PostThread(ctx context.Context, to, threadTS string, r commands.Reply) (channel, ts string, err error) {
	channel, err = s.channelFor(ctx, to)
	if err != nil {
		return "", "", err
	}
	blocks, text := Render(s.seal(r))
	opts := []slack.MsgOption{slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)}
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
	}
	err = s.call(ctx, "chat.postMessage", false, channel, func() error {
		ch, t, err := s.api.PostMessageContext(ctx, channel, opts...)
		if err == nil {
			channel, ts = ch, t
		}
		return err
	})
	if err != nil {
		return "", "", err
	}
	return channel, ts, nil
}

// Update replaces a message posted earlier (idempotent, so server errors
// are retried).
func (s *Sender) Update(ctx context.Context, channel, ts string, r commands.Reply) error {
	blocks, text := Render(s.seal(r))
	return s.call(ctx, "chat.update", true, channel, func() error {
		_, _, _, err := s.api.UpdateMessageContext(ctx, channel, ts, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
		return err
	})
}

// Upload shares a file (e.g. a PNG chart) in channel with an optional
// comment, through Slack's three-step external upload. Only 429s are
// retried: after a server error the file may already be shared.
func (s *Sender) Upload(ctx context.Context, channel, filename, title string, data []byte, comment string) error {
	channel, err := s.channelFor(ctx, channel)
	if err != nil {
		return err
	}
	return s.call(ctx, "files.upload", false, channel, func() error {
		_, err := s.api.UploadFileContext(ctx, slack.UploadFileParameters{
			Reader:         bytes.NewReader(data),
			FileSize:       len(data),
			Filename:       filename,
			Title:          title,
			InitialComment: comment,
			Channel:        channel,
		})
		return err
	})
}

// Ephemeral shows r to user only, in channel.
func (s *Sender) Ephemeral(ctx context.Context, channel, user string, r commands.Reply) error {
	blocks, text := Render(s.seal(r))
	return s.call(ctx, "chat.postEphemeral", false, "", func() error {
		_, err := s.api.PostEphemeralContext(ctx, channel, user, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
		return err
	})
}

// PublishHome publishes r as user's App Home tab.
func (s *Sender) PublishHome(ctx context.Context, user string, r commands.Reply) error {
	view := slack.HomeTabViewRequest{
		Type:       slack.VTHomeTab,
		CallbackID: "itspm_home",
		Blocks:     slack.Blocks{BlockSet: render(s.seal(r), MaxViewBlocks)},
	}
	return s.call(ctx, "views.publish", true, "", func() error {
		_, err := s.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: user, View: view})
		return err
	})
}

// OpenModal opens a modal for the trigger of an interaction. A trigger_id
// is single-use and expires after 3 s, so only 429s are retried.
func (s *Sender) OpenModal(ctx context.Context, triggerID string, view slack.ModalViewRequest) error {
	return s.call(ctx, "views.open", false, "", func() error {
		_, err := s.api.OpenViewContext(ctx, triggerID, view)
		return err
	})
}

// AuthTest returns the bot's own user ID (and checks the token).
func (s *Sender) AuthTest(ctx context.Context) (botUserID string, err error) {
	err = s.call(ctx, "auth.test", true, "", func() error {
		resp, err := s.api.AuthTestContext(ctx)
		if err == nil {
			botUserID = resp.UserID
		}
		return err
	})
	return botUserID, err
}

// ---- response_url ----

// Respond answers through an interaction's response_url: ephemeral unless
// r.InChannel, never replacing the message the user clicked.
func (s *Sender) Respond(ctx context.Context, responseURL string, r commands.Reply) error {
	return s.respond(ctx, responseURL, r, false)
}

// Replace answers through a response_url in place of the message whose
// button was clicked (a page of a long reply).
func (s *Sender) Replace(ctx context.Context, responseURL string, r commands.Reply) error {
	return s.respond(ctx, responseURL, r, true)
}

func (s *Sender) respond(ctx context.Context, responseURL string, r commands.Reply, replace bool) error {
	blocks, text := Render(s.seal(r))
	typ := slack.ResponseTypeEphemeral
	if r.InChannel {
		typ = slack.ResponseTypeInChannel
	}
	msg := slack.WebhookMessage{Text: text, Blocks: &slack.Blocks{BlockSet: blocks}, ResponseType: typ, ReplaceOriginal: replace}
	body, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	// Not retried: a response_url post is a message, and the URL is
	// single-use-ish (five posts in thirty minutes).
	err = s.call(ctx, "response_url", false, "", func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, responseURL, bytes.NewReader(body))
		if err != nil {
			return errors.New("invalid response_url")
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := s.hc.Do(req)
		if err != nil {
			// *url.Error carries the URL, which is a secret.
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			return err
		}
		defer resp.Body.Close()
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		switch {
		case resp.StatusCode == http.StatusTooManyRequests:
			return &slack.RateLimitedError{RetryAfter: retryAfter(resp.Header.Get("Retry-After"))}
		case resp.StatusCode >= 300:
			return fmt.Errorf("status %d: %s", resp.StatusCode, strings.TrimSpace(string(msg)))
		}
		return nil
	})
	return err
}

func retryAfter(h string) time.Duration {
	var secs int
	if _, err := fmt.Sscan(h, &secs); err != nil || secs <= 0 {
		return time.Second
	}
	return time.Duration(secs) * time.Second
}

// ---- people ----

// ResolveUser maps a catalog person to a Slack user ID: their slackUser,
// else the workspace member with their email (users.lookupByEmail, cached).
func (s *Sender) ResolveUser(ctx context.Context, p domain.Person) (string, error) {
	if p.SlackUser != "" {
		return p.SlackUser, nil
	}
	email := strings.ToLower(strings.TrimSpace(p.Email))
	if email == "" {
		return "", domain.Errorf(domain.NotFound, "%s has no Slack user or email in the catalog.", p.Label())
	}
	s.mu.Lock()
	id, ok := s.emails[email]
	s.mu.Unlock()
	if ok {
		return id, nil
	}
	err := s.call(ctx, "users.lookupByEmail", true, "", func() error {
		u, err := s.api.GetUserByEmailContext(ctx, email)
		if err == nil {
			id = u.ID
		}
		return err
	})
	if err != nil {
		if IsSlackError(err, "users_not_found") {
			return "", domain.Errorf(domain.NotFound, "No Slack user has the email of %s.", p.Label())
		}
		return "", err
	}
	s.mu.Lock()
	s.emails[email] = id
	s.mu.Unlock()
	return id, nil
}

// channelFor turns a user ID into their DM channel (conversations.open,
// cached); channel IDs pass through.
func (s *Sender) channelFor(ctx context.Context, to string) (string, error) {
	if to == "" {
		return "", errors.New("slack: no channel or user to post to")
	}
	if !isUserID(to) {
		return to, nil
	}
	s.mu.Lock()
	ch, ok := s.dms[to]
	s.mu.Unlock()
	if ok {
		return ch, nil
	}
	err := s.call(ctx, "conversations.open", true, "", func() error {
		c, _, _, err := s.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{to}})
		if err == nil {
			ch = c.ID
		}
		return err
	})
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.dms[to] = ch
	s.mu.Unlock()
	return ch, nil
}

func isUserID(s string) bool { return len(s) > 1 && (s[0] == 'U' || s[0] == 'W') }

// ---- calls ----

// call runs one Web API call with pacing (when channel is set), 429
// handling and metrics. After a 429 Slack has done nothing, so any call is
// tried again after Retry-After. Server errors and dropped connections are
// retried only for idempotent calls: a chat.postMessage whose answer was
// lost may have been posted.
func (s *Sender) call(ctx context.Context, method string, idempotent bool, channel string, fn func() error) error {
	backoff := 250 * time.Millisecond
	for attempt := 1; ; attempt++ {
		if channel != "" {
			if err := s.sleep(ctx, s.reserve(channel)); err != nil {
				return fmt.Errorf("slack %s: %w", method, err)
			}
		}
		err := fn()
		if err == nil {
			metrics.SlackCalls.WithLabelValues(method, "ok").Inc()
			return nil
		}
		var rl *slack.RateLimitedError
		if errors.As(err, &rl) {
			metrics.SlackCalls.WithLabelValues(method, "ratelimited").Inc()
			metrics.SlackRateLimited.WithLabelValues(method).Inc()
			if attempt >= s.attempts {
				return fmt.Errorf("slack %s: rate limited %d times: %w", method, attempt, err)
			}
			wait := rl.RetryAfter
			if wait <= 0 {
				wait = time.Second
			}
			loggerFrom(ctx, s.logger).Warn("slack rate limited", "method", method, "retry_after", wait, "attempt", attempt)
			if channel != "" {
				s.delay(channel, wait)
			}
			if err := s.sleep(ctx, wait); err != nil {
				return fmt.Errorf("slack %s: %w", method, err)
			}
			continue
		}
		metrics.SlackCalls.WithLabelValues(method, "error").Inc()
		if idempotent && transient(err) && attempt < s.attempts && ctx.Err() == nil {
			loggerFrom(ctx, s.logger).Warn("slack call failed, retrying", "method", method, "err", err, "attempt", attempt)
			if err := s.sleep(ctx, backoff); err != nil {
				return fmt.Errorf("slack %s: %w", method, err)
			}
			backoff *= 2
			continue
		}
		return fmt.Errorf("slack %s: %w", method, err)
	}
}

// reserve books the next post slot of channel and returns how long to wait
// for it.
func (s *Sender) reserve(channel string) time.Duration {
	if s.pace < 0 {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	slot := now
	if next, ok := s.next[channel]; ok && next.After(now) {
		slot = next
	}
	s.next[channel] = slot.Add(s.pace)
	if len(s.next) > 4096 {
		// Forget channels that are idle again.
		for ch, t := range s.next {
			if t.Before(now) {
				delete(s.next, ch)
			}
		}
	}
	return slot.Sub(now)
}

// delay pushes channel's next slot to at least d from now (after a 429).
func (s *Sender) delay(channel string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.now().Add(d); t.After(s.next[channel]) {
		s.next[channel] = t
	}
}

// transient reports errors worth retrying for idempotent calls: 5xx
// answers and network failures (not Slack's {"ok":false} errors).
func transient(err error) bool {
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return sc.Code >= 500
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// IsSlackError reports whether err is Slack answering {"ok":false,"error":code}.
func IsSlackError(err error, code string) bool {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err == code
	}
	return err != nil && err.Error() == code
}
