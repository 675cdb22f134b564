package catalog

import (
	"bytes"
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
	var found []located
	var before map[domain.Problem]bool
	for _, pr := range append(merged.Validate(), queryProblems(s.Catalog.Services)...) {
		if info, ok := s.docs[docKey{pr.Kind, pr.Name}]; ok {
			if info.undecoded(pr.Path) {
				continue // already reported as a type error
			}
			// The line and label are filled in below, once every problem
			// is known, so that each file is read again at most once.
			found = append(found, located{err: len(errs), info: info, path: pr.Path, message: pr.Message})
			errs = append(errs, Error{File: info.file, Line: info.line})
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
	s.locate(errs, found)
	return errs.sorted()
}

// located is a problem in one of the set's documents, waiting for its line.
type located struct {
	err           int // index in the errors
	info          *docInfo
	path, message string
}

// locate fills in the line and message of each problem found in the set's
// documents. The set does not keep the documents' YAML, so the files are
// read again, each once and only as far as its last document with a
// problem, and those documents are decoded again to find their fields'
// lines: the same code on the same text finds the same nodes as Parse did.
// Each document's nodes are dropped as soon as its problems are located, so
// that even a file with a problem in every document needs no more memory
// than parsing it did.
func (s *Set) locate(errs Errors, found []located) {
	if len(found) == 0 {
		return
	}
	want := map[int]map[int][]located{} // by file and document
	for _, f := range found {
		// Until a document is found again (it always is, unless the files
		// changed since Parse), a problem names the document's line.
		errs[f.err].Message = f.path + ": " + f.message
		if want[f.info.src] == nil {
			want[f.info.src] = map[int][]located{}
		}
		want[f.info.src][f.info.seq] = append(want[f.info.src][f.info.seq], f)
	}
	for src, docs := range want {
		s.reread(src, docs, func(info *docInfo, problems []located) {
			for _, f := range problems {
				line, label := info.locate(f.path)
				errs[f.err].Line = line
				errs[f.err].Message = label + ": " + f.message
			}
		})
	}
}

// reread decodes the documents of file src that have problems again and
// calls found with each one's full info (with locs).
func (s *Set) reread(src int, docs map[int][]located, found func(*docInfo, []located)) {
	if src < 0 || src >= len(s.files) {
		return
	}
	f := s.files[src]
	last := 0
	for seq := range docs {
		last = max(last, seq)
	}
	p := &parser{set: newSet(), file: f.Path, src: src, locating: true}
	dec := yaml.NewDecoder(bytes.NewReader(f.Data))
	for p.seq = 0; p.seq <= last; p.seq++ {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			return // Parse stopped here too
		}
		problems, ok := docs[p.seq]
		if !ok {
			continue
		}
		p.found = nil
		p.document(&doc)
		if p.found != nil {
			found(p.found, problems)
		}
	}
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
