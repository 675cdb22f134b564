// Package deploy_test checks the deployment files against the code: no
// Docker engine or cluster runs here, so the Dockerfile, compose file and
// Kubernetes manifests are parsed and every variable name, port, probe path
// and source path they mention is compared with what the program really
// reads, listens on and registers.
package deploy_test

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// root is the repository root, relative to this package's directory (where
// `go test` runs).
const root = ".."

// program is what the code says about configuration and HTTP routes.
type program struct {
	vars           map[string]bool   // cmd/itspm Variables
	schedulePrefix string            // ITSPM_SCHEDULE_
	scheduleVars   map[string]bool   // ITSPM_SCHEDULE_<JOB> for every job
	defaults       map[string]string // e.get("NAME", "default") calls in config.go
	required       []string          // variables requireServe insists on
	port           string            // port of ITSPM_HTTP_ADDR's default
	routes         map[string]bool   // paths in string literals of bot and cmd/itspm
	subcommands    map[string]bool   // `case "serve":` in main.go's run
	ldflagVars     map[string]bool   // package-level string vars of cmd/itspm
}

var (
	programOnce sync.Once
	programVal  *program
	programErr  string
)

// loadProgram reads cmd/itspm and bot once per test binary.
func loadProgram(t *testing.T) *program {
	t.Helper()
	programOnce.Do(func() {
		p, err := readProgram()
		if err != "" {
			programErr = err
			return
		}
		programVal = p
	})
	if programErr != "" {
		t.Fatal(programErr)
	}
	return programVal
}

func readProgram() (*program, string) {
	p := &program{
		vars: map[string]bool{}, scheduleVars: map[string]bool{}, defaults: map[string]string{},
		routes: map[string]bool{}, subcommands: map[string]bool{}, ldflagVars: map[string]bool{},
	}
	cmdFiles, err := parseDir(filepath.Join(root, "cmd", "itspm"))
	if err != nil {
		return nil, err.Error()
	}
	botFiles, err := parseDir(filepath.Join(root, "bot"))
	if err != nil {
		return nil, err.Error()
	}
	var jobs []string
	for name, f := range cmdFiles {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.GenDecl:
				for _, s := range d.Specs {
					vs, ok := s.(*ast.ValueSpec)
					if !ok {
						continue
					}
					for i, id := range vs.Names {
						if i >= len(vs.Values) {
							continue
						}
						switch {
						case id.Name == "Variables":
							for _, v := range stringLits(vs.Values[i]) {
								p.vars[v] = true
							}
						case id.Name == "jobNames":
							jobs = stringLits(vs.Values[i])
						case id.Name == "SchedulePrefix" && d.Tok == token.CONST:
							if l := stringLits(vs.Values[i]); len(l) == 1 {
								p.schedulePrefix = l[0]
							}
						case d.Tok == token.VAR && filepath.Base(name) == "main.go":
							if l := stringLits(vs.Values[i]); len(l) == 1 {
								p.ldflagVars[id.Name] = true
							}
						}
					}
				}
			case *ast.FuncDecl:
				switch d.Name.Name {
				case "loadConfig":
					ast.Inspect(d, func(n ast.Node) bool {
						call, ok := n.(*ast.CallExpr)
						if !ok || len(call.Args) != 2 {
							return true
						}
						if sel, ok := call.Fun.(*ast.SelectorExpr); !ok || sel.Sel.Name != "get" {
							return true
						}
						k, v := stringLits(call.Args[0]), stringLits(call.Args[1])
						if len(k) == 1 && len(v) == 1 {
							p.defaults[k[0]] = v[0]
						}
						return true
					})
				case "requireServe":
					// Its errors start with the variable name: "NAME: required by serve …".
					for _, s := range stringLits(d.Body) {
						if m := regexp.MustCompile(`^([A-Z][A-Z0-9_]+): required`).FindStringSubmatch(s); m != nil {
							p.required = append(p.required, m[1])
						}
					}
				case "run":
					ast.Inspect(d, func(n ast.Node) bool {
						if cc, ok := n.(*ast.CaseClause); ok {
							for _, e := range cc.List {
								for _, s := range stringLits(e) {
									p.subcommands[s] = true
								}
							}
						}
						return true
					})
				}
			}
		}
	}
	for _, files := range []map[string]*ast.File{cmdFiles, botFiles} {
		for _, f := range files {
			for _, s := range stringLits(f) {
				// Routes look like "/healthz" or "GET /healthz".
				fs := strings.Fields(s)
				if n := len(fs); (n == 1 || n == 2) && strings.HasPrefix(fs[n-1], "/") && len(s) < 80 {
					p.routes[fs[n-1]] = true
				}
			}
		}
	}
	if len(p.vars) == 0 || p.schedulePrefix == "" || len(jobs) == 0 {
		return nil, "cmd/itspm: Variables, SchedulePrefix or jobNames not found; the deploy tests read them"
	}
	for _, j := range jobs {
		p.scheduleVars[p.schedulePrefix+strings.ToUpper(strings.ReplaceAll(j, "-", "_"))] = true
	}
	sort.Strings(p.required)
	if len(p.required) == 0 {
		return nil, "cmd/itspm: requireServe names no required variable"
	}
	addr, ok := p.defaults["ITSPM_HTTP_ADDR"]
	if !ok {
		return nil, "cmd/itspm: no default for ITSPM_HTTP_ADDR in loadConfig"
	}
	if _, p.port, err = net.SplitHostPort(addr); err != nil {
		return nil, "ITSPM_HTTP_ADDR default: " + err.Error()
	}
	return p, ""
}

// parseDir parses a package's non-test Go files.
func parseDir(dir string) (map[string]*ast.File, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	files := map[string]*ast.File{}
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, n, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		files[n] = f
	}
	return files, nil
}

// stringLits returns the values of the string literals under n.
func stringLits(n ast.Node) []string {
	var out []string
	ast.Inspect(n, func(n ast.Node) bool {
		if bl, ok := n.(*ast.BasicLit); ok && bl.Kind == token.STRING {
			if s, err := strconv.Unquote(bl.Value); err == nil {
				out = append(out, s)
			}
		}
		return true
	})
	return out
}

// known reports whether name is a variable the program reads.
func (p *program) known(name string) bool {
	return p.vars[name] || p.scheduleVars[name]
}

// checkVars reports every name the program does not read.
func (p *program) checkVars(t *testing.T, where string, names []string) {
	t.Helper()
	for _, n := range names {
		if !p.known(n) {
			t.Errorf("%s: %s is not a variable itspm reads (cmd/itspm Variables or %s<JOB> for a known job)", where, n, p.schedulePrefix)
		}
	}
}

// checkRoute reports a path serve does not register.
func (p *program) checkRoute(t *testing.T, where, path string) {
	t.Helper()
	if !p.routes[path] {
		t.Errorf("%s: path %s is not registered by the bot (no string literal %q in bot/ or cmd/itspm/)", where, path, path)
	}
}

// secretVars are SPEC variables that carry credentials.
var secretVars = []string{"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "OPENAI_API_KEY", "MONGODB_URI"}

func read(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func exists(rel string) bool {
	_, err := os.Stat(filepath.Join(root, rel))
	return err == nil
}

// The program facts the other tests rely on are really found; otherwise
// every later check would pass vacuously.
func TestProgramFacts(t *testing.T) {
	p := loadProgram(t)
	for _, v := range append([]string{"MONGODB_URI", "SLACK_BOT_TOKEN", "ITSPM_HTTP_ADDR"}, secretVars...) {
		if !p.vars[v] {
			t.Errorf("Variables lacks %s", v)
		}
	}
	if p.port != "8080" {
		t.Errorf("ITSPM_HTTP_ADDR default port = %q, SPEC says 8080", p.port)
	}
	for _, r := range []string{"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"} {
		if !slices.Contains(p.required, r) {
			t.Errorf("requireServe does not name %s (found %v)", r, p.required)
		}
	}
	for _, c := range []string{"serve", "import", "export", "version"} {
		if !p.subcommands[c] {
			t.Errorf("main.go run has no %q subcommand", c)
		}
	}
	for _, v := range []string{"version", "commit"} {
		if !p.ldflagVars[v] {
			t.Errorf("cmd/itspm/main.go has no string var %s for -ldflags -X", v)
		}
	}
}

// .env.example lists every variable (commented-out ones included) with
// only names the program reads, the required ones set, and no real secrets.
func TestEnvExample(t *testing.T) {
	p := loadProgram(t)
	entries := readEnvFile(t, "deploy/.env.example")
	seen := map[string]bool{}
	var names []string
	for _, e := range entries {
		names = append(names, e.name)
		seen[e.name] = true
	}
	p.checkVars(t, "deploy/.env.example", names)
	for v := range p.vars {
		if !seen[v] {
			t.Errorf("deploy/.env.example does not document %s", v)
		}
	}
	for v := range p.scheduleVars {
		if !seen[v] {
			t.Errorf("deploy/.env.example does not document %s", v)
		}
	}
	for _, e := range entries {
		if slices.Contains(p.required, e.name) && e.commented {
			t.Errorf("deploy/.env.example:%d: required %s is commented out", e.line, e.name)
		}
		if slices.Contains(secretVars, e.name) && realSecret.MatchString(e.value) {
			t.Errorf("deploy/.env.example:%d: %s looks like a real credential", e.line, e.name)
		}
	}
}

// realSecret matches the shapes of live Slack and OpenAI credentials and
// connection strings with a password.
var realSecret = regexp.MustCompile(`^(xox[abp]-\d+-|xapp-\d-|sk-[A-Za-z0-9_-]{20,})|://[^/@]+:[^/@]+@`)

type envEntry struct {
	name, value string
	commented   bool
	line        int
}

var envLine = regexp.MustCompile(`^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$`)

// readEnvFile reads KEY=VALUE lines, including commented-out examples.
func readEnvFile(t *testing.T, rel string) []envEntry {
	t.Helper()
	var out []envEntry
	sc := bufio.NewScanner(strings.NewReader(string(read(t, rel))))
	for n := 1; sc.Scan(); n++ {
		if m := envLine.FindStringSubmatch(strings.TrimSpace(sc.Text())); m != nil {
			out = append(out, envEntry{name: m[2], value: m[3], commented: m[1] != "", line: n})
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no variables", rel)
	}
	return out
}

// docs/deploy.md names every metric series and every variable, and covers
// the operational topics operators look for.
func TestDocs(t *testing.T) {
	p := loadProgram(t)
	doc := string(read(t, "docs/deploy.md"))
	series := stringLitsMatching(t, filepath.Join(root, "metrics"), regexp.MustCompile(`^itspm_[a-z_]+$`))
	if len(series) < 5 {
		t.Fatalf("metrics: found only %v", series)
	}
	for _, s := range series {
		if !strings.Contains(doc, s) {
			t.Errorf("docs/deploy.md does not list metric %s", s)
		}
	}
	for v := range p.vars {
		if !strings.Contains(doc, v) {
			t.Errorf("docs/deploy.md does not mention %s", v)
		}
	}
	for _, topic := range []string{"/healthz", "/readyz", "/metrics", "mongodump", "mongorestore", "itspm export", "itspm import", "Socket Mode", "SIGTERM", "schema", "replica"} {
		if !strings.Contains(doc, topic) {
			t.Errorf("docs/deploy.md does not cover %q", topic)
		}
	}
}

func stringLitsMatching(t *testing.T, dir string, re *regexp.Regexp) []string {
	t.Helper()
	files, err := parseDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		for _, s := range stringLits(f) {
			if re.MatchString(s) {
				out = append(out, s)
			}
		}
	}
	sort.Strings(out)
	return out
}

// drainDeadline is how long serve waits for acked work on SIGTERM: a
// duration constant or variable in cmd/itspm or bot whose name says drain,
// shutdown or grace. Stop grace periods must exceed it.
func drainDeadline(t *testing.T) time.Duration {
	t.Helper()
	var found []time.Duration
	for _, dir := range []string{"cmd/itspm", "bot"} {
		files, err := parseDir(filepath.Join(root, dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			for _, d := range f.Decls {
				gd, ok := d.(*ast.GenDecl)
				if !ok {
					continue
				}
				for _, s := range gd.Specs {
					vs, ok := s.(*ast.ValueSpec)
					if !ok {
						continue
					}
					for i, id := range vs.Names {
						if i < len(vs.Values) && drainName.MatchString(id.Name) {
							if d, ok := durationExpr(vs.Values[i]); ok {
								found = append(found, d)
							}
						}
					}
				}
			}
		}
	}
	if len(found) == 0 {
		t.Fatal("no drain deadline found: serve should declare it as a duration constant named like drainTimeout or ShutdownTimeout in cmd/itspm or bot")
	}
	return slices.Max(found)
}

var drainName = regexp.MustCompile(`(?i)(drain|shutdown|grace)`)

// durationExpr evaluates N * time.Unit (either order) or time.Unit.
func durationExpr(e ast.Expr) (time.Duration, bool) {
	units := map[string]time.Duration{"Millisecond": time.Millisecond, "Second": time.Second, "Minute": time.Minute}
	switch e := e.(type) {
	case *ast.ParenExpr:
		return durationExpr(e.X)
	case *ast.SelectorExpr:
		if x, ok := e.X.(*ast.Ident); ok && x.Name == "time" {
			u, ok := units[e.Sel.Name]
			return u, ok
		}
	case *ast.BinaryExpr:
		if e.Op != token.MUL {
			return 0, false
		}
		for _, pair := range [][2]ast.Expr{{e.X, e.Y}, {e.Y, e.X}} {
			lit, ok := pair[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.INT {
				continue
			}
			n, err := strconv.Atoi(lit.Value)
			if u, ok := durationExpr(pair[1]); ok && err == nil {
				return time.Duration(n) * u, true
			}
		}
	}
	return 0, false
}

// The Slack app manifest (written with the Slack work) points at the routes
// serve registers.
func TestSlackManifest(t *testing.T) {
	const rel = "deploy/slack/manifest.yml"
	if !exists(rel) {
		t.Skip(rel + " not written yet")
	}
	p := loadProgram(t)
	var m struct {
		Features struct {
			SlashCommands []struct {
				Command string `yaml:"command"`
				URL     string `yaml:"url"`
			} `yaml:"slash_commands"`
		} `yaml:"features"`
		Settings struct {
			EventSubscriptions struct {
				RequestURL string   `yaml:"request_url"`
				BotEvents  []string `yaml:"bot_events"`
			} `yaml:"event_subscriptions"`
			Interactivity struct {
				IsEnabled  bool   `yaml:"is_enabled"`
				RequestURL string `yaml:"request_url"`
			} `yaml:"interactivity"`
			SocketModeEnabled bool `yaml:"socket_mode_enabled"`
		} `yaml:"settings"`
	}
	if err := yaml.Unmarshal(read(t, rel), &m); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	var slash bool
	for _, c := range m.Features.SlashCommands {
		if c.Command == "/itspm" {
			slash = true
			checkManifestURL(t, p, rel, "slash command /itspm", c.URL, "/slack/commands")
		}
	}
	if !slash {
		t.Errorf("%s: no /itspm slash command", rel)
	}
	if !m.Settings.Interactivity.IsEnabled {
		t.Errorf("%s: interactivity is off; tollgate buttons would do nothing", rel)
	}
	checkManifestURL(t, p, rel, "interactivity", m.Settings.Interactivity.RequestURL, "/slack/interactions")
	checkManifestURL(t, p, rel, "event_subscriptions", m.Settings.EventSubscriptions.RequestURL, "/slack/events")
	for _, ev := range []string{"app_mention", "message.im", "app_home_opened"} {
		if !slices.Contains(m.Settings.EventSubscriptions.BotEvents, ev) {
			t.Errorf("%s: bot_events lacks %s", rel, ev)
		}
	}
}

// checkManifestURL accepts an absent URL (Socket Mode manifests omit them).
func checkManifestURL(t *testing.T, p *program, rel, what, raw, want string) {
	t.Helper()
	if raw == "" {
		return
	}
	u, err := url.Parse(raw)
	if err != nil || u.Path != want {
		t.Errorf("%s: %s URL %q, want path %s", rel, what, raw, want)
		return
	}
	p.checkRoute(t, rel, want)
}
