package catalog

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/itspm/itspm/domain"
)

// Export writes the whole catalog as native multi-document YAML: kinds in
// dependency order (Person, Portfolio, Board, Tollgate, Service), names
// sorted, small mappings and lists in flow style as in SPEC section 5.
// Importing the output reproduces the catalog exactly.
func Export(w io.Writer, cat *domain.Catalog) error {
	byName := func(a, b string) int { return cmp.Compare(a, b) }
	people := slices.SortedFunc(slices.Values(cat.People), func(a, b domain.Person) int { return byName(a.Name, b.Name) })
	portfolios := slices.SortedFunc(slices.Values(cat.Portfolios), func(a, b domain.Portfolio) int { return byName(a.Name, b.Name) })
	boards := slices.SortedFunc(slices.Values(cat.Boards), func(a, b domain.Board) int { return byName(a.Name, b.Name) })
	tollgates := slices.SortedFunc(slices.Values(cat.Tollgates), func(a, b domain.Tollgate) int { return byName(a.Name, b.Name) })
	services := slices.SortedFunc(slices.Values(cat.Services), func(a, b domain.Service) int { return byName(a.Name, b.Name) })

	counts := []string{
		plural(len(people), "person", "people"),
		plural(len(portfolios), "portfolio", "portfolios"),
		plural(len(boards), "board", "boards"),
		plural(len(tollgates), "tollgate", "tollgates"),
		plural(len(services), "service", "services"),
	}
	header := fmt.Sprintf("# ITSPM catalog (%s): %s.\n# Written by `itspm export`; `itspm import` of this file reproduces the catalog.\n",
		APIVersion, strings.Join(counts, ", "))
	if _, err := io.WriteString(w, header); err != nil {
		return err
	}

	if cat.Len() == 0 {
		return nil // the encoder cannot close an empty stream
	}
	// One encoder per document: yaml.v3's emitter keeps every event of its
	// stream until it is closed, which for a catalog of 10,000 services is
	// hundreds of MB and, as the queue grows by copying, most of the time.
	// The documents are separated as a single encoder would (the first has
	// no marker, the others start with "---").
	first := true
	write := func(kind, name string, meta []*yaml.Node, spec reflect.Value, flowSpec bool) error {
		metaNode := mapping(append([]*yaml.Node{plain("name"), text(name)}, meta...)...)
		if len(meta) == 0 {
			metaNode.Style = yaml.FlowStyle
		}
		specNode := encode(spec, flowSpec)
		if specNode == nil {
			specNode = mapping()
		}
		if len(specNode.Content) == 0 {
			specNode.Style = yaml.FlowStyle
		}
		doc := mapping(
			plain("apiVersion"), plain(APIVersion),
			plain("kind"), plain(kind),
			plain("metadata"), metaNode,
			plain("spec"), specNode,
		)
		if !first {
			if _, err := io.WriteString(w, "---\n"); err != nil {
				return err
			}
		}
		first = false
		enc := yaml.NewEncoder(w)
		enc.SetIndent(2)
		if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{doc}}); err != nil {
			return fmt.Errorf("export %s %s: %w", kind, name, err)
		}
		if err := enc.Close(); err != nil {
			return fmt.Errorf("export %s %s: %w", kind, name, err)
		}
		return nil
	}
	for _, d := range people {
		if err := write(domain.KindPerson, d.Name, annotations(d.Annotations), reflect.ValueOf(d.PersonSpec), true); err != nil {
			return err
		}
	}
	for _, d := range portfolios {
		if err := write(domain.KindPortfolio, d.Name, annotations(d.Annotations), reflect.ValueOf(d.PortfolioSpec), true); err != nil {
			return err
		}
	}
	for _, d := range boards {
		if err := write(domain.KindBoard, d.Name, annotations(d.Annotations), reflect.ValueOf(d.BoardSpec), true); err != nil {
			return err
		}
	}
	for _, d := range tollgates {
		if err := write(domain.KindTollgate, d.Name, nil, reflect.ValueOf(d.TollgateSpec), false); err != nil {
			return err
		}
	}
	for _, d := range services {
		var meta []*yaml.Node
		if d.Title != "" {
			meta = append(meta, plain("title"), text(d.Title))
		}
		if n := encode(reflect.ValueOf(d.Aliases), true); n != nil {
			meta = append(meta, plain("aliases"), n)
		}
		if n := encode(reflect.ValueOf(d.Tags), true); n != nil {
			meta = append(meta, plain("tags"), n)
		}
		meta = append(meta, annotations(d.Annotations)...)
		if err := write(domain.KindService, d.Name, meta, reflect.ValueOf(d.ServiceSpec), false); err != nil {
			return err
		}
	}
	return nil
}

// annotations is the metadata entry of a document's annotations, if any.
func annotations(m map[string]string) []*yaml.Node {
	if n := encode(reflect.ValueOf(m), true); n != nil {
		return []*yaml.Node{plain("annotations"), n}
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func mapping(content ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Content: content}
}

// plain is an untagged plain scalar: keys, numbers and well-formed dates,
// written as they are (a date stays unquoted, as people write it).
func plain(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: s} }

// text is a string scalar; the encoder quotes it when it would otherwise
// read as something else ("123", "true", "2026-05-04", "") and writes
// multi-line text as a literal block.
func text(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	switch {
	case strings.Contains(s, "\n"):
		n.Style = yaml.LiteralStyle
	case yaml11Bools[strings.ToLower(s)]:
		n.Style = yaml.DoubleQuotedStyle // YAML 1.1 tools would read a boolean
	}
	return n
}

var yaml11Bools = map[string]bool{"y": true, "n": true, "yes": true, "no": true, "on": true, "off": true}

var (
	dateRE  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	monthRE = regexp.MustCompile(`^\d{4}-\d{2}$`)
)

// Flow style keeps short leaf mappings and lists on one line, e.g.
// `- {kpi: availability, target: 99.9, unit: percent}`.
const maxFlowWidth = 100

// encode renders a value as a node, or nil when it is empty.
func encode(v reflect.Value, flow bool) *yaml.Node {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		n := encode(v.Elem(), flow)
		if n == nil { // a present but empty value: keep it present
			n = mapping()
			n.Style = yaml.FlowStyle
		}
		return n
	case reflect.Struct:
		fs := fieldsOf(v.Type())
		n := mapping()
		for _, name := range fs.names {
			f := fs.byName[name]
			fv := v.FieldByIndex(f.index)
			c := encode(fv, true)
			if c == nil {
				if f.omitEmpty {
					continue
				}
				c = encodeZero(fv)
			}
			n.Content = append(n.Content, plain(name), c)
		}
		if len(n.Content) == 0 {
			return nil
		}
		if flow && fitsFlow(n) {
			n.Style = yaml.FlowStyle
		}
		return n
	case reflect.Slice:
		if v.Len() == 0 {
			return nil
		}
		n := &yaml.Node{Kind: yaml.SequenceNode}
		uniform := true // items that are mappings: all on one line each, or none
		for i := 0; i < v.Len(); i++ {
			c := encode(v.Index(i), true)
			if c == nil {
				c = encodeZero(v.Index(i))
			}
			if c.Kind == yaml.MappingNode && c.Style != yaml.FlowStyle {
				uniform = false
			}
			n.Content = append(n.Content, c)
		}
		if !uniform {
			for _, c := range n.Content {
				if c.Kind == yaml.MappingNode && len(c.Content) > 0 {
					c.Style = 0
				}
			}
		}
		if v.Type().Elem().Kind() != reflect.Struct && fitsFlow(n) { // lists of mappings: one item a line
			n.Style = yaml.FlowStyle
		}
		return n
	case reflect.Map: // annotations, keys sorted
		if v.Len() == 0 {
			return nil
		}
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, k.String())
		}
		slices.Sort(keys)
		n := mapping()
		for _, k := range keys {
			n.Content = append(n.Content, text(k), encodeOrZero(v.MapIndex(reflect.ValueOf(k))))
		}
		if flow && fitsFlow(n) {
			n.Style = yaml.FlowStyle
		}
		return n
	case reflect.String:
		s := v.String()
		if s == "" {
			return nil
		}
		if t := v.Type(); (t == reflect.TypeFor[domain.Date]() && dateRE.MatchString(s)) ||
			(t == reflect.TypeFor[domain.Month]() && monthRE.MatchString(s)) {
			return plain(s)
		}
		return text(s)
	case reflect.Int, reflect.Int64, reflect.Int32:
		if v.Int() == 0 {
			return nil
		}
		return plain(strconv.FormatInt(v.Int(), 10))
	case reflect.Float64:
		if v.Float() == 0 {
			return nil
		}
		return plain(formatFloat(v.Float()))
	}
	panic(fmt.Sprintf("catalog: cannot export %s", v.Type()))
}

func encodeOrZero(v reflect.Value) *yaml.Node {
	if n := encode(v, true); n != nil {
		return n
	}
	return encodeZero(v)
}

// encodeZero renders the zero value of a field that is always written.
func encodeZero(v reflect.Value) *yaml.Node {
	switch v.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Float64:
		return plain("0")
	case reflect.String:
		return text("")
	case reflect.Slice:
		return &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	}
	n := mapping()
	n.Style = yaml.FlowStyle
	return n
}

// formatFloat writes amounts as people do (120000, 4.5), and anything
// else in the shortest form that reads back to the same float64.
func formatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return ".nan"
	case math.IsInf(f, 1):
		return ".inf"
	case math.IsInf(f, -1):
		return "-.inf"
	case math.Abs(f) < 1e15 && (math.Abs(f) >= 1e-4 || f == 0):
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// fitsFlow reports whether a collection of scalars (and flow collections)
// fits on one short line.
func fitsFlow(n *yaml.Node) bool {
	w, ok := flowWidth(n)
	return ok && w <= maxFlowWidth
}

// flowWidth estimates the width of n written in flow style; ok is false when
// n cannot be (it holds multi-line text or a block collection).
func flowWidth(n *yaml.Node) (width int, ok bool) {
	if n.Kind == yaml.ScalarNode {
		if strings.Contains(n.Value, "\n") {
			return 0, false
		}
		width = len(n.Value)
		if n.Value == "" || strings.ContainsAny(n.Value, ",:[]{}#&*!|>'\"%@`") {
			width += 2 // quoted
		}
		return width, true
	}
	width = 2
	for _, c := range n.Content {
		if c.Kind != yaml.ScalarNode && c.Style != yaml.FlowStyle && len(c.Content) > 0 {
			return 0, false
		}
		w, ok := flowWidth(c)
		if !ok {
			return 0, false
		}
		width += w + 2 // ": " after a key, ", " between entries
	}
	return width, true
}
