package fakeslack

import (
	"encoding/json"
	"fmt"
	"time"
)

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
