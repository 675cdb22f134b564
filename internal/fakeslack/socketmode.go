package fakeslack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// MethodSocketAck is the pseudo method under which Socket Mode
// acknowledgements (envelope_id and optional payload sent back over the
// WebSocket) are recorded.
const MethodSocketAck = "socket_mode_ack"

// SocketMode fakes Slack's Socket Mode for one Server: apps.connections.open
// (which takes the app-level xapp- token) answers a WebSocket URL; the
// WebSocket greets with "hello", sends pings, carries the envelopes a test
// pushes with Send and records the client's acknowledgements.
//
// It serves the whole Web API of the Server it wraps (same state, same
// recorded calls), so a client pointed at its APIURL works unchanged.
type SocketMode struct {
	fake      *Server
	srv       *httptest.Server
	closing   chan struct{}
	closeOnce sync.Once
	// PingEvery is how often the server pings (slack-go reconnects when
	// pings stop for 30 s). Set before the client connects.
	PingEvery time.Duration

	mu      sync.Mutex
	conn    *websocket.Conn
	writeMu sync.Mutex // gorilla/websocket allows one writer at a time
	seq     int
	acks    []Ack
	opens   int
}

// Ack is one acknowledgement received over the WebSocket.
type Ack struct {
	EnvelopeID string
	Payload    json.RawMessage // nil when the ack carried none
	Time       time.Time
}

// Envelope is a Socket Mode message from Slack to the app. Payload is the
// body the HTTP endpoint would have received: the slash command fields, the
// interaction payload, or the Events API callback.
type Envelope struct {
	EnvelopeID             string `json:"envelope_id"`
	Type                   string `json:"type"` // slash_commands, interactive, events_api
	Payload                any    `json:"payload"`
	AcceptsResponsePayload bool   `json:"accepts_response_payload"`
	RetryAttempt           int    `json:"retry_attempt,omitempty"`
	RetryReason            string `json:"retry_reason,omitempty"`
}

// NewSocketMode starts the Socket Mode front of s. Close it when done.
func NewSocketMode(s *Server) *SocketMode {
	m := &SocketMode{fake: s, closing: make(chan struct{}), PingEvery: time.Second}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/apps.connections.open", m.serveOpen)
	mux.HandleFunc("/api/{method}", s.serveAPI)
	mux.HandleFunc("POST /upload/{id}", s.serveUpload)
	mux.HandleFunc("POST /response/{name}", s.serveResponseURL)
	mux.HandleFunc("GET /link/", m.serveLink)
	m.srv = httptest.NewServer(mux)
	return m
}

// APIURL is the Web API base URL (with apps.connections.open) for
// slack.OptionAPIURL.
func (m *SocketMode) APIURL() string { return m.srv.URL + "/api/" }

// Close drops the connection and stops the server.
func (m *SocketMode) Close() {
	m.closeOnce.Do(func() {
		close(m.closing)
		m.mu.Lock()
		if m.conn != nil {
			_ = m.conn.Close()
		}
		m.mu.Unlock()
		m.srv.Close()
	})
}

// Connections is how many WebSocket connections were opened.
func (m *SocketMode) Connections() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.opens
}

func (m *SocketMode) serveOpen(w http.ResponseWriter, r *http.Request) {
	c, err := m.fake.newCall("apps.connections.open", r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	m.fake.run(w, c, func(c *Call) reply {
		// Slack wants the app-level token here, not the bot token.
		if c.Token == "" {
			return errReply("not_authed")
		}
		if !strings.HasPrefix(c.Token, "xapp-") {
			return errReply("invalid_auth")
		}
		m.mu.Lock()
		m.seq++
		ticket := m.seq
		m.mu.Unlock()
		url := "ws" + strings.TrimPrefix(m.srv.URL, "http") + fmt.Sprintf("/link/?ticket=%d&app_id=%s", ticket, m.fake.Identity().AppID)
		return okReply(map[string]any{"url": url})
	})
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (m *SocketMode) serveLink(w http.ResponseWriter, r *http.Request) {
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	m.mu.Lock()
	if old := m.conn; old != nil {
		_ = old.Close()
	}
	m.conn = conn
	m.opens++
	n := m.opens
	m.mu.Unlock()

	hello := map[string]any{
		"type":            "hello",
		"num_connections": 1,
		"debug_info":      map[string]any{"host": "fakeslack", "build_number": 1, "approximate_connection_time": 18060},
		"connection_info": map[string]any{"app_id": m.fake.Identity().AppID},
	}
	if err := m.write(conn, hello); err != nil {
		return
	}
	// Announce the connection to WaitFor.
	m.fake.record(&Call{Method: "socket_mode_connect", Path: r.URL.Path, Params: r.URL.Query(), Header: r.Header.Clone(), Time: time.Now(), Status: http.StatusSwitchingProtocols})

	done := make(chan struct{})
	go m.ping(conn, done)
	defer close(done)
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			m.mu.Lock()
			if m.conn == conn {
				m.conn = nil
			}
			m.mu.Unlock()
			_ = conn.Close()
			return
		}
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &ack) != nil || ack.EnvelopeID == "" {
			continue
		}
		if bytes.Equal(ack.Payload, []byte("null")) {
			ack.Payload = nil
		}
		a := Ack{EnvelopeID: ack.EnvelopeID, Payload: ack.Payload, Time: time.Now()}
		m.mu.Lock()
		m.acks = append(m.acks, a)
		m.mu.Unlock()
		var parsed map[string]any
		_ = json.Unmarshal(data, &parsed)
		m.fake.record(&Call{
			Method: MethodSocketAck, Path: fmt.Sprintf("/link/#%d", n), Params: map[string][]string{"envelope_id": {a.EnvelopeID}},
			Body: bytes.Clone(data), JSON: parsed, Time: a.Time, Status: http.StatusOK,
		})
	}
}

func (m *SocketMode) ping(conn *websocket.Conn, done chan struct{}) {
	every := m.PingEvery
	if every <= 0 {
		every = time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-m.closing:
			return
		case <-t.C:
			if conn.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(time.Second)) != nil {
				return
			}
		}
	}
}

func (m *SocketMode) write(conn *websocket.Conn, v any) error {
	m.writeMu.Lock()
	defer m.writeMu.Unlock()
	_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return conn.WriteJSON(v)
}

// Send pushes env to the connected client, waiting for a connection until
// ctx ends. An empty EnvelopeID gets a fresh one; the ID is returned.
func (m *SocketMode) Send(ctx context.Context, env Envelope) (string, error) {
	if env.EnvelopeID == "" {
		m.mu.Lock()
		m.seq++
		env.EnvelopeID = fmt.Sprintf("env-%08d", m.seq)
		m.mu.Unlock()
	}
	for {
		var conn *websocket.Conn
		err := m.fake.WaitFor(ctx, func() bool {
			m.mu.Lock()
			defer m.mu.Unlock()
			conn = m.conn
			return conn != nil
		})
		if err != nil {
			return "", fmt.Errorf("fakeslack: no Socket Mode connection: %w", err)
		}
		if err := m.write(conn, env); err == nil {
			return env.EnvelopeID, nil
		}
		// The connection broke meanwhile; wait for the next one.
		m.mu.Lock()
		if m.conn == conn {
			m.conn = nil
		}
		m.mu.Unlock()
	}
}

// Acks returns the acknowledgements received, in order.
func (m *SocketMode) Acks() []Ack {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Ack, len(m.acks))
	for i, a := range m.acks {
		a.Payload = bytes.Clone(a.Payload)
		out[i] = a
	}
	return out
}

// WaitAck waits until the envelope is acknowledged.
func (m *SocketMode) WaitAck(ctx context.Context, envelopeID string) (Ack, error) {
	var found Ack
	err := m.fake.WaitFor(ctx, func() bool {
		for _, a := range m.Acks() {
			if a.EnvelopeID == envelopeID {
				found = a
				return true
			}
		}
		return false
	})
	if err != nil {
		return Ack{}, errors.Join(fmt.Errorf("fakeslack: envelope %s not acknowledged", envelopeID), err)
	}
	return found, nil
}
