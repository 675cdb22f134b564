// Package archtest keeps the dependency direction of DESIGN.md: the domain
// and the command layer never see Slack or database types.
package archtest

import (
	"os/exec"
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
	forbidden := map[string][]string{
		"github.com/itspm/itspm/commands": {
			"github.com/slack-go/", "go.mongodb.org/", "github.com/itspm/itspm/storage", "github.com/itspm/itspm/bot",
			"github.com/FerretDB/",
		},
		"github.com/itspm/itspm/jobs": {
			"github.com/slack-go/", "github.com/itspm/itspm/bot", "github.com/itspm/itspm/cmd",
		},
		"github.com/itspm/itspm/storage": {
			"github.com/slack-go/", "github.com/itspm/itspm/commands", "github.com/itspm/itspm/bot",
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
