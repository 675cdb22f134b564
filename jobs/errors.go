package jobs

import (
	"errors"
	"fmt"
	"time"
)

// RateLimitError is what a Notifier returns when the receiver asked it to
// slow down (Slack's HTTP 429): nothing was delivered, try again after
// RetryAfter. cmd/itspm translates slack-go's error into this one, so jobs
// needs no Slack types.
type RateLimitError struct {
	RetryAfter time.Duration
	Err        error
}

func (e *RateLimitError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("rate limited, retry after %s: %v", e.RetryAfter, e.Err)
	}
	return fmt.Sprintf("rate limited, retry after %s", e.RetryAfter)
}

func (e *RateLimitError) Unwrap() error { return e.Err }

// PermanentError marks a failure that retrying cannot fix (an archived
// channel, a deactivated user, a revoked token): the delivery fails at once.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// retryAfter reports whether err is a rate limit and how long to wait.
func retryAfter(err error) (time.Duration, bool) {
	var rl *RateLimitError
	if errors.As(err, &rl) {
		return max(rl.RetryAfter, time.Second), true
	}
	return 0, false
}

func isPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}
