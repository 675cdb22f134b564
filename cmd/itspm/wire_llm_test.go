package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/itspm/itspm/internal/fakeopenai"
)

// With OPENAI_API_KEY set, questions in `itspm chat` are answered by the
// model through the configured endpoint, commands are not, and a failing
// endpoint falls back to the built-in parser. The key is never logged.
func TestChatAnswersQuestionsWithTheLLM(t *testing.T) {
	const key = "sk-wire-test-abcdef0123456789"
	fake := fakeopenai.New(key)
	defer fake.Close()
	fake.Script(
		fakeopenai.Step{ToolCalls: []fakeopenai.ToolCall{fakeopenai.Call("get_service", `{"name":"payroll","sections":["owner"]}`)}},
		fakeopenai.Step{Content: "Payroll is owned by Lee Chen (from the model)."},
		fakeopenai.Step{Status: http.StatusTooManyRequests, RetryAfter: "30", Message: "Rate limit reached for " + key},
	)
	var out, errOut bytes.Buffer
	env := []string{"ITSPM_DATA_DIR=" + t.TempDir(), "ITSPM_LOG_LEVEL=info", "ITSPM_TIMEZONE=UTC",
		"OPENAI_API_KEY=" + key, "OPENAI_BASE_URL=" + fake.BaseURL(), "OPENAI_MODEL=test-model"}
	lines := []string{"who owns payroll?", "owner crm", "how much does email cost a year?"}
	code := run(context.Background(), []string{"chat", "--demo"},
		stdio{in: strings.NewReader(strings.Join(lines, "\n") + "\n"), out: &out, err: &errOut}, env)
	if code != 0 {
		t.Fatalf("chat exited %d: %s", code, errOut.String())
	}
	replies := strings.Split(strings.TrimSuffix(out.String(), "---\n"), "\n---\n")
	if len(replies) != len(lines) {
		t.Fatalf("got %d replies for %d lines:\n%s", len(replies), len(lines), out.String())
	}
	if !strings.Contains(replies[0], "Payroll is owned by Lee Chen (from the model).") || !strings.Contains(replies[0], "Sources: payroll.") {
		t.Errorf("LLM answer:\n%s", replies[0])
	}
	if !strings.Contains(replies[1], "CRM is owned by Mei Tanaka") {
		t.Errorf("command:\n%s", replies[1])
	}
	if !strings.Contains(replies[2], "€204,000") || strings.Contains(replies[2], "Sources:") {
		t.Errorf("fallback answer after a 429:\n%s", replies[2])
	}
	reqs := fake.Requests()
	if len(reqs) != 3 || reqs[0].Model != "test-model" || reqs[0].Authorization != "Bearer "+key {
		t.Errorf("requests: %d, model %q", len(reqs), reqs[0].Model)
	}
	if strings.Contains(errOut.String()+out.String(), key) {
		t.Errorf("the API key was printed:\n%s", errOut.String())
	}
	if !strings.Contains(errOut.String(), "LLM answer failed") {
		t.Errorf("the fallback was not logged:\n%s", errOut.String())
	}
}
