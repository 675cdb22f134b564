// Package archtest keeps the dependency direction of DESIGN.md: the domain
// and the command layer never see Slack or database types.
package archtest

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

func TestDependencyDirection(t *testing.T) {
	// The command layer: the engine (commands) and what plugs into it
	// (questions, llm, tollgates) never see Slack or database types.
	commandLayer := []string{
		"github.com/slack-go/", "go.mongodb.org/", "github.com/itspm/itspm/storage", "github.com/itspm/itspm/bot",
		"github.com/FerretDB/",
	}
	with := func(extra ...string) []string { return append(slices.Clone(commandLayer), extra...) }
	forbidden := map[string][]string{
		// commands is the lower layer: questions, llm and tollgates import
		// it and are wired into the engine through its interfaces
		// (Questions, Asker, Workflow and Voter), never the other way.
		"github.com/itspm/itspm/commands": with(
			"github.com/itspm/itspm/questions", "github.com/itspm/itspm/llm", "github.com/itspm/itspm/tollgates",
		),
		// The built-in parser needs no model and no workflow.
		"github.com/itspm/itspm/questions": with("github.com/itspm/itspm/llm", "github.com/itspm/itspm/tollgates"),
		// The model reads; it cannot reach the workflow that writes.
		"github.com/itspm/itspm/llm": with("github.com/itspm/itspm/tollgates"),
		// The workflow does not read plain language.
		"github.com/itspm/itspm/tollgates": with("github.com/itspm/itspm/questions", "github.com/itspm/itspm/llm"),
		"github.com/itspm/itspm/jobs": {
			"github.com/slack-go/", "github.com/itspm/itspm/bot", "github.com/itspm/itspm/cmd",
		},
		"github.com/itspm/itspm/storage": {
			"github.com/slack-go/", "github.com/itspm/itspm/commands", "github.com/itspm/itspm/bot",
			"github.com/itspm/itspm/questions", "github.com/itspm/itspm/llm", "github.com/itspm/itspm/tollgates",
		},
	}
	for pkg, bad := range forbidden {
		for _, d := range deps(t, pkg) {
			if d == pkg {
				continue
			}
			for _, prefix := range bad {
				if strings.HasPrefix(d, prefix) {
					t.Errorf("%s imports %s (forbidden: %s)", pkg, d, prefix)
				}
			}
		}
	}
	// The domain uses the standard library only.
	for _, d := range deps(t, "github.com/itspm/itspm/domain") {
		first, _, _ := strings.Cut(d, "/")
		if d != "github.com/itspm/itspm/domain" && strings.Contains(first, ".") {
			t.Errorf("domain imports %s: it must use the standard library only", d)
		}
	}
	// Nothing imports cmd.
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "github.com/itspm/itspm/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		for _, imp := range f[1:] {
			if strings.HasPrefix(imp, "github.com/itspm/itspm/cmd") {
				t.Errorf("%s imports %s", f[0], imp)
			}
		}
	}
}
