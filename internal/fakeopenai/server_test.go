package fakeopenai

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	openai "github.com/sashabaranov/go-openai"
)

func client(s *Server, key string) *openai.Client {
	cfg := openai.DefaultConfig(key)
	cfg.BaseURL = s.BaseURL()
	return openai.NewClientWithConfig(cfg)
}

func TestToolCallRoundTrip(t *testing.T) {
	s := New("sk-test")
	defer s.Close()
	s.Script(
		Step{ToolCalls: []ToolCall{Call("get_service", `{"name":"payroll"}`)}, Usage: &Usage{Prompt: 50, Completion: 7}},
		Step{Content: "Lee owns payroll."},
	)
	c := client(s, "sk-test")
	ctx := context.Background()
	req := openai.ChatCompletionRequest{
		Model:    "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "who owns payroll?"}},
		Tools: []openai.Tool{{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
			Name: "get_service", Parameters: map[string]any{"type": "object"}}}},
	}
	resp, err := c.CreateChatCompletion(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	msg := resp.Choices[0].Message
	if len(msg.ToolCalls) != 1 || msg.ToolCalls[0].Function.Name != "get_service" || resp.Usage.PromptTokens != 50 ||
		resp.Choices[0].FinishReason != openai.FinishReasonToolCalls {
		t.Fatalf("first response = %+v", resp)
	}
	req.Messages = append(req.Messages, msg, openai.ChatCompletionMessage{Role: "tool", ToolCallID: msg.ToolCalls[0].ID, Content: `{"owner":"lee"}`})
	resp, err = c.CreateChatCompletion(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Choices[0].Message.Content; got != "Lee owns payroll." {
		t.Errorf("answer = %q", got)
	}
	reqs := s.Requests()
	if len(reqs) != 2 || reqs[0].Authorization != "Bearer sk-test" {
		t.Fatalf("requests = %+v", reqs)
	}
	if diff := cmp.Diff(map[string]string{msg.ToolCalls[0].ID: `{"owner":"lee"}`}, reqs[1].ToolResults()); diff != "" {
		t.Errorf("tool results (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"get_service"}, reqs[0].ToolNames()); diff != "" {
		t.Errorf("tools (-want +got):\n%s", diff)
	}
}

func TestFaults(t *testing.T) {
	s := New("sk-test")
	defer s.Close()
	c := client(s, "sk-test")
	req := openai.ChatCompletionRequest{Model: "m", Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "hi"}}}

	// 429 with Retry-After, as a raw response and through the client.
	s.Script(Step{Status: http.StatusTooManyRequests, RetryAfter: "7"}, Step{Status: http.StatusTooManyRequests, RetryAfter: "7"})
	hr, err := http.NewRequest(http.MethodPost, s.BaseURL()+"/chat/completions", strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	hr.Header.Set("Authorization", "Bearer sk-test")
	hr.Header.Set("Content-Type", "application/json")
	raw, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	raw.Body.Close()
	if raw.StatusCode != 429 || raw.Header.Get("Retry-After") != "7" {
		t.Errorf("raw 429: status %d, Retry-After %q", raw.StatusCode, raw.Header.Get("Retry-After"))
	}
	_, err = c.CreateChatCompletion(context.Background(), req)
	var apiErr *openai.APIError
	if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 429 || apiErr.Code != "rate_limit_exceeded" {
		t.Errorf("429 through the client: %v", err)
	}

	// A slow answer runs into the client's deadline.
	s.Script(Step{Delay: 2 * time.Second, Content: "late"})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := c.CreateChatCompletion(ctx, req); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow answer: err = %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("timed out after %v", d)
	}

	// A wrong key is refused, and the message echoes it (as OpenAI does).
	_, err = client(s, "sk-wrong").CreateChatCompletion(context.Background(), req)
	if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 401 || !strings.Contains(apiErr.Message, "sk-wrong") {
		t.Errorf("wrong key: %v", err)
	}

	// A tool message that answers no tool call is rejected like the real API does.
	bad := req
	bad.Messages = append(bad.Messages, openai.ChatCompletionMessage{Role: "tool", ToolCallID: "nope", Content: "{}"})
	_, err = c.CreateChatCompletion(context.Background(), bad)
	if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 400 || len(s.Problems()) != 1 {
		t.Errorf("orphan tool message: err %v, problems %v", err, s.Problems())
	}

	// Nothing scripted: a 500.
	_, err = c.CreateChatCompletion(context.Background(), req)
	if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 500 {
		t.Errorf("empty script: %v", err)
	}
}
