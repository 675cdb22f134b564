// Package domain holds itspm's types, rules and derived figures. It depends on
// the standard library only, so every adapter (storage, Slack, terminal) shares
// one vocabulary and one set of rules.
package domain

import (
	"errors"
	"fmt"
)

// Code classifies an error for the one place that turns errors into user text.
type Code string

// Error codes. User-facing codes carry a Message meant for the person who
// typed the command; Internal errors are shown only as a reference.
const (
	Invalid     Code = "invalid"
	NotFound    Code = "not_found"
	Conflict    Code = "conflict"
	Forbidden   Code = "forbidden"
	Unavailable Code = "unavailable"
	Internal    Code = "internal"
)

// Error is an error with a code and a message safe to show to users.
type Error struct {
	Code    Code
	Message string // for users; never contains secrets or internals
	Err     error  // cause, for logs
}

func (e *Error) Error() string {
	switch {
	case e.Err != nil && e.Message != "":
		return e.Message + ": " + e.Err.Error()
	case e.Err != nil:
		return e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a formatted user message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with code and message around a cause.
func Wrap(code Code, err error, message string) *Error {
	return &Error{Code: code, Message: message, Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, Internal for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// ErrorMessage returns the user message of the first *Error in err's chain,
// or "" when there is none (an internal error).
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return ""
}
