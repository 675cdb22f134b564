package fakeslack

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Calls returns the recorded calls of method in arrival order; "" returns all.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c.clone())
		}
	}
	return out
}

// Messages returns the messages of channel in posting order, with
// chat.update applied; "" returns every channel's. A user ID is read as
// their DM channel.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var src []*Message
	if channel == "" {
		src = s.msgOrder
	} else {
		src = s.messages[s.resolveChannel(channel)]
	}
	out := make([]Message, 0, len(src))
	for _, m := range src {
		out = append(out, m.clone())
	}
	return out
}

// Message returns the message with ts in channel.
func (s *Server) Message(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.findMessage(s.resolveChannel(channel), ts)
	if m == nil {
		return Message{}, false
	}
	return m.clone(), true
}

// Ephemerals returns the chat.postEphemeral messages of channel ("" = all),
// oldest first.
func (s *Server) Ephemerals(channel string) []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Ephemeral
	if channel != "" {
		channel = s.resolveChannel(channel)
	}
	for ch, list := range s.ephemerals {
		if channel != "" && ch != channel {
			continue
		}
		for _, e := range list {
			e.Blocks = cloneRaw(e.Blocks)
			out = append(out, e)
		}
	}
	// Timestamps are strictly increasing and of equal width.
	slices.SortFunc(out, func(a, b Ephemeral) int { return strings.Compare(a.TS, b.TS) })
	return out
}

// Opened returns the modals opened with views.open, in order, in their
// current state (views.update applied).
func (s *Server) Opened() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]View, 0, len(s.opened))
	for _, id := range s.opened {
		out = append(out, s.views[id].clone())
	}
	return out
}

// Published returns every home tab published for user, oldest first; the
// last one is what the user sees.
func (s *Server) Published(user string) []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]View, 0, len(s.published[user]))
	for _, v := range s.published[user] {
		out = append(out, v.clone())
	}
	return out
}

// View returns the current state of a view by ID.
func (s *Server) View(id string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.views[id]
	if !ok {
		return View{}, false
	}
	return v.clone(), true
}

// Uploads returns the completed file uploads in upload order.
func (s *Server) Uploads() []Upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Upload
	for _, id := range s.upOrder {
		if u := s.uploads[id]; u.Completed {
			out = append(out, u.clone())
		}
	}
	return out
}

// Responses returns the posts made to ResponseURL(name), in order.
func (s *Server) Responses(name string) []Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Response, 0, len(s.responses[name]))
	for _, r := range s.responses[name] {
		r.Blocks = cloneRaw(r.Blocks)
		r.Body = bytes.Clone(r.Body)
		r.JSON = cloneMap(r.JSON)
		out = append(out, r)
	}
	return out
}

// ---- waiting ----

// WaitFor blocks until cond returns true or ctx ends. cond is evaluated
// now and after every recorded call; it may call the Server's methods.
func (s *Server) WaitFor(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// WaitCalls waits until at least n calls of method ("" = any) are recorded
// and returns all of them; after timeout it returns those seen and an error.
// A call is recorded after its effects (message posted, view opened, ...)
// are visible.
func (s *Server) WaitCalls(method string, n int, timeout time.Duration) ([]Call, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := s.WaitFor(ctx, func() bool { return s.countCalls(method) >= n })
	calls := s.Calls(method)
	if err != nil {
		return calls, fmt.Errorf("fakeslack: waited %v for %d %q calls, got %d", timeout, n, method, len(calls))
	}
	return calls, nil
}

func (s *Server) countCalls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			n++
		}
	}
	return n
}
