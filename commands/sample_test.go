package commands_test

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/internal/samplestore"
	"github.com/itspm/itspm/questions"
	"github.com/itspm/itspm/storage"
)

// evalNow is "today" for every question test: the sample catalog is written
// as of late November 2026.
var evalNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// sampleEngine is an engine over the sample catalog, today = evalNow, that
// answers questions with the built-in parser.
func sampleEngine(t *testing.T, logger *slog.Logger) (*commands.Engine, *storage.Store) {
	t.Helper()
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	st := samplestore.New(t)
	e := commands.New(st, commands.Options{Now: func() time.Time { return evalNow }, Logger: logger, Admins: []string{"U0SAM"}})
	e.SetQuestions(questions.New(e))
	return e, st
}
