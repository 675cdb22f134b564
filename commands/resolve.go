package commands

import (
	"fmt"
	"sort"
	"strings"

	"github.com/itspm/itspm/domain"
)

// Resolve finds the service a user means by name, alias or title
// (case-insensitive, possessives and punctuation ignored). With no match it
// returns a NotFound error suggesting the closest names.
func Resolve(snap *domain.Snapshot, ref string) (*domain.Service, error) {
	key := Normalize(ref)
	if key == "" {
		return nil, domain.Errorf(domain.Invalid, "Which service? Give its name, alias or title, e.g. `owner payroll`.")
	}
	if s, ok := snap.Lookup(key); ok {
		return s, nil
	}
	// "data warehouse" for data-warehouse, "the payroll service" for payroll.
	for _, k := range []string{strings.ReplaceAll(key, " ", "-"), strings.TrimPrefix(key, "the "),
		strings.TrimSuffix(strings.TrimPrefix(key, "the "), " service")} {
		if s, ok := snap.Lookup(k); ok {
			return s, nil
		}
	}
	if s, ok := fuzzy(snap, key); ok {
		return s, nil
	}
	if name, ok := fuzzyWords(snap, key); ok {
		return snap.Services[name], nil
	}
	return nil, NotFound(snap, ref)
}

// fuzzy accepts a single clearly-closest key within a small edit distance
// (one typo per five letters).
func fuzzy(snap *domain.Snapshot, key string) (*domain.Service, bool) {
	if len(key) < 4 {
		return nil, false
	}
	limit := max(1, len(key)/5)
	best, bestD, tie := "", limit+1, false
	for k, name := range snap.Keys() {
		if abs(len(k)-len(key)) > limit {
			continue
		}
		d := domain.Distance(key, k)
		switch {
		case d < bestD:
			best, bestD, tie = name, d, false
		case d == bestD && name != best:
			tie = true
		}
	}
	if best == "" || tie {
		return nil, false
	}
	return snap.Services[best], true
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// Suggestions returns up to n service names closest to ref.
func Suggestions(snap *domain.Snapshot, ref string, n int) []string {
	key := Normalize(ref)
	type cand struct {
		name string
		d    int
	}
	bestByName := map[string]int{}
	tokens := strings.FieldsFunc(key, func(r rune) bool { return r == ' ' || r == '-' || r == '_' })
	for k, name := range snap.Keys() {
		d := domain.Distance(key, k)
		for _, tok := range tokens {
			if len(tok) >= 3 && tok != key {
				d = min(d, domain.Distance(tok, k)+1)
			}
		}
		if strings.Contains(k, key) || strings.Contains(key, k) {
			d = min(d, 2)
		}
		if old, ok := bestByName[name]; !ok || d < old {
			bestByName[name] = d
		}
	}
	var cs []cand
	for name, d := range bestByName {
		if d <= max(3, len(key)/2) {
			cs = append(cs, cand{name, d})
		}
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].d != cs[j].d {
			return cs[i].d < cs[j].d
		}
		return cs[i].name < cs[j].name
	})
	var out []string
	for i := 0; i < len(cs) && i < n; i++ {
		if cs[i].d > cs[0].d+1 { // only names about as close as the best
			break
		}
		out = append(out, cs[i].name)
	}
	return out
}

func NotFound(snap *domain.Snapshot, ref string) error {
	msg := fmt.Sprintf("I don't know a service called %q.", strings.TrimSpace(ref))
	if sug := Suggestions(snap, ref, 3); len(sug) > 0 {
		msg += " Did you mean " + OrList(sug) + "?"
	} else {
		msg += " Try `find <text>` to search the catalog."
	}
	return domain.Errorf(domain.NotFound, "%s", msg)
}

func OrList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = "`" + s + "`"
	}
	switch len(q) {
	case 0:
		return ""
	case 1:
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// serviceArg resolves the service named by the command's arguments.
func serviceArg(r *request, usage string) (*domain.Service, error) {
	if len(r.args) == 0 {
		return nil, domain.Errorf(domain.Invalid, "Which service? Usage: `%s`", usage)
	}
	return Resolve(r.snap, r.raw)
}
