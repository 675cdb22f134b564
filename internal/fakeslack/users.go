package fakeslack

import (
	"slices"
	"strings"
)

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
