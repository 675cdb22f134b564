package commands

import (
	"context"

	"github.com/itspm/itspm/domain"
)

// Reader is the engine's read-only view of the catalog, for the LLM's
// tools (llm.New): a snapshot to read and today's date, nothing that writes.
func (e *Engine) Reader() ReadView { return ReadView{e} }

// ReadView is what Reader returns.
type ReadView struct{ e *Engine }

// Snapshot reads the catalog.
func (r ReadView) Snapshot(ctx context.Context) (*domain.Snapshot, error) {
	return r.e.store.Snapshot(ctx)
}

// Today is the engine's current date.
func (r ReadView) Today() domain.Date { return r.e.Today() }
