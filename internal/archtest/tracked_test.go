package archtest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// maxTracked is the largest file we accept in git. The biggest source file
// is a few dozen KiB; anything near a megabyte is build output or data that
// every clone would carry forever.
const maxTracked = 1 << 20

// binaryMagic holds the first bytes of the executable formats a Go build can
// produce: ELF (Linux), Mach-O (macOS, both byte orders and fat binaries)
// and PE (Windows, "MZ").
var binaryMagic = []struct {
	name  string
	magic []byte
}{
	{"ELF executable", []byte{0x7f, 'E', 'L', 'F'}},
	{"Mach-O executable", []byte{0xfe, 0xed, 0xfa, 0xce}},
	{"Mach-O executable", []byte{0xfe, 0xed, 0xfa, 0xcf}},
	{"Mach-O executable", []byte{0xce, 0xfa, 0xed, 0xfe}},
	{"Mach-O executable", []byte{0xcf, 0xfa, 0xed, 0xfe}},
	{"Mach-O universal binary", []byte{0xca, 0xfe, 0xba, 0xbe}},
	{"PE executable", []byte{'M', 'Z'}},
}

// problem says why a tracked file does not belong in git, or "" when it does.
func problem(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	if st.Size() > maxTracked {
		return "is " + humanSize(st.Size()) + ", over the 1 MiB limit for tracked files", nil
	}
	head := make([]byte, 8)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", err
	}
	head = head[:n]
	for _, m := range binaryMagic {
		if bytes.HasPrefix(head, m.magic) {
			return "is an " + m.name + " (build output belongs in bin/, which git ignores)", nil
		}
	}
	return "", nil
}

func humanSize(n int64) string {
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// TestNoBuildOutputTracked fails when git tracks a file over 1 MiB or an
// executable binary: a 43 MB itspm binary once rode along in every clone.
func TestNoBuildOutputTracked(t *testing.T) {
	root, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skipf("not a git checkout (%v): nothing tracked to check", err)
	}
	dir := strings.TrimSpace(string(root))
	out, err := exec.Command("git", "-C", dir, "ls-files", "-z").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	files := strings.Split(strings.TrimRight(string(out), "\x00"), "\x00")
	if len(files) < 10 {
		t.Fatalf("git ls-files listed %d files; expected the whole project", len(files))
	}
	for _, name := range files {
		p, err := problem(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue // deleted in the work tree, not yet committed
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if p != "" {
			t.Errorf("%s %s; remove it with `git rm --cached %s` and add it to .gitignore", name, p, name)
		}
	}
}

// TestProblemCatchesBinaries checks the rule itself on files made for the
// test: a real Go binary, a large text file, a PE stub and ordinary text.
func TestProblemCatchesBinaries(t *testing.T) {
	dir := t.TempDir()
	exe, err := os.Executable() // this test binary: an ELF/Mach-O/PE file
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	head, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		want string // substring of the problem; "" = fine
	}{
		{"go test binary", write("itspm", head[:4096]), "executable"},
		{"big text", write("big.txt", bytes.Repeat([]byte("a"), maxTracked+1)), "over the 1 MiB limit"},
		{"pe stub", write("x.exe", []byte("MZ\x90\x00rest")), "PE executable"},
		{"source", write("main.go", []byte("package main\n")), ""},
		{"empty", write("empty", nil), ""},
		{"one byte", write("one", []byte{0x7f}), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := problem(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Errorf("problem(%s) = %q, want it to mention %q", tt.name, got, tt.want)
			}
		})
	}
}
