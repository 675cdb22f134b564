package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/itspm/itspm/domain"
)

// Store is what Import needs from the store; *storage.Store provides it.
type Store interface {
	Snapshot(ctx context.Context) (*domain.Snapshot, error)
	Apply(ctx context.Context, cat *domain.Catalog, actor, source string) (Changes, error)
}

// Changes counts documents by kind: created, updated and left unchanged.
type Changes = domain.Changes

// Result is what an import read and what it changed (or, in a dry run,
// would change).
type Result struct {
	Changes
	Documents map[string]int // documents read, by catalog kind
	Skipped   map[string]int // Backstage documents not imported, by Backstage kind
	Warnings  Errors         // what a Backstage import could not map
	DryRun    bool
}

// Summary is one line for the CLI, e.g. "Imported 25 documents (12 people,
// 3 portfolios, 10 services): 3 created, 1 updated, 21 unchanged."
func (r Result) Summary() string {
	var kinds []string
	total := 0
	for _, k := range domain.Kinds {
		if n := r.Documents[k]; n > 0 {
			total += n
			kinds = append(kinds, kindCount(k, n))
		}
	}
	verb := "Imported"
	if r.DryRun {
		verb = "Dry run: nothing written. Would import"
	}
	s := fmt.Sprintf("%s %s", verb, plural(total, "document", "documents"))
	if len(kinds) > 0 {
		s += " (" + strings.Join(kinds, ", ") + ")"
	}
	created, updated, unchanged := r.Total()
	s += fmt.Sprintf(": %d created, %d updated, %d unchanged.", created, updated, unchanged)
	if len(r.Skipped) > 0 {
		var skipped []string
		n := 0
		for k, c := range r.Skipped {
			n += c
			skipped = append(skipped, fmt.Sprintf("%s %d", k, c))
		}
		sort.Strings(skipped)
		s += fmt.Sprintf(" Skipped %s of kinds ITSPM does not import (%s).", plural(n, "Backstage document", "Backstage documents"), strings.Join(skipped, ", "))
	}
	return s
}

func kindCount(kind string, n int) string {
	switch kind {
	case domain.KindPerson:
		return plural(n, "person", "people")
	}
	l := strings.ToLower(kind)
	return plural(n, l, l+"s")
}

// Import reads files into the store: everything is parsed and checked
// against the stored catalog first, and only when there is no problem at
// all is anything written (upserting by name, so re-importing a file
// changes nothing). With problems, they are returned as Errors and the
// store is untouched; the error result is for the store failing. A dry run
// checks and counts what would change without writing.
func Import(ctx context.Context, st Store, files []File, actor string, dryRun bool) (Result, Errors, error) {
	return ImportWith(ctx, st, files, ImportOptions{Actor: actor, DryRun: dryRun})
}

// ImportOptions are Import's choices.
type ImportOptions struct {
	Actor  string
	DryRun bool
	// Strict makes every warning an error (for CI): nothing is written
	// while anything could not be mapped.
	Strict bool
	// DefaultPortfolio: see Options.
	DefaultPortfolio string
	// Source names the files in the audit trail; "" names them by path.
	Source string
}

// ImportWith is Import with options; warnings are in the result (and, when
// strict, in the errors too).
func ImportWith(ctx context.Context, st Store, files []File, o ImportOptions) (Result, Errors, error) {
	snap, err := st.Snapshot(ctx)
	if err != nil {
		return Result{DryRun: o.DryRun}, nil, fmt.Errorf("read the catalog: %w", err)
	}
	existing := snap.Catalog()
	set, errs := ParseWith(files, Options{DefaultPortfolio: o.DefaultPortfolio, Existing: existing})
	res := Result{Documents: set.Documents, Skipped: set.Skipped, Warnings: set.Warnings, DryRun: o.DryRun}
	errs = append(errs, set.Check(existing)...)
	if o.Strict {
		errs = append(errs, set.Warnings...)
	}
	errs = errs.sorted()
	if len(errs) > 0 {
		return res, errs, nil
	}
	// From here on only the catalog is needed, copied out of the set so
	// that the set (which keeps the files' text to locate problems) and the
	// files are garbage while the store works, which for a large import is
	// when the process needs the most memory.
	cat, src := set.Catalog, o.Source
	if src == "" {
		src = source(set.files)
	}
	if o.DryRun {
		res.Changes = plan(snap, &cat)
		return res, nil, nil
	}
	changes, err := st.Apply(ctx, &cat, o.Actor, src)
	res.Changes = changes
	if err != nil {
		return res, nil, fmt.Errorf("write the catalog: %w", err)
	}
	return res, nil, nil
}

// source names the files for the audit trail.
func source(files []File) string {
	const max = 5
	names := make([]string, 0, max)
	for i, f := range files {
		if i == max {
			names = append(names, fmt.Sprintf("and %d more", len(files)-max))
			break
		}
		names = append(names, f.Path)
	}
	return "import " + strings.Join(names, ", ")
}

// plan counts what applying cat over snap would do, comparing documents the
// way the store does (by their JSON form, so nil and empty lists are equal).
func plan(snap *domain.Snapshot, cat *domain.Catalog) Changes {
	c := Changes{Created: map[string]int{}, Updated: map[string]int{}, Unchanged: map[string]int{}}
	count := func(kind string, old, doc any, exists bool) {
		switch {
		case !exists:
			c.Created[kind]++
		case sameJSON(old, doc):
			c.Unchanged[kind]++
		default:
			c.Updated[kind]++
		}
	}
	for i := range cat.People {
		old, ok := snap.People[cat.People[i].Name]
		count(domain.KindPerson, old, &cat.People[i], ok)
	}
	for i := range cat.Portfolios {
		old, ok := snap.Portfolios[cat.Portfolios[i].Name]
		count(domain.KindPortfolio, old, &cat.Portfolios[i], ok)
	}
	for i := range cat.Boards {
		old, ok := snap.Boards[cat.Boards[i].Name]
		count(domain.KindBoard, old, &cat.Boards[i], ok)
	}
	for i := range cat.Tollgates {
		old, ok := snap.Tollgates[cat.Tollgates[i].Name]
		count(domain.KindTollgate, old, &cat.Tollgates[i], ok)
	}
	for i := range cat.Services {
		old, ok := snap.Services[cat.Services[i].Name]
		count(domain.KindService, old, &cat.Services[i], ok)
	}
	return c
}

func sameJSON(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}
