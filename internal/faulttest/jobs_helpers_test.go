package faulttest

import (
	"context"
	"errors"
	"sync"

	"github.com/slack-go/slack"

	"github.com/itspm/itspm/bot"
	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/jobs"
)

// jobsNotifier is the outbox's notifier in serve (cmd/itspm's
// slackNotifier): the bot's sender, with Slack's rate limits and permanent
// errors translated for the outbox. around, when set, wraps the n-th post
// (from 1), for faults that must hit one post exactly.
type jobsNotifier struct {
	s      *bot.Sender
	around func(n int, post func() error) error

	mu    sync.Mutex
	posts int
}

func (n *jobsNotifier) Post(ctx context.Context, to string, r commands.Reply) (string, string, error) {
	n.mu.Lock()
	n.posts++
	k := n.posts
	n.mu.Unlock()
	var ch, ts string
	post := func() error {
		var err error
		ch, ts, err = n.s.Post(ctx, to, r)
		return err
	}
	var err error
	if n.around != nil {
		err = n.around(k, post)
	} else {
		err = post()
	}
	return ch, ts, classify(err)
}

func (n *jobsNotifier) Upload(ctx context.Context, channel, filename, title string, data []byte, comment string) error {
	return classify(n.s.Upload(ctx, channel, filename, title, data, comment))
}

func classify(err error) error {
	if err == nil {
		return nil
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return &jobs.RateLimitError{RetryAfter: rl.RetryAfter, Err: err}
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "channel_not_found", "not_in_channel", "is_archived", "user_not_found", "invalid_auth", "invalid_blocks", "msg_too_long":
			return &jobs.PermanentError{Err: err}
		}
	}
	return err
}
