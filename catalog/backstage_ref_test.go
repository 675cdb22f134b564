package catalog

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/itspm/itspm/domain"
)

func TestParseEntityRef(t *testing.T) {
	tests := []struct {
		ref, kind, ns string
		want          EntityRef
		err           string
	}{
		{ref: "team-a", kind: "group", want: EntityRef{"group", "default", "team-a"}},
		{ref: "group:team-a", kind: "user", want: EntityRef{"group", "default", "team-a"}},
		{ref: "group:default/team-a", want: EntityRef{"group", "default", "team-a"}},
		{ref: "User:Development/Guest", want: EntityRef{"user", "development", "Guest"}},
		{ref: "guest", kind: "user", ns: "development", want: EntityRef{"user", "development", "guest"}}, // the holder's namespace
		{ref: "default/guest", kind: "user", ns: "development", want: EntityRef{"user", "default", "guest"}},
		{ref: "  resource:artists-db ", want: EntityRef{"resource", "default", "artists-db"}},
		{ref: "user:frank.tiernan", want: EntityRef{"user", "default", "frank.tiernan"}},
		{ref: "", kind: "group", err: "empty entity reference"},
		{ref: "team-a", err: `entity reference "team-a" needs a kind (e.g. component:team-a)`},
		{ref: ":team-a", kind: "group", err: `entity reference ":team-a": the kind before ':' is empty`},
		{ref: "group:/team-a", err: `entity reference "group:/team-a": the namespace before '/' is empty`},
		{ref: "group:ns/", err: `entity reference "group:ns/" has no name`},
		{ref: "group:a/b/c", err: `entity reference "group:a/b/c": want [kind:][namespace/]name`},
		{ref: "a:b:c", err: `entity reference "a:b:c": want [kind:][namespace/]name`},
	}
	for _, tt := range tests {
		got, err := ParseEntityRef(tt.ref, tt.kind, tt.ns)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("ParseEntityRef(%q) error = %v, want %q", tt.ref, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseEntityRef(%q, %q, %q) = %+v, %v; want %+v", tt.ref, tt.kind, tt.ns, got, err, tt.want)
		}
	}
	if s := (EntityRef{"user", "development", "Guest"}).String(); s != "user:development/Guest" {
		t.Errorf("String() = %q", s)
	}
}

func TestCatalogName(t *testing.T) {
	long := strings.Repeat("a", 60)
	tests := []struct {
		ref  EntityRef
		want string
	}{
		{EntityRef{"user", "default", "guest"}, "guest"},
		{EntityRef{"user", "default", "breanna.davison"}, "breanna-davison"},
		{EntityRef{"user", "default", "Tobias_Lind"}, "tobias-lind"},
		{EntityRef{"user", "development", "guest"}, "development-guest"},
		{EntityRef{"component", "ops.team", "a.b"}, "ops-team-a-b"},
		{EntityRef{"component", "default", long}, long},
		{EntityRef{"component", "tenant", long}, ""}, // 67 characters: cut, with a hash (checked below)
	}
	for _, tt := range tests {
		got := CatalogName(tt.ref)
		if tt.ref.Namespace == "tenant" {
			// The hash suffix: the right shape, stable, and a valid name.
			if len(got) != 63 || !strings.HasPrefix(got, "tenant-"+strings.Repeat("a", 47)+"-") || got != CatalogName(tt.ref) {
				t.Errorf("CatalogName(%v) = %q", tt.ref, got)
			}
		} else if got != tt.want {
			t.Errorf("CatalogName(%v) = %q, want %q", tt.ref, got, tt.want)
		}
		if !domain.ValidName(got) {
			t.Errorf("CatalogName(%v) = %q is not a valid catalog name", tt.ref, got)
		}
	}
	// Different long references get different names.
	a := CatalogName(EntityRef{"component", "tenant", long + "x"})
	b := CatalogName(EntityRef{"component", "tenant", long + "y"})
	if a == b {
		t.Errorf("two long references map to one name %q", a)
	}
}

// FuzzBackstage: the Backstage decoder (references resolved across
// documents, Locations, warnings) never panics; what imports cleanly
// exports to text that imports to the same catalog, and exports again to
// the same bytes.
func FuzzBackstage(f *testing.F) {
	f.Add([]byte(backstageYAML))
	for _, p := range []string{"org.yaml", "systems/lending.yaml", "systems/misc.yaml", "catalog-info.yaml"} {
		if data, err := os.ReadFile(filepath.Join("testdata", "backstage", p)); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: a.b, namespace: X}\nspec: {owner: 'group:', dependsOn: [api:x, 'resource:y/z'], system: s}\n"))
	f.Add([]byte("apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: g}\nspec: {members: [u, user:u]}\n---\napiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {name: u}\nspec: {memberOf: [g, g]}\n"))
	noFiles := func(string) ([]byte, error) { return nil, os.ErrNotExist }
	noGlob := func(string) ([]string, error) { return nil, nil }
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := Options{ReadFile: noFiles, Glob: noGlob}
		set, errs := ParseWith([]File{{Path: "f.yaml", Data: data}}, opts)
		errs = append(errs, set.Check(nil)...)
		if len(errs) > 0 {
			return
		}
		var one bytes.Buffer
		if err := Export(&one, &set.Catalog); err != nil {
			t.Fatal(err)
		}
		again, errs := ParseWith([]File{{Path: "export.yaml", Data: one.Bytes()}}, opts)
		if len(errs) > 0 {
			t.Fatalf("export does not parse: %v\n%s", errs, one.String())
		}
		if diff := cmp.Diff(sortedCatalog(&set.Catalog), &again.Catalog, emptyEqual); diff != "" {
			t.Fatalf("round trip (-want +got):\n%s\n%s", diff, one.String())
		}
		var two bytes.Buffer
		if err := Export(&two, &again.Catalog); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(one.Bytes(), two.Bytes()) {
			t.Fatalf("export → import → export differs:\n%s", cmp.Diff(one.String(), two.String()))
		}
	})
}

// TestBackstageMutations runs FuzzBackstage's property over seeded random
// mutations of the seed catalogs (byte flips, and YAML tokens spliced in):
// 300 by default, for ITSPM_FUZZ_SECONDS seconds when set. It is a
// deterministic complement to the fuzzer.
func TestBackstageMutations(t *testing.T) {
	var seeds [][]byte
	seeds = append(seeds, []byte(backstageYAML))
	for _, p := range []string{"org.yaml", "systems/lending.yaml", "systems/misc.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", "backstage", p))
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, data)
	}
	tokens := []string{":", "/", ".", "-", "[", "]", "{", "}", ",", "\n", "  ", "'", "\"", "*a", "&a ", "<<: ", "group:", "user:default/", "api:", "---\n", "~", "null", "kind: Location\n", "namespace: x\n"}
	more := func(i int) bool { return i < 300 }
	if s := os.Getenv("ITSPM_FUZZ_SECONDS"); s != "" {
		secs, err := strconv.Atoi(s)
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(time.Duration(secs) * time.Second)
		more = func(int) bool { return time.Now().Before(deadline) }
	}
	rng := rand.New(rand.NewPCG(7, 11))
	noFiles := func(string) ([]byte, error) { return nil, os.ErrNotExist }
	clean := 0
	i := 0
	for ; more(i); i++ {
		data := slices.Clone(seeds[rng.IntN(len(seeds))])
		for n := 1 + rng.IntN(4); n > 0 && len(data) > 0; n-- {
			at := rng.IntN(len(data))
			if rng.IntN(2) == 0 {
				data[at] = byte(rng.IntN(128))
			} else {
				data = slices.Insert(data, at, []byte(tokens[rng.IntN(len(tokens))])...)
			}
		}
		set, errs := ParseWith([]File{{Path: "f.yaml", Data: data}}, Options{ReadFile: noFiles, Glob: func(string) ([]string, error) { return nil, nil }})
		if errs = append(errs, set.Check(nil)...); len(errs) > 0 {
			continue
		}
		clean++
		var one, two bytes.Buffer
		if err := Export(&one, &set.Catalog); err != nil {
			t.Fatal(err)
		}
		again, errs := ParseWith([]File{{Path: "export.yaml", Data: one.Bytes()}}, Options{})
		if len(errs) > 0 {
			t.Fatalf("export of a mutation does not parse: %v\ninput:\n%s\nexport:\n%s", errs, data, one.String())
		}
		if err := Export(&two, &again.Catalog); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(one.Bytes(), two.Bytes()) {
			t.Fatalf("export → import → export differs for input:\n%s\n%s", data, cmp.Diff(one.String(), two.String()))
		}
	}
	t.Logf("%d mutations, %d imported cleanly and round-tripped", i, clean)
}
