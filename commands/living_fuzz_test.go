package commands_test

import (
	"context"
	"encoding/json"
	"github.com/itspm/itspm/commands"
	"strings"
	"testing"
	"time"

	"github.com/itspm/itspm/domain"
)

// validStore is fuzzStore that keeps each write and refuses one that would
// leave the catalog invalid: what the write commands store must import.
type validStore struct {
	fuzzStore
	t *testing.T
}

func (v *validStore) UpdateService(ctx context.Context, name string, e domain.AuditEntry, change func(*domain.Service) error) (*domain.Service, error) {
	s, ok := v.snap.Services[name]
	if !ok {
		return nil, domain.Errorf(domain.NotFound, "no service")
	}
	b, _ := json.Marshal(s)
	var next domain.Service
	_ = json.Unmarshal(b, &next)
	if err := change(&next); err != nil {
		return nil, err
	}
	cat := v.snap.Catalog()
	known := map[string]bool{} // the fuzz catalog is odd on purpose: only new problems count
	for _, p := range cat.Validate() {
		known[p.Error()] = true
	}
	for i := range cat.Services {
		if cat.Services[i].Name == name {
			cat.Services[i] = next
		}
	}
	for _, p := range cat.Validate() {
		if !known[p.Error()] {
			v.t.Fatalf("%s after %q no longer validates: %v", name, e.Summary, p)
		}
	}
	return &next, nil
}

// FuzzLivingCommands: the write grammar never panics, and what it writes
// always validates (so export → import reproduces it).
func FuzzLivingCommands(f *testing.F) {
	for _, seed := range []string{
		"review payroll done", "review payroll done notes here", "review done", "review payroll",
		"measure payroll availability 99.9", "measure payroll availability 99.9 2026-10", "measure payroll availability NaN",
		"measure payroll availability 1e400", "measure payroll availability -0 2026-13", "measure payroll x 1",
		"actual payroll 2026-10 100", "actual payroll 2026-10 100 budget 90", "actual payroll 2026-10 -1", "actual payroll budget 5",
		"roadmap payroll done 1", "roadmap payroll done x", "roadmap payroll postpone 1 2027-01-01", "roadmap payroll postpone x 2026-02-30",
		"improve payroll add thing due 2027-01-01", "improve payroll 1 done", "improve payroll 0 done", "improve payroll add", "improve payroll add due",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		store := &validStore{fuzzStore: fuzzStore{snap: fuzzSnapshot()}, t: t}
		e := commands.New(store, commands.Options{Admins: []string{"lee"}, Now: func() time.Time { return time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) }})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := e.Handle(ctx, commands.Caller{Person: "lee"}, text); err != nil {
			if msg, _ := commands.ErrorText(err); msg == "" || strings.Contains(msg, "reference") {
				t.Fatalf("%q: error without a user-facing text: %v", text, err)
			}
		}
	})
}

// FuzzParseItem: a button value is either refused or exactly what Value
// makes of the item it names.
func FuzzParseItem(f *testing.F) {
	f.Add(commands.Item{Kind: commands.ItemDR, Service: "payroll", State: "2026-05-04"}.Value())
	f.Add(commands.Item{Kind: commands.ItemRoadmap, Service: "payroll", Title: "a&b=c", State: "2026-12-01"}.Value())
	f.Add("k=dr&s=payroll&st=&x=1")
	f.Add("k=dr&k=dr&s=payroll")
	f.Fuzz(func(t *testing.T, v string) {
		it, err := commands.ParseItem(v)
		if err != nil {
			return
		}
		if it.Value() != v {
			t.Fatalf("ParseItem(%q) accepted a value Value writes as %q", v, it.Value())
		}
	})
}
