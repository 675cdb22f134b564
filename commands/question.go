package commands

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/metrics"
)

// question answers anything that is not a command. A request to change
// something is answered with the command to use, before any LLM sees it;
// then the LLM when one is configured, falling back to the built-in parser
// on any error (timeout, rate limit, bad tool call …). The built-in
// parser's answers can be paged by asking again (Reply.Again); a model's
// answer, which asking again may change, cannot.
func (e *Engine) question(ctx context.Context, c Caller, text string) (Reply, error) {
	snap, err := e.store.Snapshot(ctx)
	if err != nil {
		return Reply{}, err
	}
	c = e.Identify(snap, c)
	if isChangeRequest(text) {
		if e.asker != nil {
			metrics.LLMRequests.WithLabelValues("refused").Inc()
		}
		return again(e.Answer(snap, c, text), text), nil
	}
	if e.asker != nil {
		r, err := e.asker.Ask(ctx, c, text)
		if err == nil {
			return r, nil
		}
		e.log(ctx).Warn("LLM answer failed; using the built-in parser", "err", err)
	}
	return again(e.Answer(snap, c, text), text), nil
}

// readVerbs are the commands whose failure to find a service may just mean
// the text was a question that starts like a command ("owner of dwh").
var readVerbs = []string{"service", "owner", "cost", "deps", "roadmap", "dr", "performance", "history"}

// asQuestion reports whether a failed command should be read as a question.
func asQuestion(verb string, args []string, err error) bool {
	if !slices.Contains(readVerbs, verb) {
		return false
	}
	if MentionsRecord(args) {
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
func readOnlyActions(acts []Action) []Action {
	return slices.DeleteFunc(acts, func(a Action) bool {
		f := strings.Fields(a.Command)
		return a.ID != "" || len(f) == 0 || !slices.Contains(append(readVerbs, "find", "help", "tollgates"), f[0]) ||
			slices.Contains(f, "record")
	})
}
