package jobs

import (
	"fmt"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
)

// maxDigestItems bounds the items one digest lists (Block Kit allows 50
// blocks a message); the rest are counted in a closing line.
const maxDigestItems = 20

// maxActions bounds the buttons on one digest.
const maxActions = 5

// slackUser is the person's Slack user ID (for a team named by
// domain.Snapshot.OwnerRecipients, its channel), "" when the catalog has
// none (the message is then counted as skipped, not sent).
func slackUser(snap *domain.Snapshot, person string) string {
	return snap.Recipient(person)
}

// footer says which job sent a message, for which day, and why.
func footer(job string, today domain.Date, why string) string {
	return fmt.Sprintf("Sent by the %s job for %s. %s", job, today, why)
}

// capSections keeps the first maxDigestItems sections and says how many
// more there were.
func capSections(secs []commands.Section, more string) []commands.Section {
	if len(secs) <= maxDigestItems {
		return secs
	}
	rest := len(secs) - maxDigestItems
	out := append([]commands.Section(nil), secs[:maxDigestItems]...)
	return append(out, commands.Section{Text: fmt.Sprintf("…and %d more %s.", rest, more)})
}

// maxItemActions bounds the reminder buttons (Record result, Done…) on one
// digest: one per item listed, in one or two actions blocks.
const maxItemActions = 2 * maxDigestItems

// capItemActions keeps the first maxItemActions reminder buttons.
func capItemActions(a []commands.Action) []commands.Action {
	if len(a) > maxItemActions {
		return a[:maxItemActions]
	}
	return a
}

// capActions keeps the first maxActions actions.
func capActions(a []commands.Action) []commands.Action {
	if len(a) > maxActions {
		return a[:maxActions]
	}
	return a
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func serviceHeading(s *domain.Service) string {
	if s.Title != "" && s.Title != s.Name {
		return fmt.Sprintf("%s (%s)", s.Title, s.Name)
	}
	return s.Name
}
