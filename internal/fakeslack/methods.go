package fakeslack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// apiMethods are the Web API methods the fake implements. Others answer
// HTTP 404 {"ok":false,"error":"unknown_method"}.
var apiMethods map[string]func(*Server, *Call) reply

func init() {
	apiMethods = map[string]func(*Server, *Call) reply{
		"auth.test":                    (*Server).authTest,
		"team.info":                    (*Server).teamInfo,
		"chat.postMessage":             (*Server).chatPostMessage,
		"chat.postEphemeral":           (*Server).chatPostEphemeral,
		"chat.update":                  (*Server).chatUpdate,
		"chat.delete":                  (*Server).chatDelete,
		"chat.getPermalink":            (*Server).chatGetPermalink,
		"views.open":                   (*Server).viewsOpen,
		"views.publish":                (*Server).viewsPublish,
		"views.update":                 (*Server).viewsUpdate,
		"users.lookupByEmail":          (*Server).usersLookupByEmail,
		"users.info":                   (*Server).usersInfo,
		"conversations.open":           (*Server).conversationsOpen,
		"files.getUploadURLExternal":   (*Server).filesGetUploadURLExternal,
		"files.completeUploadExternal": (*Server).filesCompleteUploadExternal,
	}
}

// ---- auth / team ----

func (s *Server) authTest(*Call) reply {
	id := s.Identity()
	return okReply(map[string]any{
		"url":     id.URL,
		"team":    id.Team,
		"user":    id.BotName,
		"team_id": id.TeamID,
		"user_id": id.BotUserID,
		"bot_id":  id.BotID,
	})
}

func (s *Server) teamInfo(*Call) reply {
	id := s.Identity()
	return okReply(map[string]any{"team": map[string]any{
		"id":     id.TeamID,
		"name":   id.Team,
		"domain": strings.TrimSuffix(strings.TrimPrefix(id.URL, "https://"), ".slack.com/"),
	}})
}

// ---- chat ----

// resolveChannel maps a user ID to their DM channel. s.mu held.
func (s *Server) resolveChannel(ch string) string {
	if strings.HasPrefix(ch, "U") || strings.HasPrefix(ch, "W") {
		return DMChannel(ch)
	}
	return ch
}

// findMessage returns the live message, or nil. s.mu held.
func (s *Server) findMessage(channel, ts string) *Message {
	for _, m := range s.messages[channel] {
		if m.TS == ts && !m.Deleted {
			return m
		}
	}
	return nil
}

// content is the text/blocks/attachments of a message call.
type content struct {
	text        string
	blocks      json.RawMessage
	attachments json.RawMessage
	hasText     bool
	hasBlocks   bool
	hasAttach   bool
	nBlocks     int
}

// readContent parses and checks text, blocks and attachments.
func (s *Server) readContent(c *Call, maxBlocks int) (content, reply, bool) {
	var ct content
	p := c.Params
	_, ct.hasText = p["text"]
	ct.text = p.Get("text")
	if utf8.RuneCountInString(ct.text) > 40000 {
		return ct, errReply("msg_too_long"), false
	}
	if raw, ok := p["blocks"]; ok {
		ct.hasBlocks = true
		blocks, ok := parseBlocks(raw[0])
		if !ok {
			return ct, errReply("invalid_blocks_format"), false
		}
		if s.validating() {
			if msgs := checkBlocks(blocks, maxBlocks, "/blocks"); len(msgs) > 0 {
				return ct, errReply("invalid_blocks", msgs...), false
			}
		}
		ct.nBlocks = len(blocks)
		if blocks != nil {
			ct.blocks = json.RawMessage(raw[0])
		}
	}
	if raw, ok := p["attachments"]; ok && raw[0] != "" && raw[0] != "null" {
		ct.hasAttach = true
		var a []any
		if json.Unmarshal([]byte(raw[0]), &a) != nil {
			return ct, errReply("invalid_attachments"), false
		}
		if len(a) > 0 {
			ct.attachments = json.RawMessage(raw[0])
		}
	}
	return ct, reply{}, true
}

func (ct content) empty() bool {
	return ct.text == "" && ct.nBlocks == 0 && ct.attachments == nil
}

func (s *Server) validating() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.validateBlocks
}

// messageJSON is the message object Slack echoes back. s.mu held.
func (s *Server) messageJSON(m *Message) map[string]any {
	out := map[string]any{
		"type":    "message",
		"text":    m.Text,
		"user":    s.identity.BotUserID,
		"bot_id":  s.identity.BotID,
		"app_id":  s.identity.AppID,
		"team":    s.identity.TeamID,
		"ts":      m.TS,
		"channel": m.Channel,
	}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if m.Blocks != nil {
		out["blocks"] = m.Blocks
	}
	if m.Attachments != nil {
		out["attachments"] = m.Attachments
	}
	if m.Edited() {
		out["edited"] = map[string]any{"user": s.identity.BotUserID, "ts": m.TS}
	}
	return out
}

func (s *Server) chatPostMessage(c *Call) reply {
	p := c.Params
	if p.Get("channel") == "" {
		return errReply("channel_not_found")
	}
	ct, rep, ok := s.readContent(c, maxMessageBlocks)
	if !ok {
		return rep
	}
	if ct.empty() {
		return errReply("no_text")
	}
	var meta json.RawMessage
	if raw := p.Get("metadata"); raw != "" {
		if !json.Valid([]byte(raw)) {
			return errReply("invalid_metadata_format")
		}
		meta = json.RawMessage(raw)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.resolveChannel(p.Get("channel"))
	now := time.Now()
	m := &Message{
		Channel:     ch,
		TS:          s.nextTS(),
		ThreadTS:    p.Get("thread_ts"),
		Text:        ct.text,
		Blocks:      ct.blocks,
		Attachments: ct.attachments,
		Metadata:    meta,
		User:        s.identity.BotUserID,
		Params:      cloneValues(p),
		Time:        now,
		History:     []Version{{Text: ct.text, Blocks: ct.blocks, Attachments: ct.attachments, Time: now}},
	}
	s.messages[ch] = append(s.messages[ch], m)
	s.msgOrder = append(s.msgOrder, m)
	return okReply(map[string]any{"channel": ch, "ts": m.TS, "message": s.messageJSON(m)})
}

func (s *Server) chatPostEphemeral(c *Call) reply {
	p := c.Params
	if p.Get("channel") == "" {
		return errReply("channel_not_found")
	}
	if p.Get("user") == "" {
		return errReply("user_not_in_channel")
	}
	ct, rep, ok := s.readContent(c, maxMessageBlocks)
	if !ok {
		return rep
	}
	if ct.empty() {
		return errReply("no_text")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.resolveChannel(p.Get("channel"))
	e := Ephemeral{
		Channel:  ch,
		User:     p.Get("user"),
		TS:       s.nextTS(),
		ThreadTS: p.Get("thread_ts"),
		Text:     ct.text,
		Blocks:   ct.blocks,
		Time:     time.Now(),
	}
	s.ephemerals[ch] = append(s.ephemerals[ch], e)
	return okReply(map[string]any{"message_ts": e.TS})
}

func (s *Server) chatUpdate(c *Call) reply {
	p := c.Params
	if p.Get("channel") == "" {
		return errReply("channel_not_found")
	}
	ct, rep, ok := s.readContent(c, maxMessageBlocks)
	if !ok {
		return rep
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.resolveChannel(p.Get("channel"))
	m := s.findMessage(ch, p.Get("ts"))
	if m == nil {
		return errReply("message_not_found")
	}
	// As on Slack, blocks and attachments that are not sent are kept; an
	// empty array removes them.
	next := Version{Text: m.Text, Blocks: m.Blocks, Attachments: m.Attachments, Time: time.Now()}
	if ct.hasText {
		next.Text = ct.text
	}
	if ct.hasBlocks {
		next.Blocks = ct.blocks
	}
	if _, ok := p["attachments"]; ok {
		next.Attachments = ct.attachments
	}
	if next.Text == "" && next.Blocks == nil && next.Attachments == nil {
		return errReply("no_text")
	}
	m.Text, m.Blocks, m.Attachments = next.Text, next.Blocks, next.Attachments
	m.History = append(m.History, next)
	return okReply(map[string]any{"channel": ch, "ts": m.TS, "text": m.Text, "message": s.messageJSON(m)})
}

func (s *Server) chatDelete(c *Call) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.resolveChannel(c.Params.Get("channel"))
	m := s.findMessage(ch, c.Params.Get("ts"))
	if m == nil {
		return errReply("message_not_found")
	}
	m.Deleted = true
	return okReply(map[string]any{"channel": ch, "ts": m.TS})
}

func (s *Server) chatGetPermalink(c *Call) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.resolveChannel(c.Params.Get("channel"))
	ts := c.Params.Get("message_ts")
	if s.findMessage(ch, ts) == nil {
		return errReply("message_not_found")
	}
	return okReply(map[string]any{
		"channel":   ch,
		"permalink": fmt.Sprintf("%sarchives/%s/p%s", s.identity.URL, ch, strings.ReplaceAll(ts, ".", "")),
	})
}

// ---- views ----

func str(m map[string]any, key string) string {
	v, _ := m[key].(string)
	return v
}

func textOf(m map[string]any, key string) string {
	t, _ := m[key].(map[string]any)
	return str(t, "text")
}

// parseView decodes and checks a view; it returns the error reply on failure.
func (s *Server) parseView(raw, wantType string) (map[string]any, json.RawMessage, reply, bool) {
	if raw == "" {
		return nil, nil, errReply("invalid_arguments", "[ERROR] missing required field: view"), false
	}
	var vm map[string]any
	if err := json.Unmarshal([]byte(raw), &vm); err != nil {
		return nil, nil, errReply("invalid_arguments", "[ERROR] view is not a JSON object"), false
	}
	if t := str(vm, "type"); t != wantType {
		return nil, nil, errReply("invalid_arguments", fmt.Sprintf("[ERROR] view type must be %s, got %q [json-pointer:/view/type]", wantType, t)), false
	}
	var blocks []any
	if b, ok := vm["blocks"]; ok && b != nil {
		if blocks, ok = b.([]any); !ok {
			return nil, nil, errReply("invalid_arguments", "[ERROR] blocks must be an array [json-pointer:/view/blocks]"), false
		}
	}
	if s.validating() {
		msgs := checkBlocks(blocks, maxViewBlocks, "/view/blocks")
		c := &blockChecker{}
		if wantType == "modal" {
			c.text(vm["title"], 24, "/view/title", "plain_text")
			if v, ok := vm["submit"]; ok && v != nil {
				c.text(v, 24, "/view/submit", "plain_text")
			} else {
				for _, b := range blocks {
					if bm, _ := b.(map[string]any); str(bm, "type") == "input" {
						c.errorf("/view/submit", "submit is required when blocks contain input blocks")
						break
					}
				}
			}
			if v, ok := vm["close"]; ok && v != nil {
				c.text(v, 24, "/view/close", "plain_text")
			}
		}
		c.maxLen(str(vm, "callback_id"), 255, "/view/callback_id")
		c.maxLen(str(vm, "external_id"), 255, "/view/external_id")
		c.maxLen(str(vm, "private_metadata"), 3000, "/view/private_metadata")
		if msgs = append(msgs, c.msgs...); len(msgs) > 0 {
			return nil, nil, errReply("invalid_arguments", msgs...), false
		}
	}
	var bl json.RawMessage
	if blocks != nil {
		bl, _ = json.Marshal(vm["blocks"])
	}
	return vm, bl, reply{}, true
}

// newHash returns a fresh view hash. s.mu held.
func (s *Server) newHash() string {
	s.seq++
	return fmt.Sprintf("%d.%08x", startTS, s.seq)
}

// viewJSON is the view object Slack answers. s.mu held.
func (s *Server) viewJSON(v *View) map[string]any {
	var out map[string]any
	_ = json.Unmarshal(v.JSON, &out)
	if out == nil {
		out = map[string]any{}
	}
	if out["blocks"] == nil {
		out["blocks"] = []any{}
	}
	for _, k := range []string{"private_metadata", "callback_id", "external_id"} {
		if _, ok := out[k]; !ok {
			out[k] = ""
		}
	}
	out["id"] = v.ID
	out["team_id"] = s.identity.TeamID
	out["type"] = v.Type
	out["hash"] = v.Hash
	out["state"] = map[string]any{"values": map[string]any{}}
	out["root_view_id"] = v.ID
	out["previous_view_id"] = nil
	out["app_id"] = s.identity.AppID
	out["app_installed_team_id"] = s.identity.TeamID
	out["bot_id"] = s.identity.BotID
	return out
}

func (s *Server) viewsOpen(c *Call) reply {
	trigger := c.Params.Get("trigger_id")
	if trigger == "" {
		return errReply("invalid_arguments", "[ERROR] missing required field: trigger_id")
	}
	raw := c.Params.Get("view")
	vm, blocks, rep, ok := s.parseView(raw, "modal")
	if !ok {
		return rep
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// A trigger_id can be exchanged once.
	if s.triggers[trigger] {
		return errReply("exchanged_trigger_id")
	}
	ext := str(vm, "external_id")
	if ext != "" && s.findExternal(ext) != nil {
		return errReply("duplicate_external_id")
	}
	s.triggers[trigger] = true
	v := &View{
		ID:              s.nextID("V"),
		Type:            "modal",
		TriggerID:       trigger,
		ExternalID:      ext,
		CallbackID:      str(vm, "callback_id"),
		PrivateMetadata: str(vm, "private_metadata"),
		Title:           textOf(vm, "title"),
		Blocks:          blocks,
		JSON:            json.RawMessage(raw),
		Version:         1,
		Time:            time.Now(),
	}
	v.Hash = s.newHash()
	s.views[v.ID] = v
	s.opened = append(s.opened, v.ID)
	return okReply(map[string]any{"view": s.viewJSON(v)})
}

// findExternal returns the view with an external_id. s.mu held.
func (s *Server) findExternal(ext string) *View {
	for _, v := range s.views {
		if v.ExternalID == ext {
			return v
		}
	}
	return nil
}

func (s *Server) viewsPublish(c *Call) reply {
	user := c.Params.Get("user_id")
	if user == "" {
		return errReply("invalid_arguments", "[ERROR] missing required field: user_id")
	}
	raw := c.Params.Get("view")
	vm, blocks, rep, ok := s.parseView(raw, "home")
	if !ok {
		return rep
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var v *View
	if id, ok := s.homes[user]; ok {
		v = s.views[id]
		if h, ok := c.Params["hash"]; ok && h[0] != "" && h[0] != v.Hash {
			return errReply("hash_conflict")
		}
	} else {
		v = &View{ID: s.nextID("V"), Type: "home", User: user}
		s.views[v.ID] = v
		s.homes[user] = v.ID
	}
	v.ExternalID = str(vm, "external_id")
	v.CallbackID = str(vm, "callback_id")
	v.PrivateMetadata = str(vm, "private_metadata")
	v.Title = textOf(vm, "title")
	v.Blocks = blocks
	v.JSON = json.RawMessage(raw)
	v.Version++
	v.Hash = s.newHash()
	v.Time = time.Now()
	s.published[user] = append(s.published[user], v.clone())
	return okReply(map[string]any{"view": s.viewJSON(v)})
}

func (s *Server) viewsUpdate(c *Call) reply {
	id, ext := c.Params.Get("view_id"), c.Params.Get("external_id")
	if id == "" && ext == "" {
		return errReply("invalid_arguments", "[ERROR] view_id or external_id is required")
	}
	s.mu.Lock()
	var v *View
	if id != "" {
		v = s.views[id]
	} else {
		v = s.findExternal(ext)
	}
	var typ, hash string
	if v != nil {
		typ, hash = v.Type, v.Hash
	}
	s.mu.Unlock()
	if v == nil {
		return errReply("not_found")
	}
	if h := c.Params.Get("hash"); h != "" && h != hash {
		return errReply("hash_conflict")
	}
	raw := c.Params.Get("view")
	vm, blocks, rep, ok := s.parseView(raw, typ)
	if !ok {
		return rep
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if h := c.Params.Get("hash"); h != "" && h != v.Hash {
		return errReply("hash_conflict") // changed meanwhile
	}
	if e := str(vm, "external_id"); e != "" {
		if other := s.findExternal(e); other != nil && other != v {
			return errReply("duplicate_external_id")
		}
		v.ExternalID = e
	}
	v.CallbackID = str(vm, "callback_id")
	v.PrivateMetadata = str(vm, "private_metadata")
	v.Title = textOf(vm, "title")
	v.Blocks = blocks
	v.JSON = json.RawMessage(raw)
	v.Version++
	v.Hash = s.newHash()
	v.Time = time.Now()
	if v.Type == "home" {
		s.published[v.User] = append(s.published[v.User], v.clone())
	}
	return okReply(map[string]any{"view": s.viewJSON(v)})
}

// ---- users / conversations ----

func (s *Server) userJSON(u User) map[string]any {
	return map[string]any{
		"id":        u.ID,
		"team_id":   s.identity.TeamID,
		"name":      u.Name,
		"deleted":   u.Deleted,
		"real_name": u.RealName,
		"tz":        u.TZ,
		"tz_label":  u.TZ,
		"tz_offset": u.TZOffset,
		"is_bot":    u.IsBot,
		"is_admin":  u.IsAdmin,
		"profile": map[string]any{
			"email":                   u.Email,
			"real_name":               u.RealName,
			"real_name_normalized":    u.RealName,
			"display_name":            u.DisplayName,
			"display_name_normalized": u.DisplayName,
			"team":                    s.identity.TeamID,
		},
	}
}

func (s *Server) usersLookupByEmail(c *Call) reply {
	email := c.Params.Get("email")
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range s.userOrder {
		if u := s.users[id]; email != "" && strings.EqualFold(u.Email, email) {
			return okReply(map[string]any{"user": s.userJSON(u)})
		}
	}
	return errReply("users_not_found")
}

func (s *Server) usersInfo(c *Call) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[c.Params.Get("user")]
	if !ok {
		return errReply("user_not_found")
	}
	return okReply(map[string]any{"user": s.userJSON(u)})
}

func (s *Server) conversationsOpen(c *Call) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	var users []string
	for u := range strings.SplitSeq(c.Params.Get("users"), ",") {
		if u = strings.TrimSpace(u); u != "" {
			users = append(users, u)
		}
	}
	if len(users) == 0 {
		if ch := c.Params.Get("channel"); ch != "" {
			return okReply(map[string]any{"no_op": true, "already_open": true, "channel": map[string]any{"id": ch}})
		}
		return errReply("users_list_not_supplied")
	}
	if len(users) > 8 {
		return errReply("too_many_users")
	}
	for _, u := range users {
		if _, ok := s.users[u]; !ok {
			return errReply("user_not_found")
		}
	}
	channel := map[string]any{"created": startTS, "is_open": true}
	var id string
	if len(users) == 1 {
		id = DMChannel(users[0])
		channel["is_im"] = true
		channel["user"] = users[0]
	} else {
		slices.Sort(users)
		key := strings.Join(users, ",")
		if id = s.mpims[key]; id == "" {
			id = s.nextID("G")
			s.mpims[key] = id
		}
		channel["is_mpim"] = true
	}
	channel["id"] = id
	already := s.dms[id]
	s.dms[id] = true
	return okReply(map[string]any{"no_op": already, "already_open": already, "channel": channel})
}

// ---- files ----

func (s *Server) filesGetUploadURLExternal(c *Call) reply {
	name := c.Params.Get("filename")
	length, err := strconv.Atoi(c.Params.Get("length"))
	if name == "" || err != nil || length <= 0 {
		return errReply("invalid_arguments")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := &Upload{
		FileID:      s.nextID("F"),
		Filename:    name,
		Length:      length,
		AltText:     c.Params.Get("alt_txt"),
		SnippetType: c.Params.Get("snippet_type"),
		Time:        time.Now(),
	}
	s.uploads[u.FileID] = u
	s.upOrder = append(s.upOrder, u.FileID)
	return okReply(map[string]any{"upload_url": s.srv.URL + "/upload/" + u.FileID, "file_id": u.FileID})
}

func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	c, err := s.newCall(MethodUpload, r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	id := r.PathValue("id")
	s.run(w, c, func(c *Call) reply {
		data := c.Body
		ctype, params, _ := mime.ParseMediaType(c.Header.Get("Content-Type"))
		if strings.HasPrefix(ctype, "multipart/") {
			data = nil
			mr := multipart.NewReader(bytes.NewReader(c.Body), params["boundary"])
			for {
				p, err := mr.NextPart()
				if err != nil {
					break
				}
				if p.FileName() != "" || p.FormName() == "file" {
					data, _ = io.ReadAll(p)
					break
				}
			}
			if data == nil {
				return textReply(http.StatusBadRequest, "no file part", "no_file_data")
			}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		u, ok := s.uploads[id]
		if !ok {
			return textReply(http.StatusNotFound, "file not found", "file_not_found")
		}
		u.Bytes = bytes.Clone(data)
		u.Uploaded = true
		return textReply(http.StatusOK, fmt.Sprintf("OK - %d", len(data)), "")
	})
}

func (s *Server) filesCompleteUploadExternal(c *Call) reply {
	var files []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal([]byte(c.Params.Get("files")), &files); err != nil || len(files) == 0 {
		return errReply("invalid_arguments")
	}
	var channels []string
	if ch := c.Params.Get("channel_id"); ch != "" {
		channels = append(channels, ch)
	}
	for ch := range strings.SplitSeq(c.Params.Get("channels"), ",") {
		if ch = strings.TrimSpace(ch); ch != "" && !slices.Contains(channels, ch) {
			channels = append(channels, ch)
		}
	}
	var blocks json.RawMessage
	if raw := c.Params.Get("blocks"); raw != "" {
		if !json.Valid([]byte(raw)) {
			return errReply("invalid_blocks_format")
		}
		blocks = json.RawMessage(raw)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range files {
		if u, ok := s.uploads[f.ID]; !ok || !u.Uploaded || u.Completed {
			return errReply("file_not_found")
		}
	}
	out := make([]map[string]any, 0, len(files))
	for _, f := range files {
		u := s.uploads[f.ID]
		u.Title = f.Title
		if u.Title == "" {
			u.Title = u.Filename
		}
		for i, ch := range channels {
			channels[i] = s.resolveChannel(ch)
		}
		u.Channels = slices.Clone(channels)
		u.ThreadTS = c.Params.Get("thread_ts")
		u.InitialComment = c.Params.Get("initial_comment")
		u.Blocks = blocks
		u.Completed = true
		out = append(out, map[string]any{"id": u.FileID, "title": u.Title, "name": u.Filename, "size": len(u.Bytes)})
	}
	return okReply(map[string]any{"files": out})
}

// ---- response_url ----

func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	c, err := s.newCall(MethodResponseURL, r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	name := r.PathValue("name")
	s.run(w, c, func(c *Call) reply {
		if c.JSON == nil {
			return textReply(http.StatusBadRequest, "invalid_payload", "invalid_payload")
		}
		resp := Response{
			Name:         name,
			Text:         str(c.JSON, "text"),
			ResponseType: str(c.JSON, "response_type"),
			ThreadTS:     str(c.JSON, "thread_ts"),
			Body:         bytes.Clone(c.Body),
			JSON:         cloneMap(c.JSON),
			Time:         time.Now(),
		}
		resp.ReplaceOriginal, _ = c.JSON["replace_original"].(bool)
		resp.DeleteOriginal, _ = c.JSON["delete_original"].(bool)
		var blocks []any
		if b, ok := c.JSON["blocks"]; ok && b != nil {
			if blocks, ok = b.([]any); !ok {
				return textReply(http.StatusBadRequest, "invalid_blocks_format", "invalid_blocks_format")
			}
			if len(blocks) > 0 {
				resp.Blocks, _ = json.Marshal(b)
			}
		}
		if s.validating() {
			if msgs := checkBlocks(blocks, maxMessageBlocks, "/blocks"); len(msgs) > 0 {
				return textReply(http.StatusBadRequest, "invalid_blocks\n"+strings.Join(msgs, "\n"), "invalid_blocks")
			}
		}
		if !resp.DeleteOriginal && resp.Text == "" && resp.Blocks == nil && c.JSON["attachments"] == nil {
			return textReply(http.StatusBadRequest, "no_text", "no_text")
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(s.responses[name]) >= ResponseURLUses {
			return textReply(http.StatusNotFound, "used_url", "used_url")
		}
		s.responses[name] = append(s.responses[name], resp)
		return jsonReply(http.StatusOK, map[string]any{"ok": true}, "")
	})
}
