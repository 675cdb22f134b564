package catalog

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/itspm/itspm/domain"
)

// The decoder turns YAML nodes into domain values by reflection over the
// `yaml` struct tags, strictly: unknown fields, duplicate keys and values of
// the wrong type are reported with their line, and decoding goes on so that
// one run reports everything. yaml.v3's own Node.Decode cannot reject
// unknown fields, and it turns unquoted dates into time.Time; here every
// scalar decoded into a string keeps exactly the text that was written, so
// `due: 2026-05-04` stays "2026-05-04".

// maxNodes bounds the work per document, so a few nested aliases (the
// "billion laughs" pattern) cannot make the walk explode.
const maxNodes = 200_000

type decoder struct {
	report func(line int, msg string)
	shift  func(line int) int // maps node lines to file lines; nil: identity
	budget int
	// failed holds the paths of values that could not be decoded, so that
	// validation does not report them a second time ("is required").
	failed map[string]bool
	// merging holds the mappings being expanded, to catch a merge key whose
	// alias points back at its own mapping.
	merging map[*yaml.Node]bool
}

func newDecoder(report func(line int, msg string)) *decoder {
	return &decoder{report: report, budget: maxNodes, failed: map[string]bool{}, merging: map[*yaml.Node]bool{}}
}

// typeError reports a value of the wrong type at path.
func (d *decoder) typeError(n *yaml.Node, path, format string, args ...any) {
	d.failed[path] = true
	d.errorf(n, "%s: "+format, append([]any{path}, args...)...)
}

func (d *decoder) line(n *yaml.Node) int {
	if d.shift != nil {
		return d.shift(n.Line)
	}
	return n.Line
}

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	d.report(d.line(n), fmt.Sprintf(format, args...))
}

// resolve follows aliases to the node they stand for.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names what a node is, for "expected X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return strconv.Quote(n.Value)
	}
	return "nothing"
}

// join appends a key to a dotted path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// where names a path for messages about its fields.
func where(path string) string {
	if path == "" {
		return "the document"
	}
	return path
}

// decode fills v from n; path names v in messages (e.g. "spec.cost.tco").
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	n = resolve(n)
	if d.budget <= 0 {
		return
	}
	if d.budget--; d.budget == 0 {
		d.errorf(n, "%s: too many nodes (or aliases) in one document", where(path))
		return
	}
	if isNull(n) {
		return // an empty value leaves the zero value
	}
	if v.Kind() == reflect.Pointer {
		if !v.IsNil() {
			d.decode(n, v.Elem(), path)
			return
		}
		// Only a value of the right shape is kept: `cost: [1]` is reported
		// and leaves cost unset rather than empty.
		nv := reflect.New(v.Type().Elem())
		d.decode(n, nv.Elem(), path)
		if shapeOK(n, nv.Elem().Kind()) {
			v.Set(nv)
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			d.typeError(n, path, "expected a mapping (field: value), got %s", describe(n))
			return
		}
		fields := fieldsOf(v.Type())
		for _, p := range d.pairs(n, path) {
			f, ok := fields.byName[p.key.Value]
			if !ok {
				d.errorf(p.key, "unknown field %q in %s%s", p.key.Value, where(path), suggestion(p.key.Value, fields.names))
				continue
			}
			d.decode(p.value, v.FieldByIndex(f.index), join(path, p.key.Value))
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.typeError(n, path, "expected a list, got %s", describe(n))
			return
		}
		if len(n.Content) == 0 {
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.decode(c, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.Map: // map[string]string: annotations
		if n.Kind != yaml.MappingNode {
			d.typeError(n, path, "expected a mapping (key: text), got %s", describe(n))
			return
		}
		m := reflect.MakeMap(v.Type())
		for _, p := range d.pairs(n, path) {
			val := reflect.New(v.Type().Elem()).Elem()
			d.decode(p.value, val, join(path, p.key.Value))
			m.SetMapIndex(reflect.ValueOf(p.key.Value).Convert(v.Type().Key()), val)
		}
		if m.Len() > 0 {
			v.Set(m)
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.typeError(n, path, "expected a text value, got %s", describe(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Int, reflect.Int64, reflect.Int32:
		var i int64
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || !decodeInt(n, &i) || v.OverflowInt(i) {
			d.typeError(n, path, "expected a whole number, got %s", describe(n))
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		var f float64
		tag := n.ShortTag()
		if n.Kind != yaml.ScalarNode || tag != "!!int" && tag != "!!float" || !decodeFloat(n, &f) {
			d.typeError(n, path, "expected a number, got %s", describe(n))
			return
		}
		v.SetFloat(f)
	default:
		// The domain types use none of the other kinds; this is a bug here.
		d.typeError(n, path, "cannot decode into %s", v.Type())
	}
}

// decodeInt and decodeFloat decode a scalar tagged !!int (or !!float).
// Plain decimals, which is what catalogs hold, are parsed directly: yaml.v3
// would read them the same way, but through a decoder made for each value,
// which is most of the garbage a large import makes outside the YAML
// parser. Anything else (hex, octal, underscores, exponents, .inf) is left
// to yaml.v3.
func decodeInt(n *yaml.Node, i *int64) bool {
	if plainDecimal(n.Value, false) {
		if x, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
			*i = x
			return true
		}
	}
	return n.Decode(i) == nil
}

func decodeFloat(n *yaml.Node, f *float64) bool {
	// yaml.v3 reads a whole number as an integer first, even when tagged
	// !!float (so "-0" is 0, not -0).
	if plainDecimal(n.Value, false) {
		if x, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
			*f = float64(x)
			return true
		}
	} else if n.ShortTag() == "!!float" && plainDecimal(n.Value, true) {
		if x, err := strconv.ParseFloat(n.Value, 64); err == nil {
			*f = x
			return true
		}
	}
	return n.Decode(f) == nil
}

// plainDecimal reports whether s is -?(0|[1-9][0-9]*), followed by
// (\.[0-9]+)? when fraction is allowed: numbers that strconv reads exactly
// as yaml.v3 does (a leading zero would be octal to yaml.v3).
func plainDecimal(s string, fraction bool) bool {
	s = strings.TrimPrefix(s, "-")
	digits := len(s) - len(strings.TrimLeft(s, "0123456789"))
	if digits == 0 || digits > 1 && s[0] == '0' {
		return false
	}
	rest := s[digits:]
	if rest == "" {
		return true
	}
	if !fraction || rest[0] != '.' {
		return false
	}
	frac := rest[1:]
	return frac != "" && strings.Trim(frac, "0123456789") == ""
}

// shapeOK reports whether a node has the shape a Go kind decodes from.
func shapeOK(n *yaml.Node, k reflect.Kind) bool {
	switch k {
	case reflect.Struct, reflect.Map:
		return n.Kind == yaml.MappingNode
	case reflect.Slice:
		return n.Kind == yaml.SequenceNode
	}
	return n.Kind == yaml.ScalarNode
}

type pair struct{ key, value *yaml.Node }

// pairs lists a mapping's entries, expanding merge keys (`<<: *base`, whose
// entries the mapping's own keys override) and reporting keys given twice.
func (d *decoder) pairs(n *yaml.Node, path string) []pair {
	if d.budget <= 0 {
		return nil
	}
	if d.budget--; d.budget == 0 {
		d.errorf(n, "%s: too many nodes (or aliases) in one document", where(path))
		return nil
	}
	if d.merging[n] {
		d.errorf(n, "%s: a merge (<<) refers to the mapping that contains it", where(path))
		return nil
	}
	d.merging[n] = true
	defer delete(d.merging, n)
	var merged, own []pair
	first := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := resolve(n.Content[i]), n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merged = append(merged, d.mergePairs(val, path)...)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, "%s: keys must be plain text, got %s", where(path), describe(k))
			continue
		}
		if prev, ok := first[k.Value]; ok {
			d.errorf(k, "%s: %q is set twice (first on line %d)", where(path), k.Value, d.line(prev))
			continue
		}
		first[k.Value] = k
		own = append(own, pair{k, val})
	}
	if len(merged) == 0 {
		return own
	}
	var out []pair
	for _, p := range merged {
		if _, ok := first[p.key.Value]; !ok {
			first[p.key.Value] = p.key
			out = append(out, p)
		}
	}
	return append(out, own...)
}

func (d *decoder) mergePairs(n *yaml.Node, path string) []pair {
	n = resolve(n)
	switch n.Kind {
	case yaml.MappingNode:
		return d.pairs(n, path)
	case yaml.SequenceNode:
		var out []pair
		seen := map[string]bool{}
		for _, c := range n.Content {
			for _, p := range d.mergePairs(c, path) {
				if !seen[p.key.Value] { // earlier mappings win
					seen[p.key.Value] = true
					out = append(out, p)
				}
			}
		}
		return out
	}
	d.errorf(n, "%s: a merge (<<) needs a mapping or a list of mappings, got %s", where(path), describe(n))
	return nil
}

// checkText applies domain.CheckText to every scalar (keys and values) of a
// document.
func (d *decoder) checkText(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			d.checkText(c, path)
		}
	case yaml.ScalarNode:
		if err := domain.CheckText(n.Value); err != nil {
			d.errorf(n, "%s: %v", where(path), err)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			d.checkText(k, path)
			d.checkText(v, join(path, k.Value))
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			d.checkText(c, fmt.Sprintf("%s[%d]", path, i))
		}
	}
}

// fields is the YAML view of a struct type: its field names in declaration
// order (inline structs flattened) and where each one lives.
type fields struct {
	names  []string
	byName map[string]field
}

type field struct {
	index     []int
	omitEmpty bool
}

var fieldCache sync.Map // reflect.Type → *fields

func fieldsOf(t reflect.Type) *fields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(*fields)
	}
	fs := &fields{byName: map[string]field{}}
	var walk func(t reflect.Type, index []int)
	walk = func(t reflect.Type, index []int) {
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
			if name == "-" {
				continue
			}
			idx := append(append([]int(nil), index...), i)
			if strings.Contains(","+opts+",", ",inline,") && sf.Type.Kind() == reflect.Struct {
				walk(sf.Type, idx)
				continue
			}
			if name == "" {
				name = strings.ToLower(sf.Name)
			}
			fs.names = append(fs.names, name)
			fs.byName[name] = field{index: idx, omitEmpty: strings.Contains(","+opts+",", ",omitempty,")}
		}
	}
	walk(t, nil)
	f, _ := fieldCache.LoadOrStore(t, fs)
	return f.(*fields)
}

// suggestion is ` (did you mean "x"?)` for the closest candidate, if any is
// close enough to be a likely typo.
func suggestion(got string, candidates []string) string {
	if best := closest(got, candidates); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}

// closest is the candidate nearest to got, or "" when none is close enough
// to be a likely typo.
func closest(got string, candidates []string) string {
	best, bestD := "", math.MaxInt
	for _, c := range candidates {
		d := domain.Distance(strings.ToLower(got), strings.ToLower(c))
		if d < bestD {
			best, bestD = c, d
		}
	}
	if bestD > 2 && bestD*3 > len(got) {
		return ""
	}
	return best
}
