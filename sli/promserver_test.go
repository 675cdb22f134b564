package sli_test

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Tests here run a real Prometheus server (Debian's `prometheus` package,
// which brings promtool). They install it with apt-get when it is missing
// and skip only when neither the binaries nor apt-get are there.

var installOnce sync.Once

// tools returns the paths of prometheus and promtool, installing the
// package when they are missing.
func tools(t testing.TB) (prometheus, promtool string) {
	t.Helper()
	find := func() (string, string) {
		p, _ := exec.LookPath("prometheus")
		q, _ := exec.LookPath("promtool")
		return p, q
	}
	p, q := find()
	if p != "" && q != "" {
		return p, q
	}
	installOnce.Do(func() {
		apt, err := exec.LookPath("apt-get")
		if err != nil {
			return
		}
		args := []string{apt, "install", "-y", "-q", "prometheus"}
		if os.Geteuid() != 0 {
			sudo, err := exec.LookPath("sudo")
			if err != nil {
				return
			}
			args = append([]string{sudo, "-n"}, args...)
		}
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Logf("apt-get install prometheus failed: %v\n%s", err, lastLines(out, 10))
		}
	})
	p, q = find()
	if p == "" || q == "" {
		if _, err := exec.LookPath("apt-get"); err != nil {
			t.Skip("skipped: neither the prometheus and promtool binaries nor apt-get to install them (Debian package prometheus) are available")
		}
		t.Fatal("prometheus/promtool not on PATH and `apt-get install -y prometheus` did not provide them")
	}
	return p, q
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

var shared struct {
	once sync.Once
	url  string
	err  string
	stop func()
	skip string
}

// TestMain stops the shared server after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if shared.stop != nil {
		shared.stop()
	}
	os.Exit(code)
}

// sharedPrometheus is one server over backfill() for the whole package:
// promtool writes one block per two hours of samples, so a month is some
// 370 blocks and takes a minute or more to write on a busy machine.
func sharedPrometheus(t *testing.T) string {
	t.Helper()
	tools(t) // skips when there is no way to get them
	shared.once.Do(func() {
		shared.url, shared.stop, shared.err = launch(backfill())
	})
	if shared.err != "" {
		t.Fatal(shared.err)
	}
	return shared.url
}

// launch backfills the OpenMetrics text into a fresh TSDB with promtool,
// starts prometheus over it on a free loopback port and returns its URL
// once /-/ready answers, and a function stopping it.
func launch(openMetrics string) (url string, stop func(), failure string) {
	prom, _ := exec.LookPath("prometheus")
	promtool, _ := exec.LookPath("promtool")
	dir, err := os.MkdirTemp("", "itspm-prometheus-")
	if err != nil {
		return "", nil, err.Error()
	}
	cleanup := func() { os.RemoveAll(dir) }
	data := filepath.Join(dir, "data")
	input := filepath.Join(dir, "samples.om")
	if err := os.WriteFile(input, []byte(openMetrics), 0o644); err != nil {
		cleanup()
		return "", nil, err.Error()
	}
	if out, err := exec.Command(promtool, "tsdb", "create-blocks-from", "openmetrics", "--quiet", input, data).CombinedOutput(); err != nil {
		cleanup()
		return "", nil, fmt.Sprintf("promtool tsdb create-blocks-from openmetrics: %v\n%s", err, lastLines(out, 20))
	}
	config := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(config, []byte("global:\n  scrape_interval: 1h\n  evaluation_interval: 1h\n"), 0o644); err != nil {
		cleanup()
		return "", nil, err.Error()
	}
	addr, err := freeAddr()
	if err != nil {
		cleanup()
		return "", nil, err.Error()
	}
	var logs syncBuffer
	cmd := exec.Command(prom,
		"--config.file="+config,
		"--storage.tsdb.path="+data,
		// The backfilled month is old: keep it (the default time
		// retention is 15 days; size-based retention stays off).
		"--storage.tsdb.retention.time=100y",
		"--web.listen-address="+addr,
		"--log.level=warn",
	)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		cleanup()
		return "", nil, fmt.Sprintf("start prometheus: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop = func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		cleanup()
	}
	url = "http://" + addr
	deadline := time.Now().Add(3 * time.Minute)
	for {
		select {
		case err := <-exited:
			cleanup()
			return "", nil, fmt.Sprintf("prometheus exited: %v\n%s", err, logs.String())
		default:
		}
		resp, err := http.Get(url + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url, stop, ""
			}
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, fmt.Sprintf("prometheus not ready after 3 minutes\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond) // polling a starting process, not a schedule
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// series is one backfilled time series: a sample every 5 minutes from
// from to to (exclusive), valued by f.
type series struct {
	labels string // e.g. service="payroll"
	f      func(at time.Time) float64
}

// openMetrics renders families of series as OpenMetrics text, each series'
// samples in time order, timestamps in seconds.
func openMetrics(families map[string][]series, from, to time.Time) string {
	var b strings.Builder
	names := make([]string, 0, len(families))
	for n := range families {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(&b, "# TYPE %s gauge\n", name)
		for _, s := range families[name] {
			for at := from; at.Before(to); at = at.Add(5 * time.Minute) {
				fmt.Fprintf(&b, "%s{%s} %g %d\n", name, s.labels, s.f(at), at.Unix())
			}
		}
	}
	b.WriteString("# EOF\n")
	return b.String()
}
