package catalog

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/itspm/itspm/domain"
)

// Backstage descriptors (https://backstage.io/docs/features/software-catalog/descriptor-format)
// map onto catalog documents: Component and System → Service, User →
// Person, Group → Board. Backstage's own fields are read leniently (its
// schema is open and other plugins add to it), but `itspm/<field>`
// annotations, which carry the ITSPM fields Backstage has no place for, are
// strict: each must name a field of the target spec and decode into it.

// backstageTargets maps the Backstage kinds that are imported to catalog kinds.
var backstageTargets = map[string]string{
	"Component": domain.KindService,
	"System":    domain.KindService,
	"User":      domain.KindPerson,
	"Group":     domain.KindBoard,
}

// lifecycles maps Backstage's well-known lifecycle values to stages.
var lifecycles = map[string]domain.Stage{
	"experimental": domain.StageDesign,
	"production":   domain.StageOperate,
	"deprecated":   domain.StageRetirement,
}

const annotationPrefix = "itspm/"

func isBackstage(apiVersion string) bool {
	return strings.HasPrefix(apiVersion, "backstage.io/") || strings.Contains(apiVersion, ".backstage.io/")
}

// importedVersion reports whether documents of this apiVersion are
// converted (others, such as scaffolder templates, are skipped).
func importedVersion(apiVersion string) bool {
	return apiVersion == "backstage.io/v1alpha1" || apiVersion == "backstage.io/v1beta1"
}

// refName splits an entity reference such as "component:default/identity"
// or "user:lee" into its lower-cased kind ("" when absent) and name.
func refName(ref string) (kind, name string) {
	ref = strings.TrimSpace(ref)
	if k, rest, ok := strings.Cut(ref, ":"); ok {
		kind, ref = strings.ToLower(k), rest
	}
	if i := strings.LastIndex(ref, "/"); i >= 0 {
		ref = ref[i+1:]
	}
	return kind, ref
}

// backstageDoc is what the converters of the three targets share.
type backstageDoc struct {
	d        *decoder
	root     *yaml.Node
	meta     *yaml.Node
	spec     *yaml.Node
	ann      *yaml.Node // metadata.annotations, or nil
	name     string
	nameLine int
	locs     map[string]loc
}

// str decodes the text at n (if any) into *s.
func (b *backstageDoc) str(n *yaml.Node, path string, s *string) {
	if n != nil {
		b.d.decode(n, reflect.ValueOf(s).Elem(), path)
	}
}

// from records that the domain path was read from node n, named label.
func (b *backstageDoc) from(path, label string, n *yaml.Node) {
	if n != nil {
		b.locs[path] = loc{path: path, label: label, node: resolve(n)}
	}
}

func (p *parser) backstage(d *decoder, root *yaml.Node, top map[string]pair, apiVersion string) {
	kind := scalar(top["kind"].value)
	if kind == "" {
		p.errorf(root.Line, "kind is required")
		return
	}
	target := backstageTargets[kind]
	if target == "" || !importedVersion(apiVersion) {
		p.set.Skipped[kind]++
		return
	}
	d.checkText(root, "")
	b := &backstageDoc{d: d, root: root, nameLine: root.Line, locs: map[string]loc{}}
	b.meta = resolve(top["metadata"].value)
	if b.meta == nil || b.meta.Kind != yaml.MappingNode {
		p.errorf(root.Line, "metadata.name is required")
		return
	}
	if n := valueOf(b.meta, "name"); n != nil {
		b.nameLine = resolve(n).Line
		b.str(n, "metadata.name", &b.name)
		b.from("metadata.name", "metadata.name", n)
	}
	if strings.TrimSpace(b.name) == "" {
		p.errorf(b.nameLine, "metadata.name is required")
		return
	}
	if ann := resolve(valueOf(b.meta, "annotations")); ann != nil && !isNull(ann) {
		if ann.Kind != yaml.MappingNode {
			p.errorf(ann.Line, "metadata.annotations: expected a mapping, got %s", describe(ann))
		} else {
			b.ann = ann
		}
	}
	b.spec = resolve(top["spec"].value)
	if b.spec == nil || isNull(b.spec) {
		p.errorf(root.Line, "spec is required")
		return
	}
	if b.spec.Kind != yaml.MappingNode {
		p.errorf(b.spec.Line, "spec: expected a mapping (field: value), got %s", describe(b.spec))
		return
	}

	switch target {
	case domain.KindService:
		svc := p.backstageService(b, kind)
		p.add(target, b.name, b.nameLine, b.info(p.file), func(c *domain.Catalog) { c.Services = append(c.Services, svc) })
	case domain.KindPerson:
		person := p.backstageUser(b)
		p.add(target, b.name, b.nameLine, b.info(p.file), func(c *domain.Catalog) { c.People = append(c.People, person) })
	case domain.KindBoard:
		board := p.backstageGroup(b)
		p.add(target, b.name, b.nameLine, b.info(p.file), func(c *domain.Catalog) { c.Boards = append(c.Boards, board) })
	}
}

func (b *backstageDoc) info(file string) *docInfo {
	info := &docInfo{file: file, line: b.root.Line, locs: []loc{{node: b.root}}, failed: map[string]bool{}}
	for _, l := range b.locs {
		info.locs = append(info.locs, l)
		if b.d.failed[l.label] {
			info.failed[l.path] = true
		}
	}
	return info
}

func (p *parser) backstageService(b *backstageDoc, kind string) domain.Service {
	svc := domain.Service{Name: b.name}
	if n := valueOf(b.meta, "title"); n != nil {
		b.str(n, "metadata.title", &svc.Title)
		b.from("metadata.title", "metadata.title", n)
	}
	if n := valueOf(b.meta, "tags"); n != nil {
		b.d.decode(n, reflect.ValueOf(&svc.Tags).Elem(), "metadata.tags")
		b.from("metadata.tags", "metadata.tags", n)
	}
	if n := valueOf(b.meta, "description"); n != nil {
		b.str(n, "metadata.description", &svc.Description)
		b.from("spec.description", "metadata.description", n)
	}
	if n := valueOf(b.spec, "owner"); n != nil {
		var owner string
		b.str(n, "spec.owner", &owner)
		_, svc.Owner = refName(owner)
		b.from("spec.owner", "spec.owner", n)
	}
	if n := valueOf(b.spec, "dependsOn"); n != nil {
		var refs []string
		b.d.decode(n, reflect.ValueOf(&refs).Elem(), "spec.dependsOn")
		seen := map[string]bool{}
		for j, ref := range refs {
			k, name := refName(ref)
			if k != "" && k != "component" && k != "system" || seen[name] {
				continue // resources and APIs are not services
			}
			seen[name] = true
			b.from(fmt.Sprintf("spec.dependsOn[%d]", len(svc.DependsOn)), fmt.Sprintf("spec.dependsOn[%d]", j), resolve(n).Content[j])
			svc.DependsOn = append(svc.DependsOn, name)
		}
	}

	allowed := append([]string{"aliases"}, fieldsOf(reflect.TypeFor[domain.ServiceSpec]()).names...)
	anns := p.itspmAnnotations(b, allowed, domain.KindService)
	if _, ok := anns["stage"]; !ok {
		if n := valueOf(b.spec, "lifecycle"); n != nil {
			var lc string
			b.str(n, "spec.lifecycle", &lc)
			if st, ok := lifecycles[strings.ToLower(lc)]; ok {
				svc.Stage = st
			} else if lc != "" {
				b.d.failed["spec.lifecycle"] = true
				b.d.errorf(resolve(n), "spec.lifecycle: %q has no ITSPM stage (want experimental, production or deprecated, or set the itspm/stage annotation)", lc)
			}
			b.from("spec.stage", "spec.lifecycle", n)
		} else if kind == "System" {
			b.from("spec.stage", "itspm/stage", b.annotationsNode())
		} else {
			b.from("spec.stage", "spec.lifecycle", b.spec)
		}
	}
	if a, ok := anns["aliases"]; ok {
		b.decodeAnnotation(a, "metadata.aliases", reflect.ValueOf(&svc.Aliases).Elem())
	}
	p.applyAnnotations(b, anns, reflect.ValueOf(&svc.ServiceSpec).Elem())
	return svc
}

func (p *parser) backstageUser(b *backstageDoc) domain.Person {
	person := domain.Person{Name: b.name}
	profile := valueOf(b.spec, "profile")
	if n := valueOf(profile, "displayName"); n != nil {
		b.str(n, "spec.profile.displayName", &person.DisplayName)
		b.from("spec.displayName", "spec.profile.displayName", n)
	}
	if n := valueOf(profile, "email"); n != nil {
		b.str(n, "spec.profile.email", &person.Email)
		b.from("spec.email", "spec.profile.email", n)
	}
	if n := valueOf(b.ann, "slack.com/user-id"); n != nil {
		b.str(n, "slack.com/user-id", &person.SlackUser)
		b.from("spec.slackUser", "slack.com/user-id", n)
	}
	anns := p.itspmAnnotations(b, fieldsOf(reflect.TypeFor[domain.PersonSpec]()).names, domain.KindPerson)
	p.applyAnnotations(b, anns, reflect.ValueOf(&person.PersonSpec).Elem())
	return person
}

func (p *parser) backstageGroup(b *backstageDoc) domain.Board {
	board := domain.Board{Name: b.name}
	if n := valueOf(valueOf(b.spec, "profile"), "displayName"); n != nil {
		b.str(n, "spec.profile.displayName", &board.Title)
		b.from("spec.title", "spec.profile.displayName", n)
	} else if n := valueOf(b.meta, "title"); n != nil {
		b.str(n, "metadata.title", &board.Title)
		b.from("spec.title", "metadata.title", n)
	}
	if n := valueOf(b.spec, "members"); n != nil {
		var refs []string
		b.d.decode(n, reflect.ValueOf(&refs).Elem(), "spec.members")
		for _, ref := range refs {
			_, name := refName(ref)
			board.Members = append(board.Members, name)
		}
		b.from("spec.members", "spec.members", n)
	} else {
		b.from("spec.members", "spec.members", b.spec)
	}
	anns := p.itspmAnnotations(b, fieldsOf(reflect.TypeFor[domain.BoardSpec]()).names, domain.KindBoard)
	p.applyAnnotations(b, anns, reflect.ValueOf(&board.BoardSpec).Elem())
	return board
}

func (b *backstageDoc) annotationsNode() *yaml.Node {
	if b.ann != nil {
		return b.ann
	}
	return b.meta
}

// itspmAnnotations returns the itspm/<field> annotations by field, reporting
// those that name no field of the target kind.
func (p *parser) itspmAnnotations(b *backstageDoc, allowed []string, kind string) map[string]pair {
	out := map[string]pair{}
	if b.ann == nil {
		return out
	}
	for _, a := range b.d.pairs(b.ann, "metadata.annotations") {
		field, ok := strings.CutPrefix(a.key.Value, annotationPrefix)
		if !ok {
			continue // other tools' annotations
		}
		if !contains(allowed, field) {
			var hint string
			if best := closest(field, allowed); best != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", annotationPrefix+best)
			} else {
				hint = fmt.Sprintf("; itspm/ annotations name a field of the %s spec: %s", strings.ToLower(kind), strings.Join(allowed, ", "))
			}
			b.d.errorf(a.key, "unknown annotation %q%s", a.key.Value, hint)
			continue
		}
		out[field] = a
	}
	return out
}

// applyAnnotations decodes each annotation into its spec field (which it
// replaces: annotations win over what Backstage's own fields said), and
// records where every field came from; fields with no source point at the
// annotations, where they would be added.
func (p *parser) applyAnnotations(b *backstageDoc, anns map[string]pair, spec reflect.Value) {
	fs := fieldsOf(spec.Type())
	names := make([]string, 0, len(anns))
	for f := range anns {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		info, ok := fs.byName[f]
		if !ok {
			continue // metadata, e.g. aliases
		}
		v := spec.FieldByIndex(info.index)
		v.SetZero()
		b.decodeAnnotation(anns[f], "spec."+f, v)
	}
	for _, f := range fs.names {
		if _, ok := b.locs["spec."+f]; !ok {
			b.from("spec."+f, annotationPrefix+f, b.annotationsNode())
		}
	}
}

// decodeAnnotation decodes one itspm/ annotation into v. Annotation values
// are strings in Backstage, so a structured field's value is YAML (or JSON)
// inside the string, e.g. `itspm/sla: '[{kpi: availability, target: 99.9}]'`
// or a literal block; a list of names may also be written "a, b, c".
func (b *backstageDoc) decodeAnnotation(a pair, path string, v reflect.Value) {
	label := a.key.Value
	val := resolve(a.value)
	b.locs[path] = loc{path: path, label: label, node: val}
	if isNull(val) {
		return
	}
	textField := v.Kind() == reflect.String
	if textField || val.Kind != yaml.ScalarNode || val.ShortTag() != "!!str" {
		b.d.decode(val, v, label)
		return
	}
	base := val.Line
	shift := func(int) int { return base }
	if val.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		shift = func(l int) int { return base + l }
	}
	var inner yaml.Node
	if err := yaml.Unmarshal([]byte(val.Value), &inner); err != nil {
		line := base
		if m := yamlErrRE.FindStringSubmatch(err.Error()); m != nil {
			var l int
			fmt.Sscan(m[1], &l)
			line = shift(l)
			b.d.report(line, fmt.Sprintf("%s: invalid YAML in the annotation: %s", label, m[2]))
			return
		}
		b.d.report(line, fmt.Sprintf("%s: invalid YAML in the annotation: %s", label, strings.TrimPrefix(err.Error(), "yaml: ")))
		return
	}
	if len(inner.Content) == 0 {
		return
	}
	node := resolve(inner.Content[0])
	sub := newDecoder(b.d.report)
	sub.shift = shift
	sub.checkText(node, label)
	if v.Type() == reflect.TypeFor[[]string]() && node.Kind == yaml.ScalarNode && !isNull(node) {
		var list []string
		for _, s := range strings.Split(node.Value, ",") {
			if s = strings.TrimSpace(s); s != "" {
				list = append(list, s)
			}
		}
		v.Set(reflect.ValueOf(list))
	} else {
		sub.decode(node, v, label)
	}
	if len(sub.failed) > 0 {
		b.d.failed[label] = true
	}
	b.locs[path] = loc{path: path, label: label, node: node, shift: shift}
}
