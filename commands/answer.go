package commands

import (
	"fmt"
	"strings"

	"github.com/itspm/itspm/domain"
)

// Answer is the built-in question parser (no network). It answers from the
// snapshot, and when unsure says so and suggests a command.
func (e *Engine) Answer(snap *domain.Snapshot, c Caller, text string) Reply {
	return Reply{
		Text: fmt.Sprintf("I'm not sure what you mean by %q. Try `help` for the commands.", strings.TrimSpace(text)),
	}
}
