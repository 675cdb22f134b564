package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/itspm/itspm/domain"
)

// APIVersion is the apiVersion of native catalog documents.
const APIVersion = "itspm/v1"

// Set is the documents read from a group of files, with where each came
// from so that validation problems can be reported at their line.
type Set struct {
	Catalog   domain.Catalog
	Documents map[string]int // documents read, by catalog kind
	Skipped   map[string]int // Backstage documents of kinds that are not imported, by kind
	// Warnings are what a Backstage import could not map (kinds ITSPM does
	// not model, dangling references, unknown lifecycles): the import goes
	// on without them, unless it is strict.
	Warnings Errors

	docs  map[docKey]*docInfo
	files []File // the files parsed, read again by Check to locate problems
}

type docKey struct{ kind, name string }

// docInfo is where one document came from. The set keeps only the compact
// part (file, line, position in the file, fields that failed to decode) for
// every document; locs, which point into the document's YAML node tree, are
// filled in only when Check reads a document again to locate a problem. A
// catalog of 10,000 services has millions of nodes: keeping every tree
// until Check would take hundreds of MB for the few documents that have
// problems, if any.
type docInfo struct {
	file   string
	line   int
	src    int             // index of the file in Set.files
	seq    int             // documents decoded before this one in its file
	failed map[string]bool // domain paths whose values could not be decoded; nil when none
	locs   []loc           // only while locating
}

// loc ties a domain path (as in domain.Problem.Path) to the node it was
// decoded from. Native documents need one, for the whole document; Backstage
// descriptors need one per field that came from somewhere else (e.g.
// spec.stage from spec.lifecycle, spec.cost from an annotation).
type loc struct {
	path  string     // domain path prefix; "" is the whole document
	label string     // how messages name that path
	node  *yaml.Node // where the value was written; nil: use the document
	shift func(int) int
}

// Parse decodes every document of every file, native and Backstage, and
// reports every problem it finds (malformed YAML, unknown fields, wrong
// types, duplicate names), not just the first. Documents with problems that
// still have a kind and a name are kept in the set, so that checking the set
// does not add noise about references to them.
func Parse(files []File) (*Set, Errors) { return ParseWith(files, Options{}) }

// Options are the choices of an import beyond its files.
type Options struct {
	// DefaultPortfolio is the portfolio of Backstage entities that name
	// none (by annotation, system or domain); "" is "unassigned". It is
	// created when neither the files nor Existing have it.
	DefaultPortfolio string
	// Existing is the catalog the import adds to: a Backstage reference
	// to an entity that is not in the files but whose catalog name is
	// there is not dangling.
	Existing *domain.Catalog
	// ReadFile reads the targets of Backstage Location entities; nil is
	// os.ReadFile.
	ReadFile func(path string) ([]byte, error)
	// Glob expands Location targets with wildcards; nil is filepath.Glob.
	Glob func(pattern string) ([]string, error)
}

// ParseWith is Parse with options. Backstage entities are converted once
// every file (and every Location target) is read, because their references
// cross files: a Group's members are on the Users, a Component's portfolio
// is its System's Domain.
func ParseWith(files []File, opts Options) (*Set, Errors) {
	p := &parser{set: newSet(), opts: opts, seen: map[string]bool{}}
	p.set.files = slices.Clone(files)
	for _, f := range files {
		p.seen[cleanPath(f.Path)] = true
	}
	// Location targets are appended to the files as they are found.
	for i := 0; i < len(p.set.files); i++ {
		p.src = i
		p.readFile(p.set.files[i])
	}
	p.resolveBackstage()
	p.set.Warnings = p.warns.sorted()
	return p.set, p.errs.sorted()
}

func newSet() *Set {
	return &Set{Documents: map[string]int{}, Skipped: map[string]int{}, docs: map[docKey]*docInfo{}}
}

type parser struct {
	set   *Set
	opts  Options
	errs  Errors
	warns Errors
	seen  map[string]bool // files read or queued, by cleaned path
	bs    []*bsEntity     // Backstage entities, converted after every file is read
	file  string
	src   int // index of the file being read
	seq   int // documents decoded before the current one in the file

	// locating is set when documents are read again to locate problems:
	// add then keeps the document's full info in found instead of adding
	// the document to the set.
	locating bool
	found    *docInfo
}

func (p *parser) errorf(line int, format string, args ...any) {
	p.errs = append(p.errs, Error{File: p.file, Line: line, Message: fmt.Sprintf(format, args...)})
}

// warnf records a warning at a line of the current file (none while
// documents are read again to locate problems).
func (p *parser) warnf(line int, format string, args ...any) {
	if !p.locating {
		p.warns = append(p.warns, Error{File: p.file, Line: line, Message: fmt.Sprintf(format, args...)})
	}
}

func (p *parser) newDecoder() *decoder {
	return newDecoder(func(line int, msg string) { p.errs = append(p.errs, Error{File: p.file, Line: line, Message: msg}) })
}

var yamlErrRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (p *parser) readFile(f File) {
	p.file = f.Path
	dec := yaml.NewDecoder(bytes.NewReader(f.Data))
	lastGood := 1 // the first line of the last document read
	for p.seq = 0; ; p.seq++ {
		// Each document's node tree is garbage once the document is decoded.
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			// The YAML parser cannot resume after a syntax error; the
			// documents before it are kept, the rest of the file is not read.
			line, msg := syntaxError(f.Data, lastGood, err)
			p.errorf(line, "invalid YAML: %s", msg)
			return
		}
		if doc.Line > 0 {
			lastGood = doc.Line
		}
		p.document(&doc)
	}
}

// maxRescanLines bounds the work of locating a syntax error by re-parsing
// (below); beyond it, the YAML parser's line is used.
const maxRescanLines = 2000

// syntaxError returns the line and message of a YAML syntax error. The
// parser's own line number is unreliable (it is the start of the enclosing
// construct, counted from 0, and missing on the first line), so the line is
// the first one, from line from on, at which the file cut after that line
// fails the same way.
func syntaxError(data []byte, from int, err error) (line int, msg string) {
	msg = strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlErrRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	// Documents parse independently, so the rescan starts at the last one
	// that was read.
	lines := bytes.SplitAfter(data, []byte("\n"))
	start, end := 0, 0
	for i, l := range lines {
		if i+1 < from {
			start += len(l)
			end = start
			continue
		}
		if i+1-from > maxRescanLines {
			break
		}
		end += len(l)
		if e := firstError(data[start:end]); e != nil && strings.HasSuffix(e.Error(), msg) {
			return i + 1, msg
		}
	}
	return line, msg
}

// firstError is the first syntax error in data, or nil.
func firstError(data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// kindNames lists the native kinds for messages.
var kindNames = strings.Join(domain.Kinds, ", ")

func (p *parser) document(doc *yaml.Node) {
	d := p.newDecoder()
	if len(doc.Content) == 0 {
		return
	}
	root := resolve(doc.Content[0])
	if isNull(root) {
		return // an empty document, e.g. after a trailing ---
	}
	if root.Kind != yaml.MappingNode {
		p.errorf(root.Line, "a document must be a mapping with apiVersion, kind, metadata and spec, got %s", describe(root))
		return
	}
	top := map[string]pair{}
	pairs := d.pairs(root, "")
	for _, pr := range pairs {
		top[pr.key.Value] = pr
	}
	av, ok := top["apiVersion"]
	if !ok {
		p.errorf(root.Line, "apiVersion is required (%s, or backstage.io/v1alpha1 for Backstage descriptors)", APIVersion)
		return
	}
	apiVersion := scalar(av.value)
	switch {
	case apiVersion == APIVersion:
		p.native(d, root, pairs, top)
	case isBackstage(apiVersion):
		p.backstage(d, root, top, apiVersion)
	default:
		p.errorf(resolve(av.value).Line, "apiVersion %s is not supported (want %s, or backstage.io/v1alpha1 for Backstage descriptors)", describe(resolve(av.value)), APIVersion)
	}
}

// scalar is a node's text, or "" when it is not a scalar.
func scalar(n *yaml.Node) string {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || isNull(n) {
		return ""
	}
	return n.Value
}

// The metadata of native documents: only services have more than a name.
type nameMeta struct {
	Name        string            `yaml:"name"`
	Annotations map[string]string `yaml:"annotations"`
}

type serviceMeta struct {
	Name    string   `yaml:"name"`
	Title   string   `yaml:"title"`
	Aliases []string `yaml:"aliases"`
	Tags    []string `yaml:"tags"`
	// Annotations keep what an import from elsewhere must remember, such
	// as the Backstage entity reference a document was imported from.
	Annotations map[string]string `yaml:"annotations"`
}

var nativeTop = []string{"apiVersion", "kind", "metadata", "spec"}

func (p *parser) native(d *decoder, root *yaml.Node, pairs []pair, top map[string]pair) {
	d.checkText(root, "")
	for _, pr := range pairs {
		if !contains(nativeTop, pr.key.Value) {
			p.errorf(pr.key.Line, "unknown field %q in the document%s", pr.key.Value, suggestion(pr.key.Value, nativeTop))
		}
	}
	kp, ok := top["kind"]
	if !ok {
		p.errorf(root.Line, "kind is required (%s)", kindNames)
		return
	}
	kind := scalar(kp.value)
	if !contains(domain.Kinds, kind) {
		p.errorf(resolve(kp.value).Line, "kind %s is not one of %s%s", describe(resolve(kp.value)), kindNames, suggestion(kind, domain.Kinds))
		return
	}

	var meta serviceMeta
	nameLine := root.Line
	mp, ok := top["metadata"]
	switch {
	case !ok || isNull(resolve(mp.value)):
		p.errorf(root.Line, "metadata.name is required")
		return
	case resolve(mp.value).Kind != yaml.MappingNode:
		p.errorf(resolve(mp.value).Line, "metadata: expected a mapping (name: ...), got %s", describe(resolve(mp.value)))
		return
	case kind == domain.KindService:
		d.decode(mp.value, reflect.ValueOf(&meta).Elem(), "metadata")
	default:
		var m nameMeta
		d.decode(mp.value, reflect.ValueOf(&m).Elem(), "metadata")
		meta.Name, meta.Annotations = m.Name, m.Annotations
	}
	if n := valueOf(mp.value, "name"); n != nil {
		nameLine = n.Line
	} else {
		nameLine = resolve(mp.value).Line
	}
	if strings.TrimSpace(meta.Name) == "" {
		p.errorf(nameLine, "metadata.name is required")
		return
	}

	sp, ok := top["spec"]
	if !ok {
		p.errorf(root.Line, "spec is required (a mapping, may be {})")
	}
	var spec *yaml.Node
	if ok {
		spec = sp.value
	}
	specOf := func(v any) {
		if spec != nil {
			if n := resolve(spec); !isNull(n) && n.Kind != yaml.MappingNode {
				p.errorf(n.Line, "spec: expected a mapping (field: value), got %s", describe(n))
				return
			}
			d.decode(spec, reflect.ValueOf(v).Elem(), "spec")
		}
	}
	info := &docInfo{file: p.file, line: root.Line, locs: []loc{{node: root}}, failed: d.failed}
	switch kind {
	case domain.KindPerson:
		x := domain.Person{Name: meta.Name, Annotations: meta.Annotations}
		specOf(&x.PersonSpec)
		p.add(kind, meta.Name, nameLine, info, func(c *domain.Catalog) { c.People = append(c.People, x) })
	case domain.KindPortfolio:
		x := domain.Portfolio{Name: meta.Name, Annotations: meta.Annotations}
		specOf(&x.PortfolioSpec)
		p.add(kind, meta.Name, nameLine, info, func(c *domain.Catalog) { c.Portfolios = append(c.Portfolios, x) })
	case domain.KindBoard:
		x := domain.Board{Name: meta.Name, Annotations: meta.Annotations}
		specOf(&x.BoardSpec)
		p.add(kind, meta.Name, nameLine, info, func(c *domain.Catalog) { c.Boards = append(c.Boards, x) })
	case domain.KindTollgate:
		x := domain.Tollgate{Name: meta.Name}
		specOf(&x.TollgateSpec)
		p.add(kind, meta.Name, nameLine, info, func(c *domain.Catalog) { c.Tollgates = append(c.Tollgates, x) })
	case domain.KindService:
		x := domain.Service{Name: meta.Name, Title: meta.Title, Aliases: meta.Aliases, Tags: meta.Tags, Annotations: meta.Annotations}
		specOf(&x.ServiceSpec)
		p.add(kind, meta.Name, nameLine, info, func(c *domain.Catalog) { c.Services = append(c.Services, x) })
	}
}

// add puts a document into the set unless one of the same kind and name is
// already there (reported here, so domain validation never sees the pair).
func (p *parser) add(kind, name string, nameLine int, info *docInfo, put func(*domain.Catalog)) {
	if p.locating {
		p.found = info
		return
	}
	key := docKey{kind, name}
	if prev, ok := p.set.docs[key]; ok {
		p.errorf(nameLine, "duplicate %s name %q (first defined at %s:%d)", strings.ToLower(kind), name, prev.file, prev.line)
		return
	}
	info.src, info.seq, info.locs = p.src, p.seq, nil
	if len(info.failed) == 0 {
		info.failed = nil
	}
	p.set.docs[key] = info
	p.set.Documents[kind]++
	put(&p.set.Catalog)
}

// valueOf is the value of key in mapping n, or nil.
func valueOf(n *yaml.Node, key string) *yaml.Node {
	_, v := entry(n, key)
	return v
}

// entry is the key and value nodes of key in mapping n (the first, if the
// key is given twice), or nils.
func entry(n *yaml.Node, key string) (k, v *yaml.Node) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := resolve(n.Content[i]); k.Kind == yaml.ScalarNode && k.Value == key {
			return k, n.Content[i+1]
		}
	}
	return nil, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
