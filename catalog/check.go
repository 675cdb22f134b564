package catalog

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/itspm/itspm/domain"
)

// Check validates the catalog an import would produce: existing with the
// set's documents replacing those of the same kind and name (imports upsert
// by name and never delete). Problems in the set's documents are reported at
// the line of the field they name. Problems in stored documents are reported
// only when the set causes them (e.g. a board loses members that a stored
// tollgate's quorum needs); stored documents have no file, so those name the
// document instead.
func (s *Set) Check(existing *domain.Catalog) Errors {
	if existing == nil {
		existing = &domain.Catalog{}
	}
	merged := s.merge(existing)
	var errs Errors
	var before map[domain.Problem]bool
	for _, pr := range merged.Validate() {
		if info, ok := s.docs[docKey{pr.Kind, pr.Name}]; ok {
			if info.undecoded(pr.Path) {
				continue // already reported as a type error
			}
			line, label := info.locate(pr.Path)
			errs = append(errs, Error{File: info.file, Line: line, Message: label + ": " + pr.Message})
			continue
		}
		if before == nil {
			before = map[domain.Problem]bool{}
			for _, old := range existing.Validate() {
				before[old] = true
			}
		}
		if !before[pr] {
			errs = append(errs, Error{Message: fmt.Sprintf("%s %q (already in the catalog, not in these files): %s: %s",
				strings.ToLower(pr.Kind), pr.Name, pr.Path, pr.Message)})
		}
	}
	return errs.sorted()
}

// merge returns existing with the set's documents in place of stored ones of
// the same name. The set's documents come last, so that when a new document
// clashes with a stored one (an alias, a tollgate's stages) validation
// reports the clash on the new document, which has a line to point at.
func (s *Set) merge(existing *domain.Catalog) *domain.Catalog {
	in := func(kind, name string) bool { _, ok := s.docs[docKey{kind, name}]; return ok }
	out := &domain.Catalog{}
	for _, d := range existing.People {
		if !in(domain.KindPerson, d.Name) {
			out.People = append(out.People, d)
		}
	}
	for _, d := range existing.Portfolios {
		if !in(domain.KindPortfolio, d.Name) {
			out.Portfolios = append(out.Portfolios, d)
		}
	}
	for _, d := range existing.Boards {
		if !in(domain.KindBoard, d.Name) {
			out.Boards = append(out.Boards, d)
		}
	}
	for _, d := range existing.Tollgates {
		if !in(domain.KindTollgate, d.Name) {
			out.Tollgates = append(out.Tollgates, d)
		}
	}
	for _, d := range existing.Services {
		if !in(domain.KindService, d.Name) {
			out.Services = append(out.Services, d)
		}
	}
	out.People = append(out.People, s.Catalog.People...)
	out.Portfolios = append(out.Portfolios, s.Catalog.Portfolios...)
	out.Boards = append(out.Boards, s.Catalog.Boards...)
	out.Tollgates = append(out.Tollgates, s.Catalog.Tollgates...)
	out.Services = append(out.Services, s.Catalog.Services...)
	return out
}

// locate finds the line of a domain path such as "spec.sla[1].target" in the
// document, and how to name that path in the message. When the field is not
// written (a required field left out), it is the line of its nearest parent
// that is, and at worst the document's.
func (info *docInfo) locate(path string) (line int, label string) {
	best := -1
	for i, l := range info.locs {
		if l.path == "" || path == l.path || strings.HasPrefix(path, l.path+".") || strings.HasPrefix(path, l.path+"[") {
			if best < 0 || len(l.path) > len(info.locs[best].path) {
				best = i
			}
		}
	}
	if best < 0 {
		return info.line, path
	}
	l := info.locs[best]
	rest := path[len(l.path):]
	label = l.label + rest
	if l.label == "" {
		label = strings.TrimPrefix(rest, ".")
	}
	if l.node == nil {
		return info.line, label
	}
	if l.path == "" {
		rest = "." + path
	}
	line = walk(l.node, rest)
	if l.shift != nil {
		line = l.shift(line)
	}
	if line <= 0 {
		line = info.line
	}
	return line, label
}

// undecoded reports whether path, or a value it is part of, could not be
// decoded.
func (info *docInfo) undecoded(path string) bool {
	for path != "" {
		if info.failed[path] {
			return true
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return false
		}
		path = path[:i]
	}
	return false
}

// walk follows a path (".key", "[i]" segments) from n as far as the YAML
// goes and returns the line of the last step reached: a key's line for a
// field (so "sla:" rather than its first item), an item's line in a list.
func walk(n *yaml.Node, path string) int {
	n = resolve(n)
	line := n.Line
	for path != "" {
		switch path[0] {
		case '.':
			path = path[1:]
			end := strings.IndexAny(path, ".[")
			if end < 0 {
				end = len(path)
			}
			key := path[:end]
			path = path[end:]
			k, v := entry(n, key)
			if v == nil {
				return line
			}
			line, n = k.Line, resolve(v)
		case '[':
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return line
			}
			i, err := strconv.Atoi(path[1:end])
			path = path[end+1:]
			if err != nil || n.Kind != yaml.SequenceNode || i < 0 || i >= len(n.Content) {
				return line
			}
			n = resolve(n.Content[i])
			line = n.Line
		default:
			return line
		}
	}
	return line
}
