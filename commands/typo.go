package commands

import (
	"strings"

	"github.com/itspm/itspm/domain"
)

// TypoDistance is the optimal-string-alignment distance: Levenshtein plus
// swapping two neighbouring letters as one edit, the commonest typo
// ("emial", "vidoe").
func TypoDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// WordTypo is how many typos a typed word may have for a word of a
// title: one per five letters, at least one from four letters, none in
// shorter words ("dta" for "data", but not "fax" for "fix").
func WordTypo(word string) int {
	n := len([]rune(word))
	if n < 4 {
		return 0
	}
	return max(1, n/5)
}

// WordTypos compares typed words with the words of a multi-word title,
// word by word, each within WordTypo of its title word: "data warehuse"
// and "vidoe conferensing" name "Data Warehouse" and "Video
// Conferencing" though every word may be misspelt. It returns the typos
// in all, and false when the counts differ or a word is too far.
func WordTypos(typed, title []string) (int, bool) {
	if len(typed) != len(title) || len(title) == 0 {
		return 0, false
	}
	total := 0
	for i, w := range typed {
		t := title[i]
		if w == t {
			continue
		}
		limit := WordTypo(t)
		if limit == 0 || abs(len([]rune(w))-len([]rune(t))) > limit {
			return 0, false
		}
		d := TypoDistance(w, t)
		if d > limit {
			return 0, false
		}
		total += d
	}
	return total, true
}

// titleWords splits a lookup key into its words ("data-warehouse",
// "data warehouse" → data, warehouse).
func titleWords(key string) []string {
	return strings.FieldsFunc(key, func(r rune) bool { return r == ' ' || r == '-' || r == '_' || r == '&' || r == '/' })
}

// fuzzyWords accepts the one service whose multi-word key is closest to
// the words of key, each word within its WordTypo ("vidoe conferensing").
func fuzzyWords(snap *domain.Snapshot, key string) (string, bool) {
	ws := titleWords(key)
	for len(ws) > 0 && ws[0] == "the" {
		ws = ws[1:]
	}
	if len(ws) > 1 && ws[len(ws)-1] == "service" {
		ws = ws[:len(ws)-1]
	}
	if len(ws) < 2 {
		return "", false
	}
	best, bestD, tie := "", -1, false
	for k, name := range snap.Keys() {
		d, ok := WordTypos(ws, titleWords(k))
		if !ok {
			continue
		}
		switch {
		case bestD < 0 || d < bestD:
			best, bestD, tie = name, d, false
		case d == bestD && name != best:
			tie = true
		}
	}
	if best == "" || tie {
		return "", false
	}
	return best, true
}
