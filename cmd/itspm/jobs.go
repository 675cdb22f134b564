package main

import (
	"context"
	"errors"

	"github.com/itspm/itspm/commands"
)

// runJobs is `itspm jobs list|run`; built by the scheduler work.
func runJobs(ctx context.Context, args []string, std stdio, env []string) error {
	return errors.New("jobs: not built yet")
}

// startJobs starts the scheduler inside `serve`, delivering through n. The
// returned stop waits for running jobs up to ctx's deadline.
func (a *app) startJobs(ctx context.Context, n commands.Notifier) (stop func(context.Context) error, err error) {
	return func(context.Context) error { return nil }, nil
}
