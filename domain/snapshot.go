package domain

import (
	"sort"
	"strings"
)

// Snapshot is an immutable, indexed copy of the whole catalog. Storage keeps
// one in memory so that a lookup costs one round trip whatever the catalog's
// size, and joins (owner → person → portfolio, reverse dependencies) happen
// in Go. Treat it as read-only.
type Snapshot struct {
	People     map[string]*Person
	Portfolios map[string]*Portfolio
	Boards     map[string]*Board
	Tollgates  map[string]*Tollgate
	Services   map[string]*Service

	names      []string            // service names, sorted
	keys       map[string]string   // lower-cased name, alias and title → service name
	dependents map[string][]string // service → services that depend on it directly
	bySlack    map[string]string   // Slack user ID → person
}

// ServiceNames returns every service name, sorted.
func (s *Snapshot) ServiceNames() []string { return s.names }

// Lookup finds a service by name, alias or title, case-insensitively.
func (s *Snapshot) Lookup(key string) (*Service, bool) {
	name, ok := s.keys[strings.ToLower(strings.TrimSpace(key))]
	if !ok {
		return nil, false
	}
	return s.Services[name], true
}

// Keys returns the lookup keys (names, aliases and titles, lower-cased) with
// the service each names, for fuzzy matching.
func (s *Snapshot) Keys() map[string]string { return s.keys }

// Dependents returns the services that depend directly on name, sorted.
func (s *Snapshot) Dependents(name string) []string { return s.dependents[name] }

// PersonBySlack maps a Slack user ID to a person.
func (s *Snapshot) PersonBySlack(user string) (*Person, bool) {
	name, ok := s.bySlack[user]
	if !ok {
		return nil, false
	}
	return s.People[name], true
}

// Catalog returns the snapshot as sorted slices, for export and validation.
func (s *Snapshot) Catalog() *Catalog {
	c := &Catalog{}
	for _, k := range sortedKeys(s.People) {
		c.People = append(c.People, *s.People[k])
	}
	for _, k := range sortedKeys(s.Portfolios) {
		c.Portfolios = append(c.Portfolios, *s.Portfolios[k])
	}
	for _, k := range sortedKeys(s.Boards) {
		c.Boards = append(c.Boards, *s.Boards[k])
	}
	for _, k := range sortedKeys(s.Tollgates) {
		c.Tollgates = append(c.Tollgates, *s.Tollgates[k])
	}
	for _, k := range s.names {
		c.Services = append(c.Services, *s.Services[k])
	}
	return c
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Reindex rebuilds the derived lookups; call it after filling the maps.
func (s *Snapshot) Reindex() {
	s.names = sortedKeys(s.Services)
	s.keys = make(map[string]string, 3*len(s.Services))
	s.dependents = map[string][]string{}
	// Names win over aliases, aliases over titles, whatever the order.
	for _, n := range s.names {
		svc := s.Services[n]
		if t := strings.ToLower(svc.Title); t != "" {
			s.keys[t] = n
		}
	}
	for _, n := range s.names {
		for _, a := range s.Services[n].Aliases {
			s.keys[strings.ToLower(a)] = n
		}
	}
	for _, n := range s.names {
		s.keys[n] = n
		for _, d := range s.Services[n].DependsOn {
			s.dependents[d] = append(s.dependents[d], n)
		}
	}
	s.bySlack = make(map[string]string, len(s.People))
	for n, p := range s.People {
		if p.SlackUser != "" {
			s.bySlack[p.SlackUser] = n
		}
	}
}

// NewSnapshot indexes a catalog (tests and in-memory stores; storage builds
// its snapshots from the database). The snapshot points into c.
func NewSnapshot(c *Catalog) *Snapshot {
	s := &Snapshot{
		People: make(map[string]*Person, len(c.People)), Portfolios: make(map[string]*Portfolio, len(c.Portfolios)),
		Boards: make(map[string]*Board, len(c.Boards)), Tollgates: make(map[string]*Tollgate, len(c.Tollgates)),
		Services: make(map[string]*Service, len(c.Services)),
	}
	for i := range c.People {
		s.People[c.People[i].Name] = &c.People[i]
	}
	for i := range c.Portfolios {
		s.Portfolios[c.Portfolios[i].Name] = &c.Portfolios[i]
	}
	for i := range c.Boards {
		s.Boards[c.Boards[i].Name] = &c.Boards[i]
	}
	for i := range c.Tollgates {
		s.Tollgates[c.Tollgates[i].Name] = &c.Tollgates[i]
	}
	for i := range c.Services {
		s.Services[c.Services[i].Name] = &c.Services[i]
	}
	s.Reindex()
	return s
}
