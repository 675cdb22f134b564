// Package fakeopenai is a fake OpenAI-compatible Chat Completions server
// for tests: it speaks the real JSON of POST /v1/chat/completions (tools,
// tool_calls, usage, the error envelope), replays a script of responses,
// and injects the faults a real endpoint has (429 with Retry-After, slow
// answers, 5xx, malformed tool arguments). It validates what clients send
// the way the real API does, so protocol mistakes fail tests.
package fakeopenai

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Message is a chat message as sent and received on the wire.
type Message struct {
	Role       string     `json:"role"`
	Content    *string    `json:"content"`
	Name       string     `json:"name,omitempty"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
}

// Text is the message's content ("" when null).
func (m Message) Text() string {
	if m.Content == nil {
		return ""
	}
	return *m.Content
}

// ToolCall is a function call requested by the model.
type ToolCall struct {
	ID       string       `json:"id"`
	Type     string       `json:"type"`
	Function FunctionCall `json:"function"`
}

// FunctionCall names the function and carries its arguments as a JSON string.
type FunctionCall struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// Tool is a tool definition sent by the client.
type Tool struct {
	Type     string `json:"type"`
	Function struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
	} `json:"function"`
}

// Request is a decoded chat completion request.
type Request struct {
	Model       string          `json:"model"`
	Messages    []Message       `json:"messages"`
	Tools       []Tool          `json:"tools,omitempty"`
	ToolChoice  json.RawMessage `json:"tool_choice,omitempty"`
	Temperature *float64        `json:"temperature,omitempty"`

	Authorization string `json:"-"` // the Authorization header as received
}

// ToolNames lists the names of the tools offered.
func (r Request) ToolNames() []string {
	var out []string
	for _, t := range r.Tools {
		out = append(out, t.Function.Name)
	}
	return out
}

// ToolResults returns the content of the tool messages, by tool_call_id.
func (r Request) ToolResults() map[string]string {
	out := map[string]string{}
	for _, m := range r.Messages {
		if m.Role == "tool" {
			out[m.ToolCallID] = m.Text()
		}
	}
	return out
}

// Usage is the token count reported with a response.
type Usage struct {
	Prompt, Completion int
}

// Step is one scripted response.
type Step struct {
	// Content is the assistant's final answer (when ToolCalls is empty).
	Content string
	// ToolCalls are function calls to request; IDs default to call_N.
	ToolCalls []ToolCall
	// Usage defaults to 100 prompt and 20 completion tokens.
	Usage *Usage
	// Delay holds the response back (the client may time out first).
	Delay time.Duration
	// Status, when set, answers with this HTTP status and the OpenAI error
	// envelope (Message as its message); RetryAfter sets the header.
	Status     int
	Message    string
	RetryAfter string
	// Reply computes the step from the request (for answers that depend
	// on tool results); it overrides the fields above.
	Reply func(Request) Step
}

// Call is a convenience for a function ToolCall.
func Call(name, arguments string) ToolCall {
	return ToolCall{Type: "function", Function: FunctionCall{Name: name, Arguments: arguments}}
}

// Server is a running fake.
type Server struct {
	srv *httptest.Server
	key string

	mu       sync.Mutex
	script   []Step
	requests []Request
	calls    int
	problems []string
}

// New starts a fake that accepts the API key key (any non-empty key when key is "").
func New(key string) *Server {
	s := &Server{key: key}
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.CloseClientConnections(); s.srv.Close() }

// BaseURL is what OPENAI_BASE_URL would be: the server URL plus /v1.
func (s *Server) BaseURL() string { return s.srv.URL + "/v1" }

// Script appends steps; each request consumes one.
func (s *Server) Script(steps ...Step) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, steps...)
}

// Requests returns the decoded requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Problems returns protocol violations seen in requests (which the real
// API would have rejected with 400).
func (s *Server) Problems() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.problems...)
}

// Remaining is the number of scripted steps not yet used.
func (s *Server) Remaining() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.script)
}

func writeError(w http.ResponseWriter, status int, typ, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	var c any
	if code != "" {
		c = code
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": c}})
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		writeError(w, http.StatusNotFound, "invalid_request_error", "unknown_url", fmt.Sprintf("Unknown request URL: %s %s.", r.Method, r.URL.Path))
		return
	}
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || token == "" || s.key != "" && token != s.key {
		// Like the real API, the message echoes part of the key it got:
		// clients must not log error messages verbatim.
		writeError(w, http.StatusUnauthorized, "invalid_request_error", "invalid_api_key",
			fmt.Sprintf("Incorrect API key provided: %s. You can find your API key at https://platform.openai.com/account/api-keys.", token))
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "Content-Type must be application/json")
		return
	}
	var req Request
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "We could not parse the JSON body of your request: "+err.Error())
		return
	}
	req.Authorization = auth
	if msg := validate(req); msg != "" {
		s.mu.Lock()
		s.problems = append(s.problems, msg)
		s.requests = append(s.requests, req)
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", msg)
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	if len(s.script) == 0 {
		s.mu.Unlock()
		writeError(w, http.StatusInternalServerError, "server_error", "", "fakeopenai: no scripted response left")
		return
	}
	step := s.script[0]
	s.script = s.script[1:]
	s.calls++
	n := s.calls
	s.mu.Unlock()

	if step.Reply != nil {
		step = step.Reply(req)
	}
	if step.Delay > 0 {
		select {
		case <-time.After(step.Delay):
		case <-r.Context().Done():
			return
		}
	}
	if step.Status != 0 && step.Status != http.StatusOK {
		if step.RetryAfter != "" {
			w.Header().Set("Retry-After", step.RetryAfter)
		}
		msg := step.Message
		if msg == "" {
			msg = http.StatusText(step.Status)
		}
		typ, code := "server_error", ""
		if step.Status == http.StatusTooManyRequests {
			typ, code = "requests", "rate_limit_exceeded"
		}
		writeError(w, step.Status, typ, code, msg)
		return
	}
	usage := Usage{Prompt: 100, Completion: 20}
	if step.Usage != nil {
		usage = *step.Usage
	}
	msg := map[string]any{"role": "assistant", "content": nil}
	finish := "stop"
	if len(step.ToolCalls) > 0 {
		calls := make([]ToolCall, len(step.ToolCalls))
		for i, c := range step.ToolCalls {
			if c.ID == "" {
				c.ID = "call_" + strconv.Itoa(n) + "_" + strconv.Itoa(i+1)
			}
			if c.Type == "" {
				c.Type = "function"
			}
			calls[i] = c
		}
		msg["tool_calls"] = calls
		finish = "tool_calls"
	} else {
		msg["content"] = step.Content
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id":      "chatcmpl-fake" + strconv.Itoa(n),
		"object":  "chat.completion",
		"created": time.Now().Unix(),
		"model":   req.Model,
		"choices": []any{map[string]any{"index": 0, "message": msg, "logprobs": nil, "finish_reason": finish}},
		"usage": map[string]any{
			"prompt_tokens": usage.Prompt, "completion_tokens": usage.Completion,
			"total_tokens": usage.Prompt + usage.Completion,
		},
		"system_fingerprint": "fp_fake",
	})
}

// validate checks a request the way the real API does.
func validate(req Request) string {
	if req.Model == "" {
		return "you must provide a model parameter"
	}
	if len(req.Messages) == 0 {
		return "'messages' must contain at least one message"
	}
	for _, t := range req.Tools {
		if t.Type != "function" || t.Function.Name == "" {
			return "invalid tool definition: type must be function and the function needs a name"
		}
		if len(t.Function.Parameters) > 0 && !json.Valid(t.Function.Parameters) {
			return fmt.Sprintf("invalid JSON schema for function %q", t.Function.Name)
		}
	}
	// Every tool message answers a tool call of the assistant message just
	// before the run of tool messages, and every call is answered.
	pending := map[string]bool{}
	for i, m := range req.Messages {
		switch m.Role {
		case "system", "user", "developer":
			if len(pending) > 0 {
				return fmt.Sprintf("messages[%d]: tool calls %v were not answered", i, keys(pending))
			}
		case "assistant":
			if len(pending) > 0 {
				return fmt.Sprintf("messages[%d]: tool calls %v were not answered", i, keys(pending))
			}
			for _, c := range m.ToolCalls {
				pending[c.ID] = true
			}
		case "tool":
			if !pending[m.ToolCallID] {
				return fmt.Sprintf("messages[%d]: role 'tool' must be a response to a preceding message with 'tool_calls' (tool_call_id %q)", i, m.ToolCallID)
			}
			if m.Content == nil {
				return fmt.Sprintf("messages[%d]: tool message content is required", i)
			}
			delete(pending, m.ToolCallID)
		default:
			return fmt.Sprintf("messages[%d]: invalid role %q", i, m.Role)
		}
	}
	if len(pending) > 0 {
		return fmt.Sprintf("tool calls %v were not answered", keys(pending))
	}
	return ""
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
