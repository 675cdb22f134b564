package bot

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCleanText(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"<@U0BOT> owner payroll", "owner payroll"},
		{"<@U0BOT|itspm>   who owns   payroll?", "who owns payroll?"},
		{"which services does <@U0LEE> own?", "which services does <@U0LEE> own?"},
		{"which services does <@U0LEE|lee> own?", "which services does <@U0LEE> own?"},
		{"find <#C0PAYROLL|payroll> R&amp;D &lt;x&gt;", "find payroll R&D <x>"},
		{"see <https://wiki.example.com/dr|the plan> and <https://x.example.com>", "see the plan and https://x.example.com"},
		{"<!here> help", "help"},
	}
	for _, tc := range tests {
		if got := cleanText(tc.in, "U0BOT"); got != tc.want {
			t.Errorf("cleanText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestActionBase(t *testing.T) {
	for in, want := range map[string]string{"run_command": "run_command", "run_command#3": "run_command", "tollgate_approve#2": "tollgate_approve"} {
		if got := actionBase(in); got != want {
			t.Errorf("actionBase(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestChunkAndClipKeepEscapesWhole(t *testing.T) {
	s := strings.Repeat("a", 2997) + "&amp;<@U0LEE> tail"
	chunks := chunkText(s, 3000)
	if len(chunks) != 2 || !strings.HasPrefix(chunks[1], "&amp;") {
		t.Errorf("chunks split an escape: %q…", chunks[len(chunks)-1])
	}
	for _, c := range chunks {
		if utf8.RuneCountInString(c) > 3000 {
			t.Errorf("chunk of %d runes", utf8.RuneCountInString(c))
		}
	}
	if got := clip("abc <@U0LEE> def", 9); got != "abc …" {
		t.Errorf("clip = %q, want the mention dropped whole", got)
	}
	if got := clip("short", 10); got != "short" {
		t.Errorf("clip changed short text: %q", got)
	}
}
