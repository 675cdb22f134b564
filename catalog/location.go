package catalog

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// location follows a Backstage Location entity's spec.target and
// spec.targets as Backstage does for a file location: each relative to the
// Location's own file, wildcards allowed, each file read once however many
// Locations (or command-line arguments) name it. A target that does not
// exist is an error; a URL, or a pattern that matches nothing, a warning.
// Locations read from a Backstage API are not followed: Backstage has
// already read their targets, and serves the entities they hold.
func (p *parser) location(b *backstageDoc) {
	if p.locating || strings.Contains(p.file, "://") {
		return
	}
	var targets []*yaml.Node
	if n := resolve(valueOf(b.spec, "target")); !isNull(n) {
		targets = append(targets, n)
	}
	if n := resolve(valueOf(b.spec, "targets")); !isNull(n) {
		if n.Kind == yaml.SequenceNode {
			targets = append(targets, n.Content...)
		} else {
			targets = append(targets, n)
		}
	}
	typ := scalar(valueOf(b.spec, "type"))
	dir := filepath.Dir(p.file)
	for _, t := range targets {
		t = resolve(t)
		if t.Kind != yaml.ScalarNode || strings.TrimSpace(t.Value) == "" {
			p.errorf(t.Line, "%s: a Location target must be a path, got %s", b.e.ref, describe(t))
			continue
		}
		target := strings.TrimSpace(t.Value)
		if typ == "url" || strings.Contains(target, "://") {
			p.warnf(t.Line, "%s: target %s is a URL and is not followed (give the files on the command line, or use --backstage-url)", b.e.ref, target)
			continue
		}
		path := target
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		if !strings.ContainsAny(target, "*?[") {
			p.queue(t.Line, b.e.ref, target, path)
			continue
		}
		glob := p.opts.Glob
		if glob == nil {
			glob = filepath.Glob
		}
		matches, err := glob(path)
		if err != nil {
			p.errorf(t.Line, "%s: target %q: %v", b.e.ref, target, err)
			continue
		}
		if len(matches) == 0 {
			p.warnf(t.Line, "%s: target %q matches no file", b.e.ref, target)
		}
		for _, m := range matches {
			p.queue(t.Line, b.e.ref, target, m)
		}
	}
}

// queue adds a Location target to the files to read, unless it is read
// already.
func (p *parser) queue(line int, from EntityRef, target, path string) {
	key := cleanPath(path)
	if p.seen[key] {
		return
	}
	p.seen[key] = true
	read := p.opts.ReadFile
	if read == nil {
		read = os.ReadFile
	}
	data, err := read(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			p.errorf(line, "%s: target %q: %s does not exist", from, target, path)
		} else {
			p.errorf(line, "%s: target %q: %v", from, target, err)
		}
		return
	}
	p.set.files = append(p.set.files, File{Path: filepath.Clean(path), Data: data})
}

// cleanPath is the key a file is read once under.
func cleanPath(path string) string {
	if strings.Contains(path, "://") || strings.HasPrefix(path, "<") {
		return path
	}
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return filepath.Clean(path)
}
