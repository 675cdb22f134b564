package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/itspm/itspm/domain"
)

// fakeBackstage serves entities from GET /api/catalog/entities/by-query in
// Backstage's documented shape, pageSize at a time, and records the
// requests it got.
type fakeBackstage struct {
	entities []map[string]any
	pageSize int
	token    string
	queries  []string
}

func (f *fakeBackstage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/api/catalog/entities/by-query" || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		http.Error(w, `{"error":{"name":"AuthenticationError","message":"Missing credentials"}}`, http.StatusUnauthorized)
		return
	}
	f.queries = append(f.queries, r.URL.RawQuery)
	start := 0
	if c := r.URL.Query().Get("cursor"); c != "" {
		fmt.Sscanf(c, "offset-%d", &start)
	}
	end := min(start+f.pageSize, len(f.entities))
	page := map[string]any{"items": f.entities[start:end], "totalItems": len(f.entities), "pageInfo": map[string]any{}}
	info := page["pageInfo"].(map[string]any)
	if end < len(f.entities) {
		info["nextCursor"] = fmt.Sprintf("offset-%d", end)
	}
	if start > 0 {
		info["prevCursor"] = fmt.Sprintf("offset-%d", max(0, start-f.pageSize))
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(page)
}

func entity(kind, name string, spec map[string]any, meta ...map[string]any) map[string]any {
	m := map[string]any{"name": name, "namespace": "default", "uid": "uid-" + name, "etag": "e1"}
	for _, x := range meta {
		for k, v := range x {
			m[k] = v
		}
	}
	return map[string]any{
		"apiVersion": "backstage.io/v1alpha1", "kind": kind, "metadata": m, "spec": spec,
		// What the API adds to what was written.
		"relations": []any{map[string]any{"type": "ownedBy", "targetRef": "group:default/x"}},
	}
}

func TestFetchBackstage(t *testing.T) {
	fake := &fakeBackstage{pageSize: 2, token: "s3cret", entities: []map[string]any{
		entity("Group", "circulation", map[string]any{"type": "team", "children": []any{}}),
		entity("User", "mira.okafor", map[string]any{"memberOf": []any{"circulation"}, "profile": map[string]any{"displayName": "Mira Okafor — Ünïcode \"quoted\""}}),
		entity("Domain", "library", map[string]any{"owner": "user:mira.okafor"}),
		entity("System", "lending", map[string]any{"owner": "circulation", "domain": "library"}),
		entity("Component", "loan-desk", map[string]any{"type": "website", "lifecycle": "production", "owner": "circulation", "system": "lending"},
			map[string]any{"annotations": map[string]any{"itspm/tier": "2", "backstage.io/managed-by-location": "url:https://example.com/x.yaml"}}),
		entity("Location", "root", map[string]any{"type": "url", "targets": []any{"https://example.com/x.yaml"}}),
	}}
	srv := httptest.NewServer(fake)
	defer srv.Close()

	f, err := FetchBackstage(context.Background(), srv.Client(), srv.URL+"/", "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	wantQueries := []string{"limit=500", "cursor=offset-2&limit=500", "cursor=offset-4&limit=500"}
	if diff := cmp.Diff(wantQueries, fake.queries); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if f.Path != srv.URL+"/api/catalog/entities/by-query" {
		t.Errorf("file path %q", f.Path)
	}
	st := newStore(t)
	res, errs, err := ImportWith(context.Background(), st, []File{f}, ImportOptions{Actor: "test"})
	if err != nil || len(errs) > 0 {
		t.Fatalf("import: %v %v", err, errs)
	}
	if len(res.Warnings) != 0 {
		t.Errorf("warnings: %v", res.Warnings)
	}
	snap := domain.NewSnapshot(stored(t, st))
	s := snap.Services["loan-desk"]
	if s == nil || s.Owner != "circulation" || s.Portfolio != "library" || s.Tier != 2 {
		t.Fatalf("loan-desk = %+v", s)
	}
	if got := snap.People["mira-okafor"].DisplayName; got != `Mira Okafor — Ünïcode "quoted"` {
		t.Errorf("display name %q", got)
	}
	if diff := cmp.Diff([]string{"mira-okafor"}, snap.Boards["circulation"].Members); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
}

func TestFetchBackstageErrors(t *testing.T) {
	fake := &fakeBackstage{pageSize: 10, token: "right"}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	_, err := FetchBackstage(context.Background(), srv.Client(), srv.URL, "wrong-token-value")
	if err == nil || !strings.Contains(err.Error(), "401") || strings.Contains(err.Error(), "wrong-token-value") {
		t.Errorf("bad token: %v", err)
	}
	loop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"items": [], "totalItems": 0, "pageInfo": {"nextCursor": "same"}}`)
	}))
	defer loop.Close()
	if _, err := FetchBackstage(context.Background(), loop.Client(), loop.URL, ""); err == nil || !strings.Contains(err.Error(), "cursor already used") {
		t.Errorf("cursor loop: %v", err)
	}
	for _, bad := range []string{"", "backstage.example.com", "ftp://x"} {
		if _, err := FetchBackstage(context.Background(), nil, bad, ""); err == nil {
			t.Errorf("FetchBackstage(%q) accepted", bad)
		}
	}
}

func TestBackstageEndpoint(t *testing.T) {
	for in, want := range map[string]string{
		"https://b.example.com":                                 "https://b.example.com/api/catalog/entities/by-query",
		"https://b.example.com/":                                "https://b.example.com/api/catalog/entities/by-query",
		"http://localhost:7007/api/catalog":                     "http://localhost:7007/api/catalog/entities/by-query",
		"https://b.example.com/api/catalog/entities/by-query?x": "https://b.example.com/api/catalog/entities/by-query",
	} {
		got, err := BackstageEndpoint(in)
		if err != nil || got != want {
			t.Errorf("BackstageEndpoint(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
