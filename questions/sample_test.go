package questions

import (
	"log/slog"
	"testing"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/internal/samplestore"
	"github.com/itspm/itspm/storage"
)

// evalNow is "today" for every question test (see samplestore.Now).
var evalNow = samplestore.Now

// sampleEngine is an engine over the sample catalog, today = evalNow, that
// answers questions with the built-in parser.
func sampleEngine(t *testing.T, logger *slog.Logger) (*commands.Engine, *storage.Store) {
	t.Helper()
	return samplestore.Engine(t, logger, func(e *commands.Engine) { e.SetQuestions(New(e)) })
}
