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
	demo := exec.Command(itspm, "chat", "--demo")
	demo.Dir, demo.Env, demo.Stdin = dir, env, strings.NewReader("")
	if out, err := demo.CombinedOutput(); err != nil {
		t.Fatalf("itspm chat --demo: %v\n%s", err, out)
	}

	logs := &lockedBuffer{}
	serve := exec.Command(itspm, "serve")
	serve.Dir, serve.Env, serve.Stdout, serve.Stderr = dir, env, logs, logs
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var exitErr error
	go func() {
		exitErr = serve.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			_ = serve.Process.Kill()
			<-exited
		}
	})
	alive := func() {
		t.Helper()
		select {
		case <-exited:
			t.Fatalf("itspm serve exited: %v\n%s", exitErr, logs.String())
		default:
		}
	}
	waitFor(t, 60*time.Second, "/healthz", func() bool { alive(); return get(base+"/healthz") == 200 })

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

	if err := serve.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
		if exitErr != nil {
			t.Errorf("serve after SIGTERM: %v\n%s", exitErr, logs.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("serve still running 60 s after SIGTERM\n%s", logs.String())
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
