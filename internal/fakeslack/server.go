// Package fakeslack is an in-process fake of the parts of Slack's Web API
// that itspm calls, for tests. It speaks the real HTTP shapes (form-encoded
// or JSON bodies, token in the form or an "Authorization: Bearer" header,
// {"ok":...} JSON answers), so a slack-go client pointed at APIURL works
// unchanged. It records every call, keeps the resulting state (messages with
// their edit history, views, uploads, response_url posts) and can inject
// faults: rate limits, 5xx, latency, Slack errors and dropped connections.
//
// Everything is safe for concurrent use. Values returned by the inspection
// methods are copies.
package fakeslack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Pseudo method names under which requests that are not Web API methods are
// recorded and can be faulted (Calls, WaitCalls, FailNext, SetLatency).
const (
	// MethodUpload is the POST of a file's bytes to an upload_url returned
	// by files.getUploadURLExternal.
	MethodUpload = "upload"
	// MethodResponseURL is a POST to a URL from ResponseURL.
	MethodResponseURL = "response_url"
)

// AnyMethod, given to FailNext or SetLatency, applies to every method
// (a method-specific setting wins).
const AnyMethod = "*"

// startTS is the ts of the first message: 2025-11-27T00:00:00Z.
const startTS = 1764201600

// Server is the fake. Create it with New and Close it when done.
type Server struct {
	srv       *httptest.Server
	closing   chan struct{}
	closeOnce sync.Once

	mu             sync.Mutex
	changed        chan struct{} // closed and replaced on every recorded call
	token          string
	identity       Identity
	clock          func() time.Time
	validateBlocks bool
	lastTS         int64 // microseconds
	seq            int
	calls          []Call
	faults         map[string][]Fault
	latency        map[string]time.Duration

	users      map[string]User
	userOrder  []string
	dms        map[string]bool   // DM channels opened with conversations.open
	mpims      map[string]string // sorted user list -> channel
	messages   map[string][]*Message
	msgOrder   []*Message
	ephemerals map[string][]Ephemeral
	views      map[string]*View
	opened     []string // modal view IDs in open order
	homes      map[string]string
	published  map[string][]View
	triggers   map[string]bool
	uploads    map[string]*Upload
	upOrder    []string
	responses  map[string][]Response
}

// New starts a fake Slack server.
func New() *Server {
	s := &Server{
		closing:        make(chan struct{}),
		changed:        make(chan struct{}),
		identity:       DefaultIdentity,
		validateBlocks: true,
		lastTS:         startTS * 1e6,
		faults:         map[string][]Fault{},
		latency:        map[string]time.Duration{},
		users:          map[string]User{},
		dms:            map[string]bool{},
		mpims:          map[string]string{},
		messages:       map[string][]*Message{},
		ephemerals:     map[string][]Ephemeral{},
		views:          map[string]*View{},
		homes:          map[string]string{},
		published:      map[string][]View{},
		triggers:       map[string]bool{},
		uploads:        map[string]*Upload{},
		responses:      map[string][]Response{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/{method}", s.serveAPI)
	mux.HandleFunc("POST /upload/{id}", s.serveUpload)
	mux.HandleFunc("POST /response/{name}", s.serveResponseURL)
	s.srv = httptest.NewServer(mux)
	return s
}

// Close stops the server; requests sleeping in injected latency end at once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.srv.Close()
	})
}

// URL is the server's base URL, without a trailing slash.
func (s *Server) URL() string { return s.srv.URL }

// APIURL is the Web API base URL for slack.OptionAPIURL; it ends in "/api/".
func (s *Server) APIURL() string { return s.srv.URL + "/api/" }

// ResponseURL returns a response_url that records the posts made to it under
// name (see Responses). Any name may be used; the same name gives the same URL.
func (s *Server) ResponseURL(name string) string {
	return s.srv.URL + "/response/" + url.PathEscape(name)
}

// SetToken makes token the only accepted one; "" (the default) accepts any
// token starting with "xoxb-". Others get "invalid_auth".
func (s *Server) SetToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = token
}

// SetIdentity replaces the workspace and bot identity.
func (s *Server) SetIdentity(id Identity) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.identity = id
}

// Identity returns the workspace and bot identity.
func (s *Server) Identity() Identity {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.identity
}

// SetClock makes message timestamps follow now (still strictly increasing).
// By default they are a sequence starting at "1764201600.000100" and
// stepping by 100µs.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clock = now
}

// SetValidateBlocks turns Block Kit checks (documented size limits, required
// fields, unique block_ids) on or off. They are on by default and answer
// "invalid_blocks" / "invalid_arguments" as Slack does.
func (s *Server) SetValidateBlocks(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.validateBlocks = on
}

// AddUser adds or replaces a workspace member.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[u.ID]; !ok {
		s.userOrder = append(s.userOrder, u.ID)
	}
	s.users[u.ID] = u
}

// DMChannel is the DM channel ID the fake uses for a user ("U123" -> "D123").
func DMChannel(userID string) string {
	if len(userID) > 1 {
		return "D" + userID[1:]
	}
	return "D" + userID
}

// SetLatency delays every call of method (or AnyMethod) by d; 0 removes it.
// The method still takes effect if the client gives up meanwhile, as on Slack.
func (s *Server) SetLatency(method string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d <= 0 {
		delete(s.latency, method)
		return
	}
	s.latency[method] = d
}

// FailNext makes the next n calls of method (or AnyMethod) answer with f.
// Successive FailNext calls queue up in order.
func (s *Server) FailNext(method string, n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[method] = append(s.faults[method], f)
	}
}

// ClearFaults removes queued faults and latencies.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = map[string][]Fault{}
	s.latency = map[string]time.Duration{}
}

// ---- request plumbing ----

// reply is what a handler answers.
type reply struct {
	status      int
	contentType string
	body        []byte
	errCode     string
}

func okReply(fields map[string]any) reply {
	if fields == nil {
		fields = map[string]any{}
	}
	fields["ok"] = true
	return jsonReply(http.StatusOK, fields, "")
}

func errReply(code string, messages ...string) reply {
	fields := map[string]any{"ok": false, "error": code}
	if len(messages) > 0 {
		fields["response_metadata"] = map[string]any{"messages": messages}
	}
	return jsonReply(http.StatusOK, fields, code)
}

func jsonReply(status int, v any, code string) reply {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // our own values always marshal
	}
	return reply{status: status, contentType: "application/json; charset=utf-8", body: b, errCode: code}
}

func textReply(status int, text, code string) reply {
	return reply{status: status, contentType: "text/plain; charset=utf-8", body: []byte(text), errCode: code}
}

// newCall reads and parses a request.
func (s *Server) newCall(method string, r *http.Request) (*Call, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	c := &Call{
		Method: method,
		Path:   r.URL.Path,
		Params: r.URL.Query(),
		Body:   body,
		Header: r.Header.Clone(),
		Time:   time.Now(),
	}
	ctype, ctparams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case ctype == "application/json":
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err == nil {
			c.JSON = m
			for k, v := range m {
				if v == nil {
					continue
				}
				if str, ok := v.(string); ok {
					c.Params.Add(k, str)
					continue
				}
				b, _ := json.Marshal(v)
				c.Params.Add(k, string(b))
			}
		}
	case ctype == "application/x-www-form-urlencoded":
		if form, err := url.ParseQuery(string(body)); err == nil {
			for k, vs := range form {
				c.Params[k] = append(c.Params[k], vs...)
			}
		}
	case strings.HasPrefix(ctype, "multipart/"):
		mr := multipart.NewReader(bytes.NewReader(body), ctparams["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			if p.FileName() == "" {
				v, _ := io.ReadAll(p)
				c.Params.Add(p.FormName(), string(v))
			}
		}
	}
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "Bearer ") {
		c.Token = strings.TrimPrefix(auth, "Bearer ")
	} else {
		c.Token = c.Params.Get("token")
	}
	return c, nil
}

// run applies latency and faults, calls handle unless a fault answers
// instead, records the call and writes the answer.
func (s *Server) run(w http.ResponseWriter, c *Call, handle func(*Call) reply) {
	s.mu.Lock()
	delay, ok := s.latency[c.Method]
	if !ok {
		delay = s.latency[AnyMethod]
	}
	var f Fault
	for _, key := range []string{c.Method, AnyMethod} {
		if q := s.faults[key]; len(q) > 0 {
			f, s.faults[key] = q[0], q[1:]
			break
		}
	}
	s.mu.Unlock()
	c.Fault = f

	if lat, ok := f.(Latency); ok {
		delay += lat.D
	}
	if delay > 0 && !s.sleep(delay) {
		http.Error(w, "fakeslack: shutting down", http.StatusServiceUnavailable)
		return
	}

	var rep reply
	switch f := f.(type) {
	case RateLimited:
		c.Faulted = true
		secs := int64((f.RetryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
		rep = jsonReply(http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"}, "ratelimited")
	case ServerError:
		c.Faulted = true
		status := f.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		rep = reply{
			status:      status,
			contentType: "text/html; charset=utf-8",
			body:        fmt.Appendf(nil, "<html><body>%d %s</body></html>", status, http.StatusText(status)),
		}
	case SlackError:
		c.Faulted = true
		rep = errReply(f.Code)
	case DropConnection:
		c.Faulted = true
		s.record(c)
		drop(w)
		return
	case PostThenDrop:
		rep = handle(c)
		c.Faulted = true
		c.Error = rep.errCode
		s.record(c)
		drop(w)
		return
	default:
		rep = handle(c)
	}
	c.Status = rep.status
	c.Error = rep.errCode
	s.record(c)
	w.Header().Set("Content-Type", rep.contentType)
	w.WriteHeader(rep.status)
	_, _ = w.Write(rep.body)
}

func (s *Server) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.closing:
		return false
	}
}

// drop closes the connection without answering.
func drop(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("fakeslack: connection cannot be hijacked")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	_ = conn.Close()
}

func (s *Server) record(c *Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c.clone())
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) checkAuth(c *Call) string {
	if c.Token == "" {
		return "not_authed"
	}
	s.mu.Lock()
	want := s.token
	s.mu.Unlock()
	if want != "" {
		if c.Token != want {
			return "invalid_auth"
		}
	} else if !strings.HasPrefix(c.Token, "xoxb-") {
		return "invalid_auth"
	}
	return ""
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	method := r.PathValue("method")
	c, err := s.newCall(method, r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.run(w, c, func(c *Call) reply {
		h, ok := apiMethods[method]
		if !ok {
			rep := errReply("unknown_method")
			rep.status = http.StatusNotFound
			return rep
		}
		if code := s.checkAuth(c); code != "" {
			return errReply(code)
		}
		return h(s, c)
	})
}

// ---- small helpers ----

// nextTS returns a new, strictly increasing message timestamp. s.mu held.
func (s *Server) nextTS() string {
	var micros int64
	if s.clock != nil {
		micros = s.clock().UnixMicro()
	}
	if micros <= s.lastTS {
		micros = s.lastTS + 100
	}
	s.lastTS = micros
	return fmt.Sprintf("%d.%06d", micros/1e6, micros%1e6)
}

// nextID returns prefix followed by a fresh number. s.mu held.
func (s *Server) nextID(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s%08d", prefix, s.seq)
}
