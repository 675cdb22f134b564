package domain

// A service's owner names a person or a team (a Board, which is what
// Backstage Groups import as). Everything that asks "who owns this?" —
// permissions, the card, questions, reminders — goes through these helpers,
// so that a team owner means its members. A person of the same name wins
// over a board; validation reports that ambiguity.

// OwnerTeam returns the board that owns svc, when its owner names a board
// and no person.
func (s *Snapshot) OwnerTeam(svc *Service) (*Board, bool) {
	if svc == nil || svc.Owner == "" {
		return nil, false
	}
	if _, ok := s.People[svc.Owner]; ok {
		return nil, false
	}
	b, ok := s.Boards[svc.Owner]
	return b, ok
}

// IsOwner reports whether person owns svc: is its owner, or a member of the
// team that owns it.
func (s *Snapshot) IsOwner(svc *Service, person string) bool {
	if svc == nil || person == "" {
		return false
	}
	if svc.Owner == person {
		return true
	}
	if team, ok := s.OwnerTeam(svc); ok {
		return team.IsMember(person)
	}
	return false
}

// OwnerPeople returns the people who own svc: its owner, or the members of
// the team that owns it (in the team's order).
func (s *Snapshot) OwnerPeople(svc *Service) []string {
	if svc == nil || svc.Owner == "" {
		return nil
	}
	if team, ok := s.OwnerTeam(svc); ok {
		return team.Members
	}
	return []string{svc.Owner}
}

// OwnerRecipients names whom owner reminders about svc go to: the owning
// person; for a team, the team itself when it has a channel (see
// Recipient), otherwise each of its members.
func (s *Snapshot) OwnerRecipients(svc *Service) []string {
	if team, ok := s.OwnerTeam(svc); ok && team.Channel != "" {
		return []string{team.Name}
	}
	return s.OwnerPeople(svc)
}

// Recipient is the Slack ID a name from OwnerRecipients is sent to: a
// person's user ID, or a team's channel; "" when there is none.
func (s *Snapshot) Recipient(name string) string {
	if p, ok := s.People[name]; ok {
		return p.SlackUser
	}
	if b, ok := s.Boards[name]; ok {
		return b.Channel
	}
	return ""
}
