package main

import (
	"context"
	"errors"
)

// runServe is built by the Slack work (bot package).
func runServe(ctx context.Context, args []string, std stdio, env []string) error {
	return errors.New("serve: not built yet")
}
