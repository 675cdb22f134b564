package faultproxy_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/itspm/itspm/internal/faultproxy"
)

// echoServer answers each line with the same line.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

func newProxy(t *testing.T) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.New(echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

type conn struct {
	t *testing.T
	net.Conn
	r *bufio.Reader
}

func dial(t *testing.T, p *faultproxy.Proxy) *conn {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &conn{t: t, Conn: c, r: bufio.NewReader(c)}
}

func (c *conn) send(line string) {
	c.t.Helper()
	if _, err := c.Write([]byte(line + "\n")); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// recv reads a line, waiting at most d.
func (c *conn) recv(d time.Duration) (string, error) {
	_ = c.SetReadDeadline(time.Now().Add(d))
	s, err := c.r.ReadString('\n')
	return strings.TrimSuffix(s, "\n"), err
}

func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

func TestModes(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, p *faultproxy.Proxy)
	}{
		{"pass echoes", func(t *testing.T, p *faultproxy.Proxy) {
			c := dial(t, p)
			c.send("hello")
			if got, err := c.recv(5 * time.Second); err != nil || got != "hello" {
				t.Fatalf("echo = %q, %v", got, err)
			}
		}},
		{"delay holds each request back", func(t *testing.T, p *faultproxy.Proxy) {
			c := dial(t, p)
			p.Delay(300 * time.Millisecond)
			for _, line := range []string{"one", "two"} {
				start := time.Now()
				c.send(line)
				got, err := c.recv(5 * time.Second)
				if err != nil || got != line {
					t.Fatalf("echo = %q, %v", got, err)
				}
				if d := time.Since(start); d < 300*time.Millisecond {
					t.Errorf("%s answered after %v, want >= 300ms", line, d)
				}
			}
			p.Pass()
			start := time.Now()
			c.send("fast")
			if got, err := c.recv(5 * time.Second); err != nil || got != "fast" {
				t.Fatalf("echo after pass = %q, %v", got, err)
			}
			if d := time.Since(start); d >= 300*time.Millisecond {
				t.Logf("pass after delay took %v (busy machine?)", d)
			}
		}},
		{"blackhole holds, pass releases in order", func(t *testing.T, p *faultproxy.Proxy) {
			c := dial(t, p)
			c.send("before")
			if got, err := c.recv(5 * time.Second); err != nil || got != "before" {
				t.Fatalf("echo = %q, %v", got, err)
			}
			p.Blackhole()
			c.send("held-1")
			c.send("held-2")
			if got, err := c.recv(200 * time.Millisecond); !isTimeout(err) {
				t.Fatalf("blackholed echo = %q, %v; want a timeout", got, err)
			}
			// New connections are accepted but get nothing either.
			c2 := dial(t, p)
			c2.send("new")
			if got, err := c2.recv(100 * time.Millisecond); !isTimeout(err) {
				t.Fatalf("blackholed new connection echo = %q, %v; want a timeout", got, err)
			}
			if s := p.Stats(); s.Held == 0 {
				t.Errorf("stats %+v: nothing held", s)
			}
			p.Pass()
			for _, want := range []string{"held-1", "held-2"} {
				if got, err := c.recv(5 * time.Second); err != nil || got != want {
					t.Fatalf("after pass: %q, %v; want %q", got, err, want)
				}
			}
			if got, err := c2.recv(5 * time.Second); err != nil || got != "new" {
				t.Fatalf("new connection after pass: %q, %v", got, err)
			}
		}},
		{"reset kills and refuses, pass recovers", func(t *testing.T, p *faultproxy.Proxy) {
			c := dial(t, p)
			c.send("x")
			if _, err := c.recv(5 * time.Second); err != nil {
				t.Fatal(err)
			}
			p.Blackhole()
			c.send("dropped")
			p.Reset()
			if got, err := c.recv(5 * time.Second); err == nil || isTimeout(err) {
				t.Fatalf("open connection after reset: %q, %v; want a connection error", got, err)
			}
			// A new connection is accepted by the kernel, then reset (the
			// reset may already fail the connect).
			if c2, err := net.Dial("tcp", p.Addr()); err == nil {
				defer c2.Close()
				_, _ = c2.Write([]byte("refused\n"))
				_ = c2.SetReadDeadline(time.Now().Add(5 * time.Second))
				if n, err := c2.Read(make([]byte, 16)); err == nil || isTimeout(err) {
					t.Fatalf("new connection while reset: read %d, %v; want a connection error", n, err)
				}
			}
			p.Pass()
			c3 := dial(t, p)
			c3.send("back")
			if got, err := c3.recv(5 * time.Second); err != nil || got != "back" {
				t.Fatalf("after pass: %q, %v", got, err)
			}
			s := p.Stats()
			if s.Killed < 1 || s.Refused < 1 {
				t.Errorf("stats %+v: want killed and refused connections", s)
			}
			if m, _ := p.Mode(); m != faultproxy.Pass {
				t.Errorf("mode = %v", m)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newProxy(t))
		})
	}
}

func TestCloseEndsHeldConnections(t *testing.T) {
	p, err := faultproxy.New(echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, p)
	p.Blackhole()
	c.send("held")
	done := make(chan error, 1)
	go func() {
		_, err := c.recv(10 * time.Second)
		done <- err
	}()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil || isTimeout(err) {
		t.Fatalf("read after Close: %v; want a connection error", err)
	}
	if _, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		t.Error("proxy still accepting after Close")
	}
}
