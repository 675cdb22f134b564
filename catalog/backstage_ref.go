package catalog

import (
	"fmt"
	"hash/fnv"
	"strings"
)

// Backstage entity references and the rule that maps Backstage names onto
// catalog names.
//
// A reference is `[kind:][namespace/]name`
// (https://backstage.io/docs/features/software-catalog/references). The
// kind, when left out, depends on the field (spec.owner: group,
// spec.memberOf: group, spec.members: user, spec.system: system, ...); the
// namespace, when left out, is that of the entity that holds the reference,
// which is "default" unless the entity says otherwise (as Backstage does).
// Kinds and namespaces compare case-insensitively; names keep their case in
// the reference and are lower-cased by the name rule.

// defaultNamespace is Backstage's namespace when none is given.
const defaultNamespace = "default"

// RefAnnotation is the annotation that keeps, on every document imported
// from Backstage, the entity reference it was imported from (in Backstage's
// canonical form, kind:namespace/name), so that the mapping stays
// reversible whatever the name rule did, and export → import keeps it.
const RefAnnotation = "itspm/backstage-ref"

// EntityRef is a parsed entity reference.
type EntityRef struct {
	Kind      string // lower-cased, e.g. "component"
	Namespace string // lower-cased, "default" when not given
	Name      string // as written
}

// String is the canonical form, kind:namespace/name.
func (r EntityRef) String() string { return r.Kind + ":" + r.Namespace + "/" + r.Name }

// ParseEntityRef reads a reference, with defaultKind and defaultNS for the
// parts left out ("" defaultNS means "default"). A reference with no kind
// and no default kind, or with an empty part, is an error.
func ParseEntityRef(ref, defaultKind, defaultNS string) (EntityRef, error) {
	s := strings.TrimSpace(ref)
	if s == "" {
		return EntityRef{}, fmt.Errorf("empty entity reference")
	}
	r := EntityRef{Kind: defaultKind, Namespace: defaultNS}
	if r.Namespace == "" {
		r.Namespace = defaultNamespace
	}
	if k, rest, ok := strings.Cut(s, ":"); ok {
		if k == "" {
			return EntityRef{}, fmt.Errorf("entity reference %q: the kind before ':' is empty", ref)
		}
		r.Kind, s = k, rest
	}
	if ns, rest, ok := strings.Cut(s, "/"); ok {
		if ns == "" {
			return EntityRef{}, fmt.Errorf("entity reference %q: the namespace before '/' is empty", ref)
		}
		r.Namespace, s = ns, rest
	}
	if s == "" {
		return EntityRef{}, fmt.Errorf("entity reference %q has no name", ref)
	}
	if strings.ContainsAny(s, ":/") {
		return EntityRef{}, fmt.Errorf("entity reference %q: want [kind:][namespace/]name", ref)
	}
	if r.Kind == "" {
		return EntityRef{}, fmt.Errorf("entity reference %q needs a kind (e.g. component:%s)", ref, s)
	}
	r.Kind, r.Namespace, r.Name = strings.ToLower(r.Kind), strings.ToLower(r.Namespace), s
	return r, nil
}

// maxName is the longest catalog name.
const maxName = 63

// CatalogName maps a Backstage entity to its catalog name. The rule:
//
//  1. the name is lower-cased, and '.' and '_' become '-'
//     (breanna.davison → breanna-davison);
//  2. an entity outside the default namespace gets the namespace as a
//     prefix, joined by '-' (development/guest → development-guest);
//  3. a result over 63 characters keeps its first 54 and ends with '-'
//     and 8 hex digits of a hash of the whole reference.
//
// The rule is not one-to-one (a.b and a-b map to the same name), so the
// importer reports two entities of one catalog kind that map to one name as
// a collision, and keeps each entity's reference in RefAnnotation, which
// is what makes the mapping reversible.
func CatalogName(r EntityRef) string {
	name := mapChars(r.Name)
	if r.Namespace != "" && r.Namespace != defaultNamespace {
		name = mapChars(r.Namespace) + "-" + name
	}
	if len(name) > maxName {
		h := fnv.New32a()
		h.Write([]byte(r.String()))
		name = strings.TrimRight(name[:54], "-") + fmt.Sprintf("-%08x", h.Sum32())
	}
	return name
}

func mapChars(s string) string {
	return strings.Map(func(c rune) rune {
		switch {
		case c == '.' || c == '_':
			return '-'
		case c >= 'A' && c <= 'Z':
			return c + ('a' - 'A')
		}
		return c
	}, s)
}
