package deploy_test

import (
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

// composeService keeps the fields whose syntax has several forms as any;
// the helpers below normalise them.
type composeService struct {
	Image string `yaml:"image"`
	Build *struct {
		Context    string            `yaml:"context"`
		Dockerfile string            `yaml:"dockerfile"`
		Args       map[string]string `yaml:"args"`
	} `yaml:"build"`
	Hostname        string   `yaml:"hostname"`
	Command         any      `yaml:"command"`
	Entrypoint      any      `yaml:"entrypoint"`
	DependsOn       any      `yaml:"depends_on"`
	EnvFile         any      `yaml:"env_file"`
	Environment     any      `yaml:"environment"`
	Ports           []string `yaml:"ports"`
	Restart         string   `yaml:"restart"`
	StopGracePeriod string   `yaml:"stop_grace_period"`
	Volumes         []string `yaml:"volumes"`
	Healthcheck     *struct {
		Test any `yaml:"test"`
	} `yaml:"healthcheck"`
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	var c composeFile
	if err := yaml.Unmarshal(read(t, "deploy/compose.yaml"), &c); err != nil {
		t.Fatalf("deploy/compose.yaml: %v", err)
	}
	if len(c.Services) == 0 {
		t.Fatal("deploy/compose.yaml: no services")
	}
	return c
}

// words flattens a string-or-list field.
func words(v any) []string {
	switch v := v.(type) {
	case string:
		return strings.Fields(v)
	case []any:
		var out []string
		for _, x := range v {
			out = append(out, fmt.Sprint(x))
		}
		return out
	}
	return nil
}

// env normalises environment: a map or a list of KEY=VALUE.
func (s composeService) env() map[string]string {
	out := map[string]string{}
	switch v := s.Environment.(type) {
	case map[string]any:
		for k, x := range v {
			out[k] = fmt.Sprint(x)
		}
	case []any:
		for _, x := range v {
			k, val, _ := strings.Cut(fmt.Sprint(x), "=")
			out[k] = val
		}
	}
	return out
}

// dependsOn normalises depends_on: a list (condition service_started) or a
// map of conditions.
func (s composeService) dependsOn() map[string]string {
	out := map[string]string{}
	switch v := s.DependsOn.(type) {
	case []any:
		for _, x := range v {
			out[fmt.Sprint(x)] = "service_started"
		}
	case map[string]any:
		for k, x := range v {
			cond := "service_started"
			if m, ok := x.(map[string]any); ok && m["condition"] != nil {
				cond = fmt.Sprint(m["condition"])
			}
			out[k] = cond
		}
	}
	return out
}

// envFiles normalises env_file: a path, a list of paths, or a list of
// {path, required}.
func (s composeService) envFiles() []string {
	switch v := s.EnvFile.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if m, ok := x.(map[string]any); ok {
				out = append(out, fmt.Sprint(m["path"]))
			} else {
				out = append(out, fmt.Sprint(x))
			}
		}
		return out
	}
	return nil
}

func TestCompose(t *testing.T) {
	p := loadProgram(t)
	c := loadCompose(t)

	// Replica set members: mongod with --replSet.
	var members []string
	replSet := ""
	for name, s := range c.Services {
		cmd := words(s.Command)
		i := slices.Index(cmd, "--replSet")
		if i < 0 {
			continue
		}
		members = append(members, name)
		if i+1 >= len(cmd) {
			t.Fatalf("%s: --replSet without a name", name)
		}
		if replSet != "" && cmd[i+1] != replSet {
			t.Errorf("%s: replica set %s, others use %s", name, cmd[i+1], replSet)
		}
		replSet = cmd[i+1]
		if m := regexp.MustCompile(`^mongo:(\d+)`).FindStringSubmatch(s.Image); m == nil {
			t.Errorf("%s: image %q is not mongo:<major>", name, s.Image)
		} else if major, _ := strconv.Atoi(m[1]); major < 7 {
			t.Errorf("%s: image %s; use MongoDB 7 or later", name, s.Image)
		}
		if s.Healthcheck == nil || len(words(s.Healthcheck.Test)) == 0 {
			t.Errorf("%s: no healthcheck (the init service waits for it)", name)
		}
		if !slices.ContainsFunc(s.Volumes, func(v string) bool { return strings.HasSuffix(v, ":/data/db") }) {
			t.Errorf("%s: /data/db is not on a volume; the data would die with the container", name)
		}
		if s.Restart == "" {
			t.Errorf("%s: no restart policy", name)
		}
	}
	sort.Strings(members)
	if len(members) != 3 {
		t.Fatalf("replica set members %v, want 3", members)
	}

	// The init service: idempotent rs.initiate of exactly those members,
	// after they are healthy.
	var initName string
	for name, s := range c.Services {
		script := strings.Join(append(words(s.Entrypoint), words(s.Command)...), " ")
		if !strings.Contains(script, "rs.initiate") {
			continue
		}
		initName = name
		if !strings.Contains(script, "rs.status") || !strings.Contains(script, "NotYetInitialized") {
			t.Errorf("%s: rs.initiate is not guarded by rs.status/NotYetInitialized; a restart would fail", name)
		}
		if !strings.Contains(script, `_id: "`+replSet+`"`) {
			t.Errorf("%s: initiates a set other than %s", name, replSet)
		}
		for _, m := range members {
			if !strings.Contains(script, `"`+m+`:27017"`) {
				t.Errorf("%s: member %s:27017 missing from rs.initiate", name, m)
			}
		}
		deps := s.dependsOn()
		for _, m := range members {
			if deps[m] != "service_healthy" {
				t.Errorf("%s: depends_on %s is %q, want service_healthy", name, m, deps[m])
			}
		}
		if s.Restart != "" && s.Restart != "no" {
			t.Errorf("%s: restart %q; a one-shot init must not restart", name, s.Restart)
		}
	}
	if initName == "" {
		t.Fatal("no service runs rs.initiate")
	}

	// The bot: built from deploy/Dockerfile.
	var bot composeService
	var botName string
	for name, s := range c.Services {
		if s.Build != nil {
			bot, botName = s, name
		}
	}
	if botName == "" {
		t.Fatal("no service builds itspm")
	}
	if got := filepath.Join("deploy", bot.Build.Context, bot.Build.Dockerfile); got != "deploy/Dockerfile" {
		t.Errorf("%s: builds %s, want deploy/Dockerfile", botName, got)
	}
	for _, arg := range []string{"VERSION", "COMMIT"} {
		if _, ok := bot.Build.Args[arg]; !ok {
			t.Errorf("%s: build arg %s not passed; the image would say dev/unknown", botName, arg)
		}
	}
	if got := bot.dependsOn()[initName]; got != "service_completed_successfully" {
		t.Errorf("%s: depends_on %s is %q, want service_completed_successfully", botName, initName, got)
	}
	if files := bot.envFiles(); !slices.Contains(files, ".env") {
		t.Errorf("%s: env_file %v, want .env", botName, files)
	}
	env := bot.env()
	var names []string
	for k := range env {
		names = append(names, k)
	}
	p.checkVars(t, botName+" environment", names)

	// MONGODB_URI names the three members and the set.
	u, err := url.Parse(env["MONGODB_URI"])
	if err != nil || u.Scheme != "mongodb" {
		t.Fatalf("%s: MONGODB_URI %q is not a mongodb:// URI", botName, env["MONGODB_URI"])
	}
	hosts := strings.Split(u.Host, ",")
	sort.Strings(hosts)
	var want []string
	for _, m := range members {
		want = append(want, m+":27017")
	}
	if !slices.Equal(hosts, want) {
		t.Errorf("MONGODB_URI hosts %v, want %v", hosts, want)
	}
	if got := u.Query().Get("replicaSet"); got != replSet {
		t.Errorf("MONGODB_URI replicaSet=%q, want %q", got, replSet)
	}

	// Port: the published container port is the one itspm listens on.
	port := p.port
	if addr := env["ITSPM_HTTP_ADDR"]; addr != "" {
		_, port, _ = strings.Cut(addr, ":")
		if port != p.port {
			t.Errorf("%s: ITSPM_HTTP_ADDR %s; the Dockerfile and manifests assume %s", botName, addr, p.port)
		}
	}
	var published bool
	for _, pm := range bot.Ports {
		fs := strings.Split(strings.TrimSuffix(pm, "/tcp"), ":")
		published = published || fs[len(fs)-1] == port
	}
	if !published {
		t.Errorf("%s: ports %v do not publish container port %s", botName, bot.Ports, port)
	}
	if bot.Healthcheck == nil {
		t.Errorf("%s: no healthcheck", botName)
	} else {
		test := strings.Join(words(bot.Healthcheck.Test), " ")
		m := regexp.MustCompile(`127\.0\.0\.1:(\d+)(/\w+)`).FindStringSubmatch(test)
		switch {
		case m == nil:
			t.Errorf("%s: healthcheck %q probes no local URL", botName, test)
		case m[1] != port:
			t.Errorf("%s: healthcheck probes port %s, itspm listens on %s", botName, m[1], port)
		case m[2] != "/healthz" && m[2] != "/readyz":
			t.Errorf("%s: healthcheck probes %s, want /healthz or /readyz", botName, m[2])
		default:
			p.checkRoute(t, botName+" healthcheck", m[2])
		}
	}
	if bot.Restart == "" {
		t.Errorf("%s: no restart policy", botName)
	}
	if d, err := time.ParseDuration(bot.StopGracePeriod); err != nil || d <= drainDeadline(t) {
		t.Errorf("%s: stop_grace_period %q must exceed serve's drain deadline %v, or Docker kills acked work", botName, bot.StopGracePeriod, drainDeadline(t))
	}

	// Named volumes are declared.
	for name, s := range c.Services {
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if !strings.HasPrefix(src, ".") && !strings.HasPrefix(src, "/") {
				if _, ok := c.Volumes[src]; !ok {
					t.Errorf("%s: volume %s is not declared under volumes:", name, src)
				}
			}
		}
	}
}
