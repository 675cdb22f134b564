package questions

import (
	"errors"
	"slices"
	"strings"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
)

// IsChangeRequest reports whether text asks to change something, which is
// answered with the command to use before any model sees it.
func (e *Parser) IsChangeRequest(text string) bool { return isChangeRequest(text) }

// AsQuestion reports whether a read command that failed with err was a
// question that starts like a command ("owner of dwh").
func (e *Parser) AsQuestion(verb string, args []string, err error) bool {
	return asQuestion(verb, args, err)
}

// readVerbs are the commands whose failure to find a service may just mean
// the text was a question that starts like a command ("owner of dwh").
var readVerbs = []string{"service", "owner", "cost", "deps", "roadmap", "dr", "performance", "history"}

// asQuestion reports whether a failed command should be read as a question.
func asQuestion(verb string, args []string, err error) bool {
	if !slices.Contains(readVerbs, verb) {
		return false
	}
	if commands.MentionsRecord(args) {
		return false
	}
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.NotFound && de.Code != domain.Invalid || len(args) == 0 {
		return false
	}
	// Only text that reads as a sentence: "owner of dwh", "cost of the
	// VPN?". A plain wrong name ("owner payrolx") keeps the command's
	// "did you mean" answer.
	last := args[len(args)-1]
	if sentenceStart[strings.ToLower(args[0])] || strings.HasSuffix(last, "?") {
		return true
	}
	// "roadmap items due in december", "roadmap payroll this quarter":
	// several words of the question language after the command word.
	n := 0
	for _, w := range words(strings.Join(args, " ")) {
		if vocabulary(w) {
			n++
		}
	}
	return n >= 2
}

// sentenceStart are words that begin a question after a command word
// ("owner of …", "cost for …", "dr is …").
var sentenceStart = setOf("of for the about on in is are was does do did at to with from this my our a an")

// readOnlyActions drops buttons that would change something: an answer to
// a question offers only more reading.
func readOnlyActions(acts []commands.Action) []commands.Action {
	return slices.DeleteFunc(acts, func(a commands.Action) bool {
		f := strings.Fields(a.Command)
		return a.ID != "" || len(f) == 0 || !slices.Contains(append(readVerbs, "find", "help", "tollgates"), f[0]) ||
			slices.Contains(f, "record")
	})
}
