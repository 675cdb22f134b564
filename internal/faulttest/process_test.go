package faulttest

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/itspm/itspm/internal/faultproxy"
	"github.com/itspm/itspm/storage/storetest"
)

// TestServeProcessSurvivesStoreOutage runs the real binary, `itspm serve`
// with MONGODB_URI pointing at a fault proxy in front of a MongoDB-wire
// store, and stops the store under it: the process keeps running (its
// scheduler and outbox retry on their own), acknowledges commands fast,
// answers them "catalog unavailable", reports /readyz 503 and /healthz
// 200; once the store is back it answers from the catalog again, with no
// restart, and still exits 0 on SIGTERM.
func TestServeProcessSurvivesStoreOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the itspm binary and runs it as a process")
	}
	dir := t.TempDir()
	itspm := goBuild(t, dir, "github.com/itspm/itspm/cmd/itspm")
	u, err := url.Parse(storetest.URI(t))
	if err != nil {
		t.Fatal(err)
	}
	px, err := faultproxy.New(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { px.Close() })
	fs := newSlack(t)
	addr := freeAddr(t)
	base := "http://" + addr
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"MONGODB_URI=mongodb://" + px.Addr() + "/?directConnection=true",
		"MONGODB_DATABASE=" + storetest.DatabaseName(t),
		"ITSPM_HTTP_ADDR=" + addr,
		"SLACK_BOT_TOKEN=xoxb-fault-process",
		"SLACK_SIGNING_SECRET=" + secret,
		"SLACK_API_URL=" + fs.APIURL(),
		"ITSPM_LOG_LEVEL=warn",
		"ITSPM_TIMEZONE=UTC",
	}
	p := startServe(t, itspm, dir, env, base)
	alive := func() { t.Helper(); p.alive(t) }

	ask := func(name string) (ack, string) {
		t.Helper()
		a := command(base, fs, "U0DANA", "owner payroll", name)
		if a.err != nil || a.status != 200 || a.body != "" {
			t.Fatalf("%s: ack %+v", name, a)
		}
		if a.elapsed > slackAckLimit {
			t.Errorf("%s acknowledged after %v, over Slack's 3 s", name, a.elapsed)
		}
		waitSlack(t, fs, 45*time.Second, "the answer to "+name, func() bool { return answer(fs, name) != "" })
		return a, answer(fs, name)
	}

	var acks []time.Duration
	a, body := ask("before")
	acks = append(acks, a.elapsed)
	if !strings.Contains(body, "Lee Chen") {
		t.Fatalf("before the outage: %s", body)
	}

	px.Reset()
	down := time.Now()
	waitFor(t, 15*time.Second, "/readyz 503 while the store is down", func() bool { alive(); return get(base+"/readyz") == 503 })
	readyDown := time.Since(down)
	var answeredIn []time.Duration
	for i := range 3 {
		name := fmt.Sprintf("down-%d", i)
		sent := time.Now()
		a, body := ask(name)
		acks = append(acks, a.elapsed)
		answeredIn = append(answeredIn, time.Since(sent))
		if !strings.Contains(body, unavailableText) {
			t.Errorf("%s while the store is down: %s", name, body)
		}
	}
	if got := get(base + "/healthz"); got != 200 {
		t.Errorf("/healthz = %d while the store is down, want 200", got)
	}
	alive()

	px.Pass()
	back := time.Now()
	waitFor(t, 30*time.Second, "/readyz 200 after the store came back", func() bool { alive(); return get(base+"/readyz") == 200 })
	readyUp := time.Since(back)
	a, body = ask("after")
	acks = append(acks, a.elapsed)
	if !strings.Contains(body, "Lee Chen") {
		t.Errorf("after the outage: %s", body)
	}

	if err := p.stop(60 * time.Second); err != nil {
		t.Errorf("serve after SIGTERM: %v\n%s", err, p.logs.String())
	}
	t.Logf("FAULT store stopped under the itspm serve process: acks max %v; answers \"catalog unavailable\" in %v; /readyz 503 after %v, 200 again %v after the store returned; same process throughout, exit 0 on SIGTERM",
		percentile(acks, 100).Round(time.Millisecond), answeredIn, readyDown.Round(time.Millisecond), readyUp.Round(time.Millisecond))
}

// lockedBuffer collects a process's output.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serveProcess is the `itspm serve` binary running as its own process.
type serveProcess struct {
	cmd    *exec.Cmd
	logs   *lockedBuffer // its stdout and stderr
	exited chan struct{}
	err    error // how it exited, once exited is closed
}

// startServe imports the demo catalog into the store env names (`itspm
// chat --demo`), starts `itspm serve` and waits for base+"/healthz". The
// process is killed at the end of the test if it is still running.
func startServe(t *testing.T, itspm, dir string, env []string, base string) *serveProcess {
	t.Helper()
	demo := exec.Command(itspm, "chat", "--demo")
	demo.Dir, demo.Env, demo.Stdin = dir, env, strings.NewReader("")
	if out, err := demo.CombinedOutput(); err != nil {
		t.Fatalf("itspm chat --demo: %v\n%s", err, out)
	}
	p := &serveProcess{cmd: exec.Command(itspm, "serve"), logs: &lockedBuffer{}, exited: make(chan struct{})}
	p.cmd.Dir, p.cmd.Env, p.cmd.Stdout, p.cmd.Stderr = dir, env, p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	waitFor(t, 60*time.Second, "itspm serve to answer /healthz", func() bool { p.alive(t); return get(base+"/healthz") == 200 })
	return p
}

// alive fails the test if the process has exited.
func (p *serveProcess) alive(t *testing.T) {
	t.Helper()
	select {
	case <-p.exited:
		t.Fatalf("itspm serve exited: %v\n%s", p.err, p.logs.String())
	default:
	}
}

// stop sends SIGTERM and returns how the process exited, killing it when
// it is still running after timeout.
func (p *serveProcess) stop(timeout time.Duration) error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-p.exited:
		return p.err
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("still running %v after SIGTERM", timeout)
	}
}
