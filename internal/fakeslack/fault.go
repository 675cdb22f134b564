package fakeslack

import (
	"fmt"
	"time"
)

// Fault is an injected failure for FailNext. Faulted calls are recorded with
// Faulted set and have no effect, except PostThenDrop (and Latency, which
// only delays).
type Fault interface {
	fault()
	String() string
}

// RateLimited answers HTTP 429 with a Retry-After header (whole seconds,
// rounded up) and {"ok":false,"error":"ratelimited"}; slack-go returns
// *slack.RateLimitedError.
type RateLimited struct{ RetryAfter time.Duration }

// ServerError answers the HTTP status (500 if zero) with an HTML body, as
// Slack does; slack-go returns slack.StatusCodeError.
type ServerError struct{ Status int }

// Latency delays the call by D, then serves it normally.
type Latency struct{ D time.Duration }

// SlackError answers HTTP 200 {"ok":false,"error":Code}.
type SlackError struct{ Code string }

// DropConnection closes the connection without an answer and without
// doing anything.
type DropConnection struct{}

// PostThenDrop performs the call (for chat.postMessage: the message is
// posted) and then closes the connection without an answer: the client
// cannot tell whether it took effect.
type PostThenDrop struct{}

func (RateLimited) fault()    {}
func (ServerError) fault()    {}
func (Latency) fault()        {}
func (SlackError) fault()     {}
func (DropConnection) fault() {}
func (PostThenDrop) fault()   {}

func (f RateLimited) String() string  { return fmt.Sprintf("RateLimited(%v)", f.RetryAfter) }
func (f ServerError) String() string  { return fmt.Sprintf("ServerError(%d)", f.Status) }
func (f Latency) String() string      { return fmt.Sprintf("Latency(%v)", f.D) }
func (f SlackError) String() string   { return fmt.Sprintf("SlackError(%s)", f.Code) }
func (DropConnection) String() string { return "DropConnection" }
func (PostThenDrop) String() string   { return "PostThenDrop" }
