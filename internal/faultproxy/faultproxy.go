// Package faultproxy is a TCP proxy for fault-injection tests: it sits
// between a client (the store's MongoDB driver, the bot's Slack client) and
// its server, and can be switched at run time between passing traffic,
// delaying it, holding it (a network partition) and resetting every
// connection (a stopped server), without touching the server itself.
package faultproxy

import (
	"fmt"
	"net"
	"sync"
	"time"
)

// Mode is what the proxy does to traffic.
type Mode int

const (
	// Pass forwards traffic both ways as it comes.
	Pass Mode = iota
	// Delay forwards each chunk the client sends d after it arrived (as a
	// slow link or a slow server would); answers pass at once. Chunks keep
	// their order, and a chunk sent before the client gave up still
	// reaches the server, as on a real network.
	Delay
	// Blackhole accepts connections but forwards nothing either way: the
	// bytes are held (as TCP retransmits through a partition) and flow
	// again, in order, when the mode leaves Blackhole, unless Reset drops
	// them first.
	Blackhole
	// Reset closes every connection (RST) with whatever it held and
	// refuses new ones: accepted connections are reset at once.
	Reset
)

func (m Mode) String() string {
	switch m {
	case Pass:
		return "pass"
	case Delay:
		return "delay"
	case Blackhole:
		return "blackhole"
	case Reset:
		return "reset"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Stats counts what the proxy did.
type Stats struct {
	Accepted int // connections accepted and forwarded
	Refused  int // connections reset on arrival (mode Reset)
	Killed   int // open connections reset by a switch to Reset
	Open     int // connections open now
	Held     int // chunks held now (mode Blackhole) or waiting out a delay
	Up, Down int64
}

// Proxy is a running proxy. Create it with New, Close it when done.
type Proxy struct {
	ln     net.Listener
	target string
	done   chan struct{}
	wg     sync.WaitGroup

	mu      sync.Mutex
	mode    Mode
	delay   time.Duration
	changed chan struct{} // closed and replaced on every mode switch
	conns   map[*link]struct{}
	stats   Stats
	closed  bool
}

// New listens on 127.0.0.1:0 and forwards to target (host:port).
func New(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen: %w", err)
	}
	p := &Proxy{ln: ln, target: target, done: make(chan struct{}), changed: make(chan struct{}), conns: map[*link]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Target is where the proxy forwards to.
func (p *Proxy) Target() string { return p.target }

// Pass forwards traffic normally again (held chunks flow on).
func (p *Proxy) Pass() { p.set(Pass, 0) }

// Delay delays every chunk from client to server by d from now on.
func (p *Proxy) Delay(d time.Duration) { p.set(Delay, d) }

// Blackhole holds all traffic from now on.
func (p *Proxy) Blackhole() { p.set(Blackhole, 0) }

// Reset resets every open connection and every new one until the mode
// changes.
func (p *Proxy) Reset() { p.set(Reset, 0) }

// Mode returns the current mode and, for Delay, the delay.
func (p *Proxy) Mode() (Mode, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mode, p.delay
}

// Stats returns the counters.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Open = len(p.conns)
	return s
}

// Changed returns a channel closed at the next mode switch.
func (p *Proxy) Changed() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.changed
}

func (p *Proxy) set(m Mode, d time.Duration) {
	p.mu.Lock()
	p.mode, p.delay = m, d
	close(p.changed)
	p.changed = make(chan struct{})
	var kill []*link
	if m == Reset {
		for l := range p.conns {
			kill = append(kill, l)
		}
		p.stats.Killed += len(kill)
	}
	p.mu.Unlock()
	for _, l := range kill {
		l.reset()
	}
}

// Close stops listening and resets every connection.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	var all []*link
	for l := range p.conns {
		all = append(all, l)
	}
	p.mu.Unlock()
	close(p.done)
	err := p.ln.Close()
	for _, l := range all {
		l.reset()
	}
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		refuse := p.mode == Reset || p.closed
		if refuse {
			p.stats.Refused++
		}
		p.mu.Unlock()
		if refuse {
			resetConn(c)
			continue
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

// resetConn closes c with an RST rather than a FIN, as a stopped server's
// host answers.
func resetConn(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

// link is one proxied connection.
type link struct {
	client, server net.Conn
	once           sync.Once
}

func (l *link) reset() {
	l.once.Do(func() {
		resetConn(l.client)
		if l.server != nil {
			resetConn(l.server)
		}
	})
}

func (p *Proxy) serve(client net.Conn) {
	defer p.wg.Done()
	server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		resetConn(client)
		return
	}
	l := &link{client: client, server: server}
	p.mu.Lock()
	if p.mode == Reset || p.closed {
		p.stats.Refused++
		p.mu.Unlock()
		l.reset()
		return
	}
	p.conns[l] = struct{}{}
	p.stats.Accepted++
	p.mu.Unlock()

	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		p.pump(l, client, server, true)
	}()
	go func() {
		defer wg.Done()
		p.pump(l, server, client, false)
	}()
	wg.Wait()
	p.mu.Lock()
	delete(p.conns, l)
	p.mu.Unlock()
}

// chunk is bytes read from one side, with when they arrived and whether
// the Delay mode applied at that moment.
type chunk struct {
	data  []byte
	at    time.Time
	delay time.Duration
}

// pump copies src to dst through a queue, so that reading never waits for
// a delayed or held write: a reader that stopped reading would let the
// sender's buffers fill and change the timing under test. up is the
// client-to-server direction, the one Delay applies to.
func (p *Proxy) pump(l *link, src, dst net.Conn, up bool) {
	q := make(chan chunk, 1024)
	go func() {
		defer close(q)
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				c := chunk{data: append([]byte(nil), buf[:n]...), at: time.Now()}
				p.mu.Lock()
				if up && p.mode == Delay {
					c.delay = p.delay
				}
				p.mu.Unlock()
				select {
				case q <- c:
				case <-p.done:
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	defer func() {
		// One side ended: end the other (the driver sees a closed
		// connection, not a half-open one).
		if tc, ok := dst.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		// Drain the reader so it exits.
		for range q {
		}
	}()
	for c := range q {
		if !p.hold(c) {
			l.reset()
			return
		}
		n, err := dst.Write(c.data)
		p.count(up, n)
		if err != nil {
			l.reset()
			return
		}
	}
}

func (p *Proxy) count(up bool, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if up {
		p.stats.Up += int64(n)
	} else {
		p.stats.Down += int64(n)
	}
}

// hold waits until c may be forwarded: its delay has passed and the proxy
// is not blackholing. It returns false when the connection must end
// instead (Reset, Close).
func (p *Proxy) hold(c chunk) bool {
	p.mu.Lock()
	p.stats.Held++
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.stats.Held--
		p.mu.Unlock()
	}()
	if c.delay > 0 {
		t := time.NewTimer(time.Until(c.at.Add(c.delay)))
		select {
		case <-t.C:
		case <-p.done:
			t.Stop()
			return false
		}
	}
	for {
		p.mu.Lock()
		m, changed := p.mode, p.changed
		p.mu.Unlock()
		switch m {
		case Reset:
			return false
		case Blackhole:
			select {
			case <-changed:
				continue
			case <-p.done:
				return false
			}
		}
		return true
	}
}
