package catalog

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/itspm/itspm/domain"
)

// Backstage descriptors (https://backstage.io/docs/features/software-catalog/descriptor-format)
// map onto catalog documents (docs/backstage.md has the whole table):
//
//	Component, System, Resource → Service
//	User → Person
//	Group → Board (a team: services it owns are owned by its members)
//	Domain → Portfolio (its owner, when a user, is the manager)
//	API → no document: a dependency on an API is one on the components
//	      that provide it
//	Location → its targets are read, once each
//
// Backstage's own fields are read leniently (its schema is open and other
// plugins add to it), but `itspm/<field>` annotations, which carry the ITSPM
// fields Backstage has no place for, are strict: each must name a field of
// the target spec and decode into it. What cannot be mapped (kinds ITSPM
// does not model, dangling references, unknown lifecycles) is a warning,
// not an error.

// backstageTargets maps the Backstage kinds that become documents to
// catalog kinds.
var backstageTargets = map[string]string{
	"Component": domain.KindService,
	"System":    domain.KindService,
	"Resource":  domain.KindService,
	"User":      domain.KindPerson,
	"Group":     domain.KindBoard,
	"Domain":    domain.KindPortfolio,
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

// backstageDoc is what the converters of the targets share.
type backstageDoc struct {
	d        *decoder
	root     *yaml.Node
	meta     *yaml.Node
	spec     *yaml.Node
	ann      *yaml.Node // metadata.annotations, or nil
	name     string
	nameLine int
	locs     map[string]loc
	e        *bsEntity
}

// bsEntity is one Backstage entity, converted as far as it can be alone;
// its references are resolved once every file is read.
type bsEntity struct {
	kind     string // Backstage kind, as written
	ref      EntityRef
	name     string // catalog name
	target   string // catalog kind; "" for an API
	file     string
	line     int // of metadata.name
	src, seq int
	info     *docInfo
	dropped  bool // a duplicate or a collision, already reported

	svc    *domain.Service
	person *domain.Person
	board  *domain.Board
	pf     *domain.Portfolio

	owner                             *refAt // spec.owner, unless itspm/owner (or itspm/manager) wins
	system                            *refAt // spec.system
	domain                            *refAt // spec.domain (a System's)
	portfolioSet                      bool   // itspm/portfolio given
	memberOf, members, deps, provides []refAt
}

// refAt is a reference and the line it was written on.
type refAt struct {
	ref      EntityRef
	line     int
	implicit bool // the kind was not written, but defaulted by the field
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

// refs reads the entity references of spec field key: one, or a list.
// A reference that cannot be read is a warning.
func (p *parser) refs(b *backstageDoc, key, defaultKind string) []refAt {
	n := resolve(valueOf(b.spec, key))
	if isNull(n) {
		return nil
	}
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	var out []refAt
	for _, it := range items {
		it = resolve(it)
		if it.Kind != yaml.ScalarNode || isNull(it) {
			p.warnf(it.Line, "%s: spec.%s: expected entity references, got %s; ignored", b.e.ref, key, describe(it))
			continue
		}
		r, err := ParseEntityRef(it.Value, defaultKind, b.e.ref.Namespace)
		if err != nil {
			p.warnf(it.Line, "%s: spec.%s: %v; ignored", b.e.ref, key, err)
			continue
		}
		out = append(out, refAt{ref: r, line: it.Line, implicit: !strings.Contains(it.Value, ":")})
	}
	return out
}

func (p *parser) backstage(d *decoder, root *yaml.Node, top map[string]pair, apiVersion string) {
	kind := scalar(top["kind"].value)
	if kind == "" {
		p.errorf(root.Line, "kind is required")
		return
	}
	metaNode := resolve(top["metadata"].value)
	rawName := scalar(valueOf(metaNode, "name"))
	target := backstageTargets[kind]
	if !importedVersion(apiVersion) || target == "" && kind != "API" && kind != "Location" {
		p.set.Skipped[kind]++
		p.warnf(root.Line, "%s %q (%s) is not imported: ITSPM has no kind for it", kind, rawName, apiVersion)
		return
	}
	d.checkText(root, "")
	b := &backstageDoc{d: d, root: root, nameLine: root.Line, locs: map[string]loc{}}
	b.meta = metaNode
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
	ns := defaultNamespace
	if n := valueOf(b.meta, "namespace"); n != nil {
		if v := scalar(n); v != "" {
			ns = strings.ToLower(v)
		}
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
	ref := EntityRef{Kind: strings.ToLower(kind), Namespace: ns, Name: b.name}
	e := &bsEntity{kind: kind, ref: ref, name: CatalogName(ref), target: target, file: p.file, line: b.nameLine, src: p.src, seq: p.seq}
	b.e = e
	refAnn := map[string]string{RefAnnotation: ref.String()}

	switch kind {
	case "Location":
		p.location(b)
		return
	case "API":
		p.set.Skipped[kind]++
	case "Component", "System", "Resource":
		e.svc = p.backstageService(b, kind)
		e.svc.Name, e.svc.Annotations = e.name, refAnn
	case "User":
		e.person = p.backstageUser(b)
		e.person.Name, e.person.Annotations = e.name, refAnn
	case "Group":
		e.board = p.backstageGroup(b)
		e.board.Name, e.board.Annotations = e.name, refAnn
	case "Domain":
		e.pf = p.backstageDomain(b)
		e.pf.Name, e.pf.Annotations = e.name, refAnn
	}
	e.info = b.info(p.file)
	if p.locating {
		if target != "" {
			p.add(target, e.name, e.line, e.info, func(*domain.Catalog) {})
		}
		return
	}
	p.bs = append(p.bs, e)
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

func (p *parser) backstageService(b *backstageDoc, kind string) *domain.Service {
	e := b.e
	svc := &domain.Service{}
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
		if rs := p.refs(b, "owner", "group"); len(rs) > 0 {
			e.owner = &rs[0]
		}
		b.from("spec.owner", "spec.owner", n)
	}
	if rs := p.refs(b, "system", "system"); len(rs) > 0 {
		e.system = &rs[0]
	}
	if kind == "System" {
		if rs := p.refs(b, "domain", "domain"); len(rs) > 0 {
			e.domain = &rs[0]
		}
	}
	e.deps = append(p.refs(b, "dependsOn", "component"), p.refs(b, "consumesApis", "api")...)
	e.provides = p.refs(b, "providesApis", "api")
	if n := valueOf(b.spec, "dependsOn"); n != nil {
		b.from("spec.dependsOn", "spec.dependsOn", n)
	}
	if n := valueOf(b.spec, "system"); n != nil {
		b.from("spec.portfolio", "spec.system", n)
	} else if n := valueOf(b.spec, "domain"); n != nil {
		b.from("spec.portfolio", "spec.domain", n)
	}

	allowed := append([]string{"aliases"}, fieldsOf(reflect.TypeFor[domain.ServiceSpec]()).names...)
	anns := p.itspmAnnotations(b, allowed, domain.KindService)
	if _, ok := anns["stage"]; !ok {
		svc.Stage = domain.StageOperate
		if n := valueOf(b.spec, "lifecycle"); n != nil {
			var lc string
			b.str(n, "spec.lifecycle", &lc)
			if st, ok := lifecycles[strings.ToLower(lc)]; ok {
				svc.Stage = st
			} else if lc != "" {
				p.warnf(resolve(n).Line, "%s: spec.lifecycle %q has no ITSPM stage (experimental, production or deprecated); imported as operate (set the itspm/stage annotation)", e.ref, lc)
			}
			b.from("spec.stage", "spec.lifecycle", n)
		} else {
			if kind == "Component" {
				p.warnf(b.spec.Line, "%s: no spec.lifecycle; imported as operate (set the itspm/stage annotation)", e.ref)
			}
			b.from("spec.stage", "itspm/stage", b.annotationsNode())
		}
	}
	if _, ok := anns["owner"]; ok {
		e.owner = nil
	}
	if _, ok := anns["dependsOn"]; ok {
		e.deps = nil
	}
	_, e.portfolioSet = anns["portfolio"]
	if a, ok := anns["aliases"]; ok {
		b.decodeAnnotation(a, "metadata.aliases", reflect.ValueOf(&svc.Aliases).Elem())
	}
	p.applyAnnotations(b, anns, reflect.ValueOf(&svc.ServiceSpec).Elem())
	return svc
}

func (p *parser) backstageUser(b *backstageDoc) *domain.Person {
	person := &domain.Person{}
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
	b.e.memberOf = p.refs(b, "memberOf", "group")
	anns := p.itspmAnnotations(b, fieldsOf(reflect.TypeFor[domain.PersonSpec]()).names, domain.KindPerson)
	p.applyAnnotations(b, anns, reflect.ValueOf(&person.PersonSpec).Elem())
	return person
}

func (p *parser) backstageGroup(b *backstageDoc) *domain.Board {
	board := &domain.Board{}
	if n := valueOf(valueOf(b.spec, "profile"), "displayName"); n != nil {
		b.str(n, "spec.profile.displayName", &board.Title)
		b.from("spec.title", "spec.profile.displayName", n)
	} else if n := valueOf(b.meta, "title"); n != nil {
		b.str(n, "metadata.title", &board.Title)
		b.from("spec.title", "metadata.title", n)
	}
	b.e.members = p.refs(b, "members", "user")
	if n := valueOf(b.spec, "members"); n != nil {
		b.from("spec.members", "spec.members", n)
	} else {
		b.from("spec.members", "spec.members", b.spec)
	}
	anns := p.itspmAnnotations(b, fieldsOf(reflect.TypeFor[domain.BoardSpec]()).names, domain.KindBoard)
	p.applyAnnotations(b, anns, reflect.ValueOf(&board.BoardSpec).Elem())
	if _, ok := anns["channel"]; !ok {
		board.Channel = p.slackChannel(b)
	}
	return board
}

func (p *parser) backstageDomain(b *backstageDoc) *domain.Portfolio {
	pf := &domain.Portfolio{}
	if n := valueOf(b.meta, "title"); n != nil {
		b.str(n, "metadata.title", &pf.Title)
		b.from("spec.title", "metadata.title", n)
	}
	if n := valueOf(b.spec, "owner"); n != nil {
		if rs := p.refs(b, "owner", "group"); len(rs) > 0 {
			b.e.owner = &rs[0]
		}
		b.from("spec.manager", "spec.owner", n)
	}
	anns := p.itspmAnnotations(b, fieldsOf(reflect.TypeFor[domain.PortfolioSpec]()).names, domain.KindPortfolio)
	if _, ok := anns["manager"]; ok {
		b.e.owner = nil
	}
	p.applyAnnotations(b, anns, reflect.ValueOf(&pf.PortfolioSpec).Elem())
	if _, ok := anns["channel"]; !ok {
		pf.Channel = p.slackChannel(b)
	}
	return pf
}

// slackChannel is the slack.com/channel annotation when it holds a channel
// ID; a channel name (which ITSPM cannot post to by name) is a warning.
func (p *parser) slackChannel(b *backstageDoc) string {
	n := resolve(valueOf(b.ann, "slack.com/channel"))
	v := strings.TrimSpace(scalar(n))
	if v == "" {
		return ""
	}
	if !channelIDRE.MatchString(v) {
		p.warnf(n.Line, "%s: slack.com/channel %q is not a channel ID (like C0123ABCD); set itspm/channel to the ID", b.e.ref, v)
		return ""
	}
	b.from("spec.channel", "slack.com/channel", n)
	return v
}

var channelIDRE = regexp.MustCompile(`^[CG][A-Z0-9]{2,}$`)

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
		if !ok || a.key.Value == RefAnnotation {
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
