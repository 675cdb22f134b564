package questions

import (
	"strings"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
)

// entityKind is what a phrase of the question names in the catalog.
type entityKind int

const (
	kService entityKind = iota
	kPerson
	kPortfolio
	kVendor
	kBoard
)

// entity is one catalog thing a phrase can name.
type entity struct {
	kind entityKind
	name string // catalog name; for vendors, the vendor as written
	weak bool   // a common word that is also an alias ("pay", "contracts")
}

// match is an entity found in the question.
type match struct {
	entity
	pos, n int    // position and length in words
	text   string // the words of the question that matched
	fuzzy  bool
}

// entityIndex maps every phrase that names something to what it names.
type entityIndex struct {
	phrases map[string][]entity
	maxN    int
	fuzzy   []fuzzyKey
	titles  []titleKey // multi-word keys of fuzzy entities, matched word by word
}

type titleKey struct {
	ws  []string
	ent entity
}

type fuzzyKey struct {
	key string // compact form
	ent entity
}

func (x *entityIndex) add(p string, e entity, fuzzy bool) {
	if p == "" {
		return
	}
	for _, old := range x.phrases[p] {
		if old.kind == e.kind && old.name == e.name {
			return
		}
	}
	x.phrases[p] = append(x.phrases[p], e)
	x.maxN = max(x.maxN, len(strings.Fields(p)))
	if c := compact(p); fuzzy && len([]rune(c)) >= 5 {
		x.fuzzy = append(x.fuzzy, fuzzyKey{c, e})
	}
	if ws := strings.Fields(p); fuzzy && len(ws) >= 2 {
		x.titles = append(x.titles, titleKey{ws, e})
	}
}

// newEntityIndex indexes the snapshot's services (names, aliases, titles,
// and their run-together forms), people (name, display name, first and last
// name), portfolios, boards and vendors.
func newEntityIndex(snap *domain.Snapshot) *entityIndex {
	x := &entityIndex{phrases: map[string][]entity{}}
	for k, name := range snap.Keys() {
		p := phrase(k)
		s := snap.Services[name]
		isName := k == name || strings.EqualFold(k, s.Title)
		weak := !isName && (weakAliases[p] || stopwords[p])
		e := entity{kind: kService, name: name, weak: weak}
		x.add(p, e, !weak)
		if c := compact(p); c != p && len(c) >= 4 {
			x.add(c, e, false)
		}
	}
	for name, person := range snap.People {
		e := entity{kind: kPerson, name: name}
		x.add(phrase(name), e, true)
		if person.DisplayName != "" {
			x.add(phrase(person.DisplayName), e, true)
			for _, w := range words(person.DisplayName) {
				if !stopwords[w] {
					x.add(w, e, true)
				}
			}
		}
	}
	for name, pf := range snap.Portfolios {
		e := entity{kind: kPortfolio, name: name}
		x.add(phrase(name), e, false)
		if pf.Title != "" {
			x.add(phrase(pf.Title), e, false)
		}
	}
	for name, b := range snap.Boards {
		e := entity{kind: kBoard, name: name}
		x.add(phrase(name), e, false)
		if b.Title != "" {
			x.add(phrase(b.Title), e, false)
			// "the CAB": initials of a title of three words or more.
			if ws := words(b.Title); len(ws) >= 3 {
				var ini strings.Builder
				for _, w := range ws {
					ini.WriteByte(w[0])
				}
				x.add(ini.String(), e, false)
			}
		}
	}
	for _, name := range snap.ServiceNames() {
		for _, v := range snap.Services[name].VendorProducts {
			if v.Vendor == "" {
				continue
			}
			e := entity{kind: kVendor, name: v.Vendor}
			p := phrase(v.Vendor)
			x.add(p, e, false)
			if ws := strings.Fields(p); len(ws) > 1 && len(ws[0]) >= 3 && !stopwords[ws[0]] {
				x.add(ws[0], e, false)
			}
		}
	}
	return x
}

// scan finds the entities named in ws: exact phrases first, longest first,
// then close misspellings of services and people among the words left.
func (x *entityIndex) scan(ws []string) []match {
	used := make([]bool, len(ws))
	var out []match
	free := func(i, n int) bool {
		for j := i; j < i+n; j++ {
			if used[j] {
				return false
			}
		}
		return true
	}
	take := func(i, n int) {
		for j := i; j < i+n; j++ {
			used[j] = true
		}
	}
	for n := min(x.maxN, len(ws)); n >= 1; n-- {
		for i := 0; i+n <= len(ws); i++ {
			if !free(i, n) {
				continue
			}
			p := strings.Join(ws[i:i+n], " ")
			ents, ok := x.phrases[p]
			if !ok {
				continue
			}
			for _, e := range ents {
				out = append(out, match{entity: e, pos: i, n: n, text: p})
			}
			take(i, n)
		}
	}
	// Misspelt titles, word by word: each word of a multi-word title within
	// one typo per five letters ("data warehuse", "vidoe conferensing").
	// Words of the question language must be exact ("data" in "data
	// warehuse" is; "more" is not "core" of Core Network).
	for n := min(x.maxN, len(ws)); n >= 2; n-- {
		for i := 0; i+n <= len(ws); i++ {
			if !free(i, n) {
				continue
			}
			var best entity
			bestD, tie := -1, false
			for _, k := range x.titles {
				if len(k.ws) != n || !vocabularyExact(ws[i:i+n], k.ws) {
					continue
				}
				d, ok := commands.WordTypos(ws[i:i+n], k.ws)
				if !ok {
					continue
				}
				switch {
				case bestD < 0 || d < bestD:
					best, bestD, tie = k.ent, d, false
				case d == bestD && (k.ent.kind != best.kind || k.ent.name != best.name):
					tie = true
				}
			}
			if bestD >= 0 && !tie {
				out = append(out, match{entity: best, pos: i, n: n, text: strings.Join(ws[i:i+n], " "), fuzzy: true})
				take(i, n)
			}
		}
	}
	// Misspellings: a run of one to three words that are not stopwords,
	// compared without spaces, one edit per five letters allowed (two from
	// nine letters), and only when one entity is clearly closest.
	for n := 3; n >= 1; n-- {
		for i := 0; i+n <= len(ws); i++ {
			if !free(i, n) || vocabulary(ws[i]) || vocabulary(ws[i+n-1]) {
				continue
			}
			c := compact(strings.Join(ws[i:i+n], " "))
			l := len([]rune(c))
			if l < 5 {
				continue
			}
			limit := 1
			if l >= 9 {
				limit = 2
			}
			var best entity
			bestD, tie := limit+1, false
			for _, k := range x.fuzzy {
				if abs(len([]rune(k.key))-l) > limit {
					continue
				}
				d := typoDistance(c, k.key)
				switch {
				case d < bestD:
					best, bestD, tie = k.ent, d, false
				case d == bestD && (k.ent.kind != best.kind || k.ent.name != best.name):
					tie = true
				}
			}
			if bestD <= limit && !tie {
				out = append(out, match{entity: best, pos: i, n: n, text: strings.Join(ws[i:i+n], " "), fuzzy: true})
				take(i, n)
			}
		}
	}
	return out
}

// vocabularyExact reports whether every word of the question language in
// typed is the title's word at that place.
func vocabularyExact(typed, title []string) bool {
	for i, w := range typed {
		if w != title[i] && vocabulary(w) {
			return false
		}
	}
	return true
}

// vocabulary reports whether w is a word of the question language itself
// (a stopword, keyword, stage, status, month or number), which is never
// read as a misspelt name: "design" is a stage, not "esign".
func vocabulary(w string) bool {
	if stopwords[w] || isNumber(w) || isCue(w) {
		return true
	}
	if _, ok := stageWords[w]; ok {
		return true
	}
	if _, ok := statusWords[w]; ok {
		return true
	}
	if _, ok := monthNames[w]; ok {
		return true
	}
	_, ok := numberWords[w]
	return ok
}

// typoDistance is the optimal-string-alignment distance (commands.TypoDistance).
func typoDistance(a, b string) int { return commands.TypoDistance(a, b) }

func isNumber(w string) bool {
	for _, r := range w {
		if (r < '0' || r > '9') && r != '.' {
			return false
		}
	}
	return w != ""
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
