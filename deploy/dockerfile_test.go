package deploy_test

import (
	"bufio"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction with its continuation lines
// joined.
type instruction struct {
	cmd   string            // upper-case keyword
	flags map[string]string // leading --name=value options
	args  string            // the rest
	line  int
}

type stage struct {
	base, name string
	args       map[string]string // ARG name → default
	instrs     []instruction
}

type dockerfile struct {
	globalArgs map[string]string
	stages     []*stage
}

// parseDockerfile is a small parser for the subset of the syntax we use:
// comments, line continuations, leading --flags, ARG defaults in FROM.
func parseDockerfile(t *testing.T, rel string) *dockerfile {
	t.Helper()
	df := &dockerfile{globalArgs: map[string]string{}}
	sc := bufio.NewScanner(strings.NewReader(string(read(t, rel))))
	var buf strings.Builder
	start := 0
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue // comments may sit between continuation lines
		}
		if buf.Len() == 0 {
			start = n
		}
		if strings.HasSuffix(line, `\`) {
			buf.WriteString(strings.TrimSuffix(line, `\`) + " ")
			continue
		}
		buf.WriteString(line)
		in := parseInstruction(buf.String(), start)
		buf.Reset()
		switch in.cmd {
		case "FROM":
			fs := strings.Fields(in.args)
			st := &stage{base: expandArgs(fs[0], df.globalArgs), args: map[string]string{}}
			if len(fs) == 3 && strings.EqualFold(fs[1], "AS") {
				st.name = fs[2]
			}
			df.stages = append(df.stages, st)
		case "ARG":
			name, def, _ := strings.Cut(in.args, "=")
			if len(df.stages) == 0 {
				df.globalArgs[name] = strings.Trim(def, `"`)
			} else {
				df.stages[len(df.stages)-1].args[name] = strings.Trim(def, `"`)
			}
		}
		if len(df.stages) > 0 {
			st := df.stages[len(df.stages)-1]
			st.instrs = append(st.instrs, in)
		}
	}
	if buf.Len() > 0 {
		t.Fatalf("%s: file ends inside a continued line", rel)
	}
	if len(df.stages) == 0 {
		t.Fatalf("%s: no FROM", rel)
	}
	return df
}

func parseInstruction(s string, line int) instruction {
	cmd, rest, _ := strings.Cut(s, " ")
	in := instruction{cmd: strings.ToUpper(cmd), flags: map[string]string{}, line: line}
	rest = strings.TrimSpace(rest)
	for strings.HasPrefix(rest, "--") {
		var f string
		f, rest, _ = strings.Cut(rest, " ")
		rest = strings.TrimSpace(rest)
		k, v, _ := strings.Cut(strings.TrimPrefix(f, "--"), "=")
		in.flags[k] = v
	}
	in.args = rest
	return in
}

func expandArgs(s string, args map[string]string) string {
	return os.Expand(s, func(k string) string { return args[k] })
}

func (s *stage) find(cmd string) []instruction {
	var out []instruction
	for _, in := range s.instrs {
		if in.cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// execForm decodes a JSON-array instruction argument.
func execForm(t *testing.T, in instruction) []string {
	t.Helper()
	s := strings.TrimSpace(in.args)
	if !strings.HasPrefix(s, "[") {
		t.Errorf("Dockerfile:%d: %s should use the exec (JSON array) form so signals reach itspm", in.line, in.cmd)
		return strings.Fields(s)
	}
	var out []string
	for _, f := range strings.Split(strings.Trim(s, "[]"), ",") {
		u, err := strconv.Unquote(strings.TrimSpace(f))
		if err != nil {
			t.Errorf("Dockerfile:%d: %s: %v", in.line, in.cmd, err)
		}
		out = append(out, u)
	}
	return out
}

// dockerUser is the numeric UID the runtime stage runs as.
func dockerUser(t *testing.T) int {
	t.Helper()
	final := parseDockerfile(t, "deploy/Dockerfile").stages
	users := final[len(final)-1].find("USER")
	if len(users) == 0 {
		t.Fatal("Dockerfile: the runtime stage sets no USER (it would run as root)")
	}
	u := users[len(users)-1]
	uid, _, _ := strings.Cut(u.args, ":")
	n, err := strconv.Atoi(uid)
	if err != nil {
		t.Fatalf("Dockerfile:%d: USER %s is not numeric; Kubernetes runAsNonRoot cannot verify a user name", u.line, u.args)
	}
	return n
}

func TestDockerfile(t *testing.T) {
	p := loadProgram(t)
	df := parseDockerfile(t, "deploy/Dockerfile")
	if len(df.stages) < 2 {
		t.Fatalf("Dockerfile: %d stage(s), want a build stage and a runtime stage", len(df.stages))
	}
	stages := map[string]*stage{}
	for _, s := range df.stages {
		if s.name != "" {
			stages[s.name] = s
		}
	}
	final := df.stages[len(df.stages)-1]

	t.Run("build", func(t *testing.T) {
		var build *stage
		var goBuild instruction
		for _, s := range df.stages {
			for _, in := range s.find("RUN") {
				if strings.Contains(in.args, "go build") {
					build, goBuild = s, in
				}
			}
		}
		if build == nil {
			t.Fatal("no stage runs go build")
		}
		if build == final {
			t.Error("go build runs in the runtime stage; the toolchain would ship in the image")
		}
		// The builder's Go is the minor version go.mod asks for.
		goMod := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(read(t, "go.mod"))
		if goMod == nil {
			t.Fatal("go.mod: no go directive")
		}
		if want := "golang:" + string(goMod[1]); !strings.HasPrefix(build.base, want) {
			t.Errorf("build stage FROM %s, want %s (go.mod says go %s)", build.base, want, goMod[1])
		}
		cmd := goBuild.args
		for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-s -w"} {
			if !strings.Contains(cmd, want) {
				t.Errorf("Dockerfile:%d: go build lacks %s", goBuild.line, want)
			}
		}
		// -X main.<var>=${ARG}: the var exists in cmd/itspm and the ARG in the stage.
		xs := regexp.MustCompile(`-X main\.(\w+)=\$\{?(\w+)\}?`).FindAllStringSubmatch(cmd, -1)
		got := map[string]bool{}
		for _, x := range xs {
			got[x[1]] = true
			if !p.ldflagVars[x[1]] {
				t.Errorf("Dockerfile:%d: -X main.%s, but cmd/itspm/main.go has no such string var", goBuild.line, x[1])
			}
			if _, ok := build.args[x[2]]; !ok {
				t.Errorf("Dockerfile:%d: -X main.%s=${%s}, but the build stage declares no ARG %s", goBuild.line, x[1], x[2], x[2])
			}
		}
		for _, v := range []string{"version", "commit"} {
			if !got[v] {
				t.Errorf("Dockerfile:%d: go build does not stamp main.%s", goBuild.line, v)
			}
		}
		pkg := regexp.MustCompile(`\s(\./[\w./-]+)\s*$`).FindStringSubmatch(cmd)
		if pkg == nil || pkg[1] != "./cmd/itspm" {
			t.Fatalf("Dockerfile:%d: go build does not end with ./cmd/itspm: %q", goBuild.line, cmd)
		}
		if !exists(filepath.Join(pkg[1], "main.go")) {
			t.Errorf("Dockerfile:%d: %s/main.go does not exist", goBuild.line, pkg[1])
		}
		out := regexp.MustCompile(`-o\s+(\S+)`).FindStringSubmatch(cmd)
		if out == nil {
			t.Fatalf("Dockerfile:%d: go build has no -o", goBuild.line)
		}
		// The runtime stage copies exactly that binary from the build stage
		// onto PATH, where ENTRYPOINT ["itspm"] finds it.
		var copied bool
		for _, in := range final.find("COPY") {
			fs := strings.Fields(in.args)
			if stages[in.flags["from"]] == build && fs[0] == out[1] {
				copied = true
				if dst := fs[len(fs)-1]; dst != "/usr/local/bin/itspm" && dst != "/usr/local/bin/" && dst != "/usr/bin/itspm" {
					t.Errorf("Dockerfile:%d: binary copied to %s, not onto PATH as itspm", in.line, dst)
				}
			}
		}
		if !copied {
			t.Errorf("runtime stage does not COPY --from=%s %s", build.name, out[1])
		}
	})

	t.Run("copy sources exist", func(t *testing.T) {
		ignored := dockerignore(t)
		n := 0
		for _, s := range df.stages {
			for _, in := range s.find("COPY") {
				fs := strings.Fields(in.args)
				if from := in.flags["from"]; from != "" {
					if stages[from] == nil {
						t.Errorf("Dockerfile:%d: COPY --from=%s names no stage", in.line, from)
					}
					continue
				}
				for _, src := range fs[:len(fs)-1] {
					n++
					matches, _ := filepath.Glob(filepath.Join(root, src))
					if len(matches) == 0 {
						t.Errorf("Dockerfile:%d: COPY source %s does not exist in the build context (the repository root)", in.line, src)
					}
					for _, pat := range ignored {
						if ok, _ := path.Match(pat, path.Clean(src)); ok {
							t.Errorf("Dockerfile:%d: COPY source %s is excluded by .dockerignore pattern %s", in.line, src, pat)
						}
					}
				}
			}
		}
		if n == 0 {
			t.Error("no COPY from the build context")
		}
		// The sources go build needs must not be ignored.
		for _, need := range []string{"go.mod", "go.sum", "cmd", "storage", "bot"} {
			for _, pat := range ignored {
				if ok, _ := path.Match(pat, need); ok {
					t.Errorf("Dockerfile.dockerignore pattern %s excludes %s", pat, need)
				}
			}
		}
	})

	t.Run("runtime", func(t *testing.T) {
		if strings.HasPrefix(final.base, "golang:") {
			t.Errorf("runtime stage FROM %s ships the Go toolchain", final.base)
		}
		if uid := dockerUser(t); uid == 0 {
			t.Error("runtime USER is root")
		}
		var exposed bool
		for _, in := range final.find("EXPOSE") {
			for _, port := range strings.Fields(in.args) {
				exposed = exposed || strings.TrimSuffix(port, "/tcp") == p.port
			}
		}
		if !exposed {
			t.Errorf("runtime stage does not EXPOSE %s (ITSPM_HTTP_ADDR's default)", p.port)
		}
		hc := final.find("HEALTHCHECK")
		if len(hc) == 0 {
			t.Fatal("runtime stage has no HEALTHCHECK")
		}
		want := fmt.Sprintf("127.0.0.1:%s/healthz", p.port)
		if !strings.Contains(hc[0].args, want) {
			t.Errorf("Dockerfile:%d: HEALTHCHECK does not probe %s: %s", hc[0].line, want, hc[0].args)
		}
		p.checkRoute(t, "Dockerfile HEALTHCHECK", "/healthz")
		ep, cmd := final.find("ENTRYPOINT"), final.find("CMD")
		if len(ep) == 0 || len(cmd) == 0 {
			t.Fatal("runtime stage needs ENTRYPOINT and CMD")
		}
		if got := execForm(t, ep[len(ep)-1]); len(got) != 1 || got[0] != "itspm" {
			t.Errorf("ENTRYPOINT %v, want [itspm]", got)
		}
		if got := execForm(t, cmd[len(cmd)-1]); len(got) == 0 || !p.subcommands[got[0]] || got[0] != "serve" {
			t.Errorf("CMD %v, want [serve]", got)
		}
		// ENV names are SPEC's; the data directory is a volume.
		env := map[string]string{}
		for _, in := range final.find("ENV") {
			for _, kv := range strings.Fields(in.args) {
				k, v, _ := strings.Cut(kv, "=")
				env[k] = v
			}
		}
		var names []string
		for k := range env {
			names = append(names, k)
		}
		p.checkVars(t, "Dockerfile ENV", names)
		dataDir := env["ITSPM_DATA_DIR"]
		if dataDir == "" {
			t.Fatal("runtime stage does not set ITSPM_DATA_DIR")
		}
		var vol bool
		for _, in := range final.find("VOLUME") {
			vol = vol || strings.Contains(in.args, `"`+dataDir+`"`) || strings.TrimSpace(in.args) == dataDir
		}
		if !vol {
			t.Errorf("ITSPM_DATA_DIR=%s is not a VOLUME", dataDir)
		}
		labels := map[string]bool{}
		for _, in := range final.find("LABEL") {
			for _, m := range regexp.MustCompile(`(org\.opencontainers\.image\.\w+)=`).FindAllStringSubmatch(in.args, -1) {
				labels[m[1]] = true
			}
		}
		for _, l := range []string{"title", "source", "version", "revision"} {
			if !labels["org.opencontainers.image."+l] {
				t.Errorf("runtime stage lacks LABEL org.opencontainers.image.%s", l)
			}
		}
	})
}

// dockerignore returns the patterns of the Dockerfile-specific ignore file.
func dockerignore(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(string(read(t, "deploy/Dockerfile.dockerignore")), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "!") {
			out = append(out, strings.TrimPrefix(l, "/"))
		}
	}
	return out
}
