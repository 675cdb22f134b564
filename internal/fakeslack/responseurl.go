package fakeslack

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

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
