package catalog

import (
	"slices"
	"strings"

	"github.com/itspm/itspm/domain"
)

// resolver turns the Backstage entities' references into catalog names
// once every file is read: owners (users or groups), portfolios (from the
// System's Domain), team members (from the Users' memberOf and the Groups'
// members) and dependencies (on components, systems, resources, and on
// APIs through the components that provide them).
type resolver struct {
	p        *parser
	byRef    map[string]*bsEntity   // canonical reference → entity
	byName   map[docKey]*bsEntity   // catalog kind and name → entity
	provided map[string][]*bsEntity // API reference → components providing it
	existing map[docKey]bool        // documents already in the catalog
	extra    []*bsEntity            // placeholders and the default portfolio, added last
}

func (p *parser) resolveBackstage() {
	if len(p.bs) == 0 {
		return
	}
	r := &resolver{p: p, byRef: map[string]*bsEntity{}, byName: map[docKey]*bsEntity{}, provided: map[string][]*bsEntity{}, existing: map[docKey]bool{}}
	if c := p.opts.Existing; c != nil {
		for _, d := range c.People {
			r.existing[docKey{domain.KindPerson, d.Name}] = true
		}
		for _, d := range c.Portfolios {
			r.existing[docKey{domain.KindPortfolio, d.Name}] = true
		}
		for _, d := range c.Boards {
			r.existing[docKey{domain.KindBoard, d.Name}] = true
		}
		for _, d := range c.Services {
			r.existing[docKey{domain.KindService, d.Name}] = true
		}
	}
	r.index()
	for _, e := range p.bs {
		if e.dropped {
			continue
		}
		for _, a := range e.provides {
			r.provided[a.ref.String()] = append(r.provided[a.ref.String()], e)
		}
	}
	for _, e := range p.bs {
		if !e.dropped {
			r.owner(e)
		}
	}
	r.memberships()
	for _, e := range p.bs {
		if !e.dropped && e.svc != nil {
			r.portfolio(e)
			r.dependencies(e)
		}
	}
	for _, e := range append(p.bs, r.extra...) {
		if e.dropped || e.target == "" {
			continue
		}
		p.file, p.src, p.seq = e.file, e.src, e.seq
		switch {
		case e.svc != nil:
			v := *e.svc
			p.add(e.target, e.name, e.line, e.info, func(c *domain.Catalog) { c.Services = append(c.Services, v) })
		case e.person != nil:
			v := *e.person
			p.add(e.target, e.name, e.line, e.info, func(c *domain.Catalog) { c.People = append(c.People, v) })
		case e.board != nil:
			v := *e.board
			p.add(e.target, e.name, e.line, e.info, func(c *domain.Catalog) { c.Boards = append(c.Boards, v) })
		case e.pf != nil:
			v := *e.pf
			p.add(e.target, e.name, e.line, e.info, func(c *domain.Catalog) { c.Portfolios = append(c.Portfolios, v) })
		}
	}
	p.bs = nil
}

// index registers every entity by reference and by catalog name,
// reporting the same entity twice and two entities the name rule maps to
// one name (both stop the import).
func (r *resolver) index() {
	p := r.p
	for _, e := range p.bs {
		p.file = e.file
		if prev, ok := r.byRef[e.ref.String()]; ok {
			p.errorf(e.line, "duplicate Backstage entity %s (first defined at %s:%d)", e.ref, prev.file, prev.line)
			e.dropped = true
			continue
		}
		r.byRef[e.ref.String()] = e
		if e.target == "" {
			continue
		}
		key := docKey{e.target, e.name}
		if prev, ok := r.byName[key]; ok {
			p.errorf(e.line, "%s and %s (at %s:%d) both map to %s name %q; rename one of them, or set their names apart in a way the rule keeps (see docs/backstage.md)",
				e.ref, prev.ref, prev.file, prev.line, strings.ToLower(e.target), e.name)
			e.dropped = true
			continue
		}
		r.byName[key] = e
	}
}

// known reports whether a document of the kind and name will be in the
// catalog: from Backstage, native files, or the catalog already stored.
func (r *resolver) known(kind, name string) bool {
	if e, ok := r.byName[docKey{kind, name}]; ok && !e.dropped {
		return true
	}
	if _, ok := r.p.set.docs[docKey{kind, name}]; ok {
		return true
	}
	return r.existing[docKey{kind, name}]
}

// entity is the imported entity a reference names, of the wanted catalog
// kind.
func (r *resolver) entity(ref EntityRef, kind string) (*bsEntity, bool) {
	e, ok := r.byRef[ref.String()]
	if !ok || e.dropped || e.target != kind {
		return nil, false
	}
	return e, true
}

// warn reports, at line of e's file, something about e that could not be
// mapped.
func (r *resolver) warn(e *bsEntity, line int, format string, args ...any) {
	r.p.file = e.file
	r.p.warnf(line, "%s: "+format, append([]any{e.ref}, args...)...)
}

// name resolves a reference to a user or group: the imported entity's
// name, or the mapped name of one already in the catalog.
func (r *resolver) name(ref EntityRef) (kind, name string, ok bool) {
	switch ref.Kind {
	case "user":
		kind = domain.KindPerson
	case "group":
		kind = domain.KindBoard
	default:
		return "", "", false
	}
	if t, ok := r.entity(ref, kind); ok {
		return kind, t.name, true
	}
	name = CatalogName(ref)
	return kind, name, r.known(kind, name)
}

// owner sets a service's owner or a domain's manager from spec.owner. An
// owner that is in none of the files is imported as a placeholder (a
// person or a team with only its name and reference), so that the service
// keeps its owner and a later import of the real entity fills it in.
func (r *resolver) owner(e *bsEntity) {
	if e.owner == nil || e.svc == nil && e.pf == nil {
		return
	}
	o := *e.owner
	kind, name, ok := r.name(o.ref)
	if !ok && o.implicit {
		// `owner: lee` is group:lee to Backstage; when there is no such
		// group but there is such a user, the user is surely meant.
		u := o.ref
		u.Kind = "user"
		if k, n, found := r.name(u); found {
			o.ref, kind, name, ok = u, k, n, true
		}
	}
	if kind == "" {
		r.warn(e, o.line, "spec.owner %s is a %s; an owner is a user or a group", o.ref, o.ref.Kind)
		return
	}
	if e.pf != nil && kind == domain.KindBoard {
		r.warn(e, o.line, "spec.owner %s is a group, and a portfolio's manager is a person: the portfolio has no manager (set the itspm/manager annotation)", o.ref)
		return
	}
	if !ok {
		r.placeholder(e, o, kind, name)
	}
	if e.svc != nil {
		e.svc.Owner = name
	} else {
		e.pf.Manager = name
	}
}

func (r *resolver) placeholder(from *bsEntity, o refAt, kind, name string) {
	r.warn(from, o.line, "spec.owner %s is not in these files; imported as a %s %q with only its name", o.ref, map[string]string{domain.KindPerson: "person", domain.KindBoard: "team"}[kind], name)
	e := &bsEntity{kind: o.ref.Kind, ref: o.ref, name: name, target: kind, file: from.file, line: o.line, src: from.src, seq: -1,
		info: &docInfo{file: from.file, line: o.line}}
	ann := map[string]string{RefAnnotation: o.ref.String()}
	if kind == domain.KindPerson {
		e.person = &domain.Person{Name: name, Annotations: ann}
	} else {
		e.board = &domain.Board{Name: name, Annotations: ann}
	}
	r.byRef[o.ref.String()] = e
	r.byName[docKey{kind, name}] = e
	r.extra = append(r.extra, e)
}

// memberships fills the teams: each Group's spec.members, then each User
// that names the Group in spec.memberOf, each person once.
func (r *resolver) memberships() {
	for _, e := range r.p.bs {
		if e.dropped || e.board == nil {
			continue
		}
		for _, m := range e.members {
			if m.ref.Kind != "user" {
				r.warn(e, m.line, "spec.members %s is not a user; ignored", m.ref)
				continue
			}
			_, name, ok := r.name(m.ref)
			if !ok {
				r.warn(e, m.line, "spec.members %s is not in these files; not a member", m.ref)
				continue
			}
			addMember(e.board, name)
		}
	}
	for _, u := range r.p.bs {
		if u.dropped || u.person == nil {
			continue
		}
		for _, g := range u.memberOf {
			t, ok := r.entity(g.ref, domain.KindBoard)
			if !ok || g.ref.Kind != "group" {
				r.warn(u, g.line, "spec.memberOf %s is not a group in these files; membership not imported", g.ref)
				continue
			}
			addMember(t.board, u.name)
		}
	}
}

func addMember(b *domain.Board, person string) {
	if !slices.Contains(b.Members, person) {
		b.Members = append(b.Members, person)
	}
}

// portfolio sets a service's portfolio: the itspm/portfolio annotation, or
// the portfolio of its Domain (a System's spec.domain, or that of the
// System in spec.system), or the default portfolio, with a warning.
func (r *resolver) portfolio(e *bsEntity) {
	if e.portfolioSet {
		return
	}
	dom, line := e.domain, e.line
	if e.system != nil {
		line = e.system.line
		sys, ok := r.entity(e.system.ref, domain.KindService)
		switch {
		case !ok || e.system.ref.Kind != "system":
			r.warn(e, line, "spec.system %s is not in these files; in portfolio %q", e.system.ref, r.defaultPortfolio(e, line))
			e.svc.Portfolio = r.defaultPortfolio(e, line)
			return
		case sys.portfolioSet:
			e.svc.Portfolio = sys.svc.Portfolio
			return
		}
		dom = sys.domain
	}
	if dom == nil {
		pf := r.defaultPortfolio(e, line)
		r.warn(e, line, "no itspm/portfolio annotation, and no domain to take the portfolio from; in portfolio %q", pf)
		e.svc.Portfolio = pf
		return
	}
	if d, ok := r.entity(dom.ref, domain.KindPortfolio); ok && dom.ref.Kind == "domain" {
		e.svc.Portfolio = d.name
		return
	}
	if name := CatalogName(dom.ref); dom.ref.Kind == "domain" && r.known(domain.KindPortfolio, name) {
		e.svc.Portfolio = name
		return
	}
	pf := r.defaultPortfolio(e, line)
	r.warn(e, line, "domain %s is not in these files; in portfolio %q", dom.ref, pf)
	e.svc.Portfolio = pf
}

// defaultPortfolio is the portfolio of services Backstage places nowhere,
// created (once) when it is neither in the files nor in the catalog.
func (r *resolver) defaultPortfolio(from *bsEntity, line int) string {
	name := r.p.opts.DefaultPortfolio
	if name == "" {
		name = "unassigned"
	}
	if r.known(domain.KindPortfolio, name) {
		return name
	}
	title := name
	if name == "unassigned" {
		title = "Unassigned (imported from Backstage without a domain)"
	}
	e := &bsEntity{kind: "Domain", ref: EntityRef{Kind: "domain", Namespace: defaultNamespace, Name: name}, name: name,
		target: domain.KindPortfolio, file: from.file, line: line, src: from.src, seq: -1,
		info: &docInfo{file: from.file, line: line}, pf: &domain.Portfolio{Name: name, PortfolioSpec: domain.PortfolioSpec{Title: title}}}
	r.byName[docKey{domain.KindPortfolio, name}] = e
	r.extra = append(r.extra, e)
	return name
}

// dependencies adds spec.dependsOn and spec.consumesApis to the service's
// dependencies (after any itspm/dependsOn), each once.
func (r *resolver) dependencies(e *bsEntity) {
	add := func(name string) {
		if name != e.name && !slices.Contains(e.svc.DependsOn, name) {
			e.svc.DependsOn = append(e.svc.DependsOn, name)
		}
	}
	for _, d := range e.deps {
		switch d.ref.Kind {
		case "component", "system", "resource":
			if t, ok := r.entity(d.ref, domain.KindService); ok {
				add(t.name)
			} else if name := CatalogName(d.ref); r.known(domain.KindService, name) {
				add(name)
			} else {
				r.warn(e, d.line, "depends on %s, which is not in these files; the dependency is left out", d.ref)
			}
		case "api":
			providers := r.provided[d.ref.String()]
			if len(providers) == 0 {
				if _, ok := r.byRef[d.ref.String()]; ok {
					r.warn(e, d.line, "depends on %s, which no component in these files provides (spec.providesApis); the dependency is left out", d.ref)
				} else {
					r.warn(e, d.line, "depends on %s, which is not in these files; the dependency is left out", d.ref)
				}
				continue
			}
			for _, pr := range providers {
				add(pr.name)
			}
		default:
			r.warn(e, d.line, "depends on %s: a %s is not a service; the dependency is left out", d.ref, d.ref.Kind)
		}
	}
}
