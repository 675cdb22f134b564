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
	"context"
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

// Identity is who the fake workspace and its bot are (auth.test, message
// echoes, views).
type Identity struct {
	TeamID    string
	Team      string
	URL       string
	BotUserID string
	BotName   string
	BotID     string
	AppID     string
}

// DefaultIdentity is the identity a new Server starts with.
var DefaultIdentity = Identity{
	TeamID:    "T0000FAKE",
	Team:      "itspm-test",
	URL:       "https://itspm-test.slack.com/",
	BotUserID: "U0000BOT1",
	BotName:   "itspm",
	BotID:     "B0000BOT1",
	AppID:     "A0000APP1",
}

// Call is one recorded request.
type Call struct {
	Method string // Web API method ("chat.postMessage"), MethodUpload or MethodResponseURL
	Path   string // request path
	// Params merges the query string with the form body, or with the top-level
	// fields of a JSON body (strings as they are, other values as compact JSON;
	// nulls are left out).
	Params  url.Values
	Body    []byte         // raw request body
	JSON    map[string]any // parsed body when it was JSON, else nil
	Header  http.Header
	Token   string // from "Authorization: Bearer" or the "token" parameter
	Time    time.Time
	Faulted bool   // an injected fault answered instead of (or, for PostThenDrop, after) the method
	Fault   Fault  // the injected fault, including Latency; nil if none
	Status  int    // HTTP status sent; 0 when the connection was dropped
	Error   string // Slack error code answered ("" when ok)
}

// User is a workspace member known to the fake (users.*, conversations.open).
type User struct {
	ID          string
	Name        string
	RealName    string
	DisplayName string
	Email       string
	TZ          string // IANA name, e.g. "Europe/Berlin"
	TZOffset    int    // seconds east of UTC
	IsBot       bool
	IsAdmin     bool
	Deleted     bool
}

// Version is one state of a message.
type Version struct {
	Text        string
	Blocks      json.RawMessage // nil when the message has no blocks
	Attachments json.RawMessage
	Time        time.Time
}

// Message is a message posted with chat.postMessage, in its current state.
type Message struct {
	Channel     string // resolved channel (a user ID becomes their DM channel)
	TS          string
	ThreadTS    string
	Text        string
	Blocks      json.RawMessage
	Attachments json.RawMessage
	Metadata    json.RawMessage
	User        string     // bot user that posted it
	Params      url.Values // parameters of the posting call
	Time        time.Time
	Deleted     bool // chat.delete
	// History holds every version, oldest first: the post, then one entry
	// per chat.update. The last entry equals Text/Blocks/Attachments.
	History []Version
}

// Edited reports whether chat.update changed the message.
func (m Message) Edited() bool { return len(m.History) > 1 }

// Ephemeral is a message posted with chat.postEphemeral.
type Ephemeral struct {
	Channel  string
	User     string
	TS       string // the message_ts answered
	ThreadTS string
	Text     string
	Blocks   json.RawMessage
	Time     time.Time
}

// View is a modal (views.open) or App Home tab (views.publish).
type View struct {
	ID              string
	Type            string // "modal" or "home"
	User            string // owner of a home tab; "" for modals
	TriggerID       string
	ExternalID      string
	CallbackID      string
	PrivateMetadata string
	Title           string // title.text
	Hash            string
	Blocks          json.RawMessage
	JSON            json.RawMessage // the view exactly as last sent
	Version         int             // 1 when opened or first published, +1 per update/publish
	Time            time.Time
}

// Upload is a file uploaded with the three-step external upload.
type Upload struct {
	FileID         string
	Filename       string
	Title          string
	Length         int // size declared to files.getUploadURLExternal
	Bytes          []byte
	AltText        string
	SnippetType    string
	Channels       []string // channel_id and channels of files.completeUploadExternal
	ThreadTS       string
	InitialComment string
	Blocks         json.RawMessage
	Uploaded       bool // bytes were POSTed to the upload_url
	Completed      bool // files.completeUploadExternal succeeded
	Time           time.Time
}

// Response is one JSON post to a response_url.
type Response struct {
	Name            string
	Text            string
	Blocks          json.RawMessage
	ResponseType    string // "ephemeral", "in_channel" or ""
	ReplaceOriginal bool
	DeleteOriginal  bool
	ThreadTS        string
	Body            []byte
	JSON            map[string]any
	Time            time.Time
}

// ResponseURLUses is how many posts a response_url accepts, as on Slack;
// later posts get HTTP 404 "used_url".
const ResponseURLUses = 5

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

// ---- inspection ----

// Calls returns the recorded calls of method in arrival order; "" returns all.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c.clone())
		}
	}
	return out
}

// Messages returns the messages of channel in posting order, with
// chat.update applied; "" returns every channel's. A user ID is read as
// their DM channel.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var src []*Message
	if channel == "" {
		src = s.msgOrder
	} else {
		src = s.messages[s.resolveChannel(channel)]
	}
	out := make([]Message, 0, len(src))
	for _, m := range src {
		out = append(out, m.clone())
	}
	return out
}

// Message returns the message with ts in channel.
func (s *Server) Message(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.findMessage(s.resolveChannel(channel), ts)
	if m == nil {
		return Message{}, false
	}
	return m.clone(), true
}

// Ephemerals returns the chat.postEphemeral messages of channel ("" = all).
func (s *Server) Ephemerals(channel string) []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Ephemeral
	if channel != "" {
		channel = s.resolveChannel(channel)
	}
	for _, ch := range sortedKeys(s.ephemerals) {
		if channel != "" && ch != channel {
			continue
		}
		for _, e := range s.ephemerals[ch] {
			e.Blocks = cloneRaw(e.Blocks)
			out = append(out, e)
		}
	}
	return out
}

// Opened returns the modals opened with views.open, in order, in their
// current state (views.update applied).
func (s *Server) Opened() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]View, 0, len(s.opened))
	for _, id := range s.opened {
		out = append(out, s.views[id].clone())
	}
	return out
}

// Published returns every home tab published for user, oldest first; the
// last one is what the user sees.
func (s *Server) Published(user string) []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]View, 0, len(s.published[user]))
	for _, v := range s.published[user] {
		out = append(out, v.clone())
	}
	return out
}

// View returns the current state of a view by ID.
func (s *Server) View(id string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.views[id]
	if !ok {
		return View{}, false
	}
	return v.clone(), true
}

// Uploads returns the completed file uploads in upload order.
func (s *Server) Uploads() []Upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Upload
	for _, id := range s.upOrder {
		if u := s.uploads[id]; u.Completed {
			out = append(out, u.clone())
		}
	}
	return out
}

// Responses returns the posts made to ResponseURL(name), in order.
func (s *Server) Responses(name string) []Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Response, 0, len(s.responses[name]))
	for _, r := range s.responses[name] {
		r.Blocks = cloneRaw(r.Blocks)
		r.Body = bytes.Clone(r.Body)
		r.JSON = cloneMap(r.JSON)
		out = append(out, r)
	}
	return out
}

// ---- waiting ----

// WaitFor blocks until cond returns true or ctx ends. cond is evaluated
// now and after every recorded call; it may call the Server's methods.
func (s *Server) WaitFor(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// WaitCalls waits until at least n calls of method ("" = any) are recorded
// and returns all of them; after timeout it returns those seen and an error.
// A call is recorded after its effects (message posted, view opened, ...)
// are visible.
func (s *Server) WaitCalls(method string, n int, timeout time.Duration) ([]Call, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := s.WaitFor(ctx, func() bool { return s.countCalls(method) >= n })
	calls := s.Calls(method)
	if err != nil {
		return calls, fmt.Errorf("fakeslack: waited %v for %d %q calls, got %d", timeout, n, method, len(calls))
	}
	return calls, nil
}

func (s *Server) countCalls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			n++
		}
	}
	return n
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

func (c Call) clone() Call {
	c.Params = cloneValues(c.Params)
	c.Body = bytes.Clone(c.Body)
	c.JSON = cloneMap(c.JSON)
	c.Header = c.Header.Clone()
	return c
}

func (m *Message) clone() Message {
	out := *m
	out.Blocks = cloneRaw(m.Blocks)
	out.Attachments = cloneRaw(m.Attachments)
	out.Metadata = cloneRaw(m.Metadata)
	out.Params = cloneValues(m.Params)
	out.History = make([]Version, len(m.History))
	for i, v := range m.History {
		v.Blocks = cloneRaw(v.Blocks)
		v.Attachments = cloneRaw(v.Attachments)
		out.History[i] = v
	}
	return out
}

func (v View) clone() View {
	v.Blocks = cloneRaw(v.Blocks)
	v.JSON = cloneRaw(v.JSON)
	return v
}

func (u *Upload) clone() Upload {
	out := *u
	out.Bytes = bytes.Clone(u.Bytes)
	out.Channels = append([]string(nil), u.Channels...)
	out.Blocks = cloneRaw(u.Blocks)
	return out
}

func cloneRaw(b json.RawMessage) json.RawMessage {
	if b == nil {
		return nil
	}
	return bytes.Clone(b)
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func cloneMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneAny(v)
	}
	return out
}

func cloneAny(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return cloneMap(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = cloneAny(e)
		}
		return out
	default:
		return v
	}
}
