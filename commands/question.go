package commands

import "context"

// question answers anything that is not a command: the LLM when one is
// configured, else the built-in parser.
func (e *Engine) question(ctx context.Context, c Caller, text string) (Reply, error) {
	if e.asker != nil {
		if r, err := e.asker.Ask(ctx, c, text); err == nil {
			return r, nil
		} else {
			e.logger.Warn("LLM answer failed; using the built-in parser", "err", err)
		}
	}
	snap, err := e.store.Snapshot(ctx)
	if err != nil {
		return Reply{}, err
	}
	return e.Answer(snap, e.Identify(snap, c), text), nil
}
