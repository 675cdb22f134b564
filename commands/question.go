package commands

import (
	"context"

	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/metrics"
)

// Questions understands plain language without a network (package
// questions implements it); wire it with Engine.SetQuestions.
type Questions interface {
	// Answer answers text from snap; it never changes anything.
	Answer(snap *domain.Snapshot, c Caller, text string) Reply
	// IsChangeRequest reports whether text asks to change something.
	IsChangeRequest(text string) bool
	// AsQuestion reports whether a read command that failed with err was a
	// question that starts like a command ("owner of dwh").
	AsQuestion(verb string, args []string, err error) bool
}

// SetQuestions enables answers to questions in plain language.
func (e *Engine) SetQuestions(q Questions) { e.parser = q }

// question answers anything that is not a command. A request to change
// something is answered with the command to use, before any LLM sees it;
// then the LLM when one is configured, falling back to the built-in parser
// on any error (timeout, rate limit, bad tool call …). The built-in
// parser's answers can be paged by asking again (Reply.Again); a model's
// answer, which asking again may change, cannot.
func (e *Engine) question(ctx context.Context, c Caller, text string) (Reply, error) {
	if e.parser == nil {
		return Refusal("Questions in plain language are not enabled in this build; `help` lists the commands."), nil
	}
	snap, err := e.store.Snapshot(ctx)
	if err != nil {
		return Reply{}, err
	}
	c = e.Identify(snap, c)
	if e.parser.IsChangeRequest(text) {
		if e.asker != nil {
			metrics.LLMRequests.WithLabelValues("refused").Inc()
		}
		return again(e.parser.Answer(snap, c, text), text), nil
	}
	if e.asker != nil {
		r, err := e.asker.Ask(ctx, c, text)
		if err == nil {
			return r, nil
		}
		e.log(ctx).Warn("LLM answer failed; using the built-in parser", "err", err)
	}
	return again(e.parser.Answer(snap, c, text), text), nil
}

// asQuestion reports whether a failed command should be read as a question.
func (e *Engine) asQuestion(verb string, args []string, err error) bool {
	return e.parser != nil && e.parser.AsQuestion(verb, args, err)
}
