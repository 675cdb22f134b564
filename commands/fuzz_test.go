package commands_test

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/questions"
)

// fuzzStore is an in-memory Store: fuzzing wants speed, and the parser is
// what is under test.
type fuzzStore struct{ snap *domain.Snapshot }

func (f *fuzzStore) Snapshot(context.Context) (*domain.Snapshot, error) { return f.snap, nil }
func (f *fuzzStore) History(context.Context, string, int) ([]domain.AuditEntry, error) {
	return nil, nil
}
func (f *fuzzStore) UpdateService(_ context.Context, name string, _ domain.AuditEntry, change func(*domain.Service) error) (*domain.Service, error) {
	s, ok := f.snap.Services[name]
	if !ok {
		return nil, domain.Errorf(domain.NotFound, "no service")
	}
	c := *s
	return &c, change(&c)
}

func fuzzSnapshot() *domain.Snapshot {
	s := &domain.Snapshot{
		People:     map[string]*domain.Person{"lee": {Name: "lee", PersonSpec: domain.PersonSpec{DisplayName: "Lee Chen", SlackUser: "U0LEE"}}},
		Portfolios: map[string]*domain.Portfolio{"workplace": {Name: "workplace", PortfolioSpec: domain.PortfolioSpec{Manager: "lee"}}},
		Boards:     map[string]*domain.Board{},
		Tollgates:  map[string]*domain.Tollgate{},
		Services: map[string]*domain.Service{
			"payroll": {Name: "payroll", Title: "Payroll", Aliases: []string{"pay"}, ServiceSpec: domain.ServiceSpec{Owner: "lee", Portfolio: "workplace", Stage: domain.StageOperate, Tier: 1,
				DependsOn:  []string{"identity", "payroll"}, // a cycle through itself must not hang deps
				Cost:       &domain.Cost{Currency: "EUR", TCO: domain.TCO{Licenses: 10}},
				SLA:        []domain.SLATarget{{KPI: "availability", Target: 99.9}},
				Continuity: &domain.Continuity{TestEvery: domain.Annual},
				Roadmap:    []domain.RoadmapItem{{Title: "x", Due: "2026-12-01"}},
			}},
			"identity": {Name: "identity", Title: "Identity <!channel> & co", ServiceSpec: domain.ServiceSpec{Owner: "lee", Portfolio: "workplace", Stage: domain.StageDesign, DependsOn: []string{"payroll"}}},
		},
	}
	s.Reindex()
	return s
}

// FuzzHandle: no input panics, hangs or answers with invalid UTF-8 or a
// runaway reply.
func FuzzHandle(f *testing.F) {
	for _, seed := range []string{
		"help", "owner payroll", "service pay", "cost payroll", "deps payroll", "deps identity", "find pay", "roadmap payroll",
		"dr payroll", "dr payroll record pass all good", "dr payroll record", "performance payroll", "history payroll",
		"who owns payroll?", "what depends on identity?", "owner \xff\xfe", "owner " + strings.Repeat("a", 5000),
		"tollgate payroll improve", "approve TG-1", "", "   ", "dr  record pass", "find", "owner \uE000U1|x\uE001",
	} {
		f.Add(seed)
	}
	store := &fuzzStore{snap: fuzzSnapshot()}
	e := commands.New(store, commands.Options{Admins: []string{"lee"}, Now: func() time.Time { return time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) }})
	e.SetQuestions(questions.New(e))
	f.Fuzz(func(t *testing.T, text string) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		r, err := e.Handle(ctx, commands.Caller{Person: "lee"}, text)
		if time.Since(start) > 2*time.Second {
			t.Fatalf("Handle(%q) took %s", text, time.Since(start))
		}
		if err != nil {
			if msg, _ := commands.ErrorText(err); msg == "" {
				t.Fatalf("error without text: %v", err)
			}
			return
		}
		out := commands.PlainText(r)
		if !utf8.ValidString(out) {
			t.Fatalf("reply to %q is not valid UTF-8", text)
		}
		if len(out) > 200_000 {
			t.Fatalf("reply to %q is %d bytes", text, len(out))
		}
	})
}
