package commands_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/itspm/itspm/catalog"
	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/questions"
	"github.com/itspm/itspm/storage/storetest"
)

// A service owned by a team (a Backstage Group imported as a board): its
// members act as its owner, and the owner answers name the team and them.
func TestTeamOwner(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	files, err := catalog.ReadPaths([]string{"../catalog/testdata/backstage/catalog-info.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if _, errs, err := catalog.ImportWith(ctx, st, files, catalog.ImportOptions{Actor: "test"}); err != nil || len(errs) > 0 {
		t.Fatalf("import: %v %v", err, errs)
	}
	e := commands.New(st, commands.Options{Now: func() time.Time { return evalNow }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	e.SetQuestions(questions.New(e))

	tests := []struct {
		name, person, text string
		want               []string // in the reply text, or in the error
		forbidden          bool
	}{
		{"owner command lists the team and its members", "quentin-oduya", "owner loan-desk",
			[]string{"Loan Desk is owned by Circulation Team (team: ", "Mira Okafor", ", Tobias Lind)"}, false},
		{"who owns, as a question", "quentin-oduya", "who owns loan desk?",
			[]string{"Circulation Team (team: ", "Mira Okafor", "Tobias Lind"}, false},
		{"a member records a DR test", "tobias-lind", "dr loan-desk record pass drill", []string{"pass"}, false},
		{"a member of another team may not", "quentin-oduya", "dr loan-desk record pass", []string{"Only Loan Desk's owner (Circulation Team (team:"}, true},
		{"a member's services include the team's", "quentin-oduya", "which services does Tobias Lind own?", []string{"Loan Desk", "Catalogue-search"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := e.Handle(ctx, commands.Caller{Person: tt.person, Source: "test"}, tt.text)
			text := commands.PlainText(r)
			var de *domain.Error
			if errors.As(err, &de) {
				if tt.forbidden != (de.Code == domain.Forbidden) {
					t.Fatalf("error %v, forbidden want %v", err, tt.forbidden)
				}
				text = de.Message
			} else if err != nil {
				t.Fatal(err)
			} else if tt.forbidden {
				t.Fatalf("not refused: %q", r.Text)
			}
			for _, w := range tt.want {
				if !strings.Contains(strings.ToLower(text), strings.ToLower(w)) {
					t.Errorf("%q: reply %q lacks %q", tt.text, text, w)
				}
			}
		})
	}
}
