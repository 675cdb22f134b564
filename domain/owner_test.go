package domain

import (
	"slices"
	"testing"
)

func TestOwnerHelpers(t *testing.T) {
	cat := &Catalog{
		People: []Person{{Name: "ann", PersonSpec: PersonSpec{SlackUser: "U0ANN"}}, {Name: "bob"}, {Name: "both"}},
		Boards: []Board{
			{Name: "team", BoardSpec: BoardSpec{Members: []string{"ann", "bob"}}},
			{Name: "chan", BoardSpec: BoardSpec{Members: []string{"bob"}, Channel: "C0CHAN"}},
			{Name: "both", BoardSpec: BoardSpec{Members: []string{"ann"}}},
			{Name: "empty"},
		},
		Services: []Service{
			{Name: "by-person", ServiceSpec: ServiceSpec{Owner: "ann"}},
			{Name: "by-team", ServiceSpec: ServiceSpec{Owner: "team"}},
			{Name: "by-chan", ServiceSpec: ServiceSpec{Owner: "chan"}},
			{Name: "by-both", ServiceSpec: ServiceSpec{Owner: "both"}}, // the person wins
			{Name: "by-empty", ServiceSpec: ServiceSpec{Owner: "empty"}},
			{Name: "nobody"},
		},
	}
	snap := NewSnapshot(cat)
	tests := []struct {
		svc        string
		owners     []string // IsOwner true for these of ann, bob, both
		people     []string
		recipients []string
	}{
		{"by-person", []string{"ann"}, []string{"ann"}, []string{"ann"}},
		{"by-team", []string{"ann", "bob"}, []string{"ann", "bob"}, []string{"ann", "bob"}},
		{"by-chan", []string{"bob"}, []string{"bob"}, []string{"chan"}},
		{"by-both", []string{"both"}, []string{"both"}, []string{"both"}},
		{"by-empty", nil, nil, nil},
		{"nobody", nil, nil, nil},
	}
	for _, tt := range tests {
		s := snap.Services[tt.svc]
		var owners []string
		for _, p := range []string{"ann", "bob", "both"} {
			if snap.IsOwner(s, p) {
				owners = append(owners, p)
			}
		}
		if !slices.Equal(owners, tt.owners) {
			t.Errorf("%s: IsOwner true for %v, want %v", tt.svc, owners, tt.owners)
		}
		if got := snap.OwnerPeople(s); !slices.Equal(got, tt.people) {
			t.Errorf("%s: OwnerPeople = %v, want %v", tt.svc, got, tt.people)
		}
		if got := snap.OwnerRecipients(s); !slices.Equal(got, tt.recipients) {
			t.Errorf("%s: OwnerRecipients = %v, want %v", tt.svc, got, tt.recipients)
		}
	}
	if snap.IsOwner(snap.Services["by-person"], "") {
		t.Errorf("the empty name owns by-person")
	}
	for name, want := range map[string]string{"ann": "U0ANN", "chan": "C0CHAN", "team": "", "bob": "", "zed": ""} {
		if got := snap.Recipient(name); got != want {
			t.Errorf("Recipient(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestValidateTeamOwner(t *testing.T) {
	cat := &Catalog{
		People:     []Person{{Name: "ann"}, {Name: "both"}},
		Portfolios: []Portfolio{{Name: "pf"}},
		Boards:     []Board{{Name: "team"}, {Name: "both", BoardSpec: BoardSpec{Members: []string{"ann"}}}},
		Services: []Service{
			{Name: "a", ServiceSpec: ServiceSpec{Owner: "team", Portfolio: "pf", Stage: StageOperate}},
			{Name: "b", ServiceSpec: ServiceSpec{Owner: "both", Portfolio: "pf", Stage: StageOperate}},
			{Name: "c", ServiceSpec: ServiceSpec{Owner: "zed", Portfolio: "pf", Stage: StageOperate}},
		},
	}
	var got []string
	for _, p := range cat.Validate() {
		got = append(got, p.Name+" "+p.Path+": "+p.Message)
	}
	want := []string{
		`b spec.owner: "both" names both a person and a board; rename one of them`,
		`c spec.owner: unknown person "zed"`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems = %q, want %q", got, want)
	}
}
