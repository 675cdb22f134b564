package fakeslack

import (
	"encoding/json"
	"fmt"
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
