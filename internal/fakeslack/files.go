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
)

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
	for i, ch := range channels {
		channels[i] = s.resolveChannel(ch)
	}
	out := make([]map[string]any, 0, len(files))
	for _, f := range files {
		u := s.uploads[f.ID]
		u.Title = f.Title
		if u.Title == "" {
			u.Title = u.Filename
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
