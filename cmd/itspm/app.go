package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/storage"
	"github.com/itspm/itspm/tollgates"
)

// app is the wiring shared by every subcommand: configuration, logger,
// store and command engine.
type app struct {
	cfg    Config
	logger *slog.Logger
	store  *storage.Store
	engine *commands.Engine

	// notifier delivers workflow messages: Slack in serve, the terminal in
	// chat. Set it before open.
	notifier commands.Notifier
	flow     *tollgates.Workflow // tollgate approvals, wired by open
}

// jobNames are the jobs whose schedules ITSPM_SCHEDULE_<JOB> may override:
// the built-in ones and sli-sync, which runs only with a Prometheus URL. A
// literal, because the deploy tests read it from the source;
// TestJobNamesCoverEveryJob keeps it complete.
var jobNames = []string{"performance-reviews", "roadmap-reminders", "continuity-tests", "tollgate-reminders", "contract-renewals", "governance-digest", "sli-sync"}

// loadApp reads the configuration; it does not open the store.
func loadApp(io stdio, env []string) (*app, error) {
	e, err := loadEnviron(env, ".env")
	if err != nil {
		return nil, err
	}
	cfg, errs := loadConfig(e, jobNames)
	if len(errs) > 0 {
		return nil, joinLines(errs)
	}
	return &app{cfg: cfg, logger: cfg.newLogger(io.err)}, nil
}

// joinLines is an error printing one line per error.
func joinLines(errs []error) error {
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return errors.New(strings.Join(msgs, "\nitspm: "))
}

// open connects the store and builds the engine.
func (a *app) open(ctx context.Context) error {
	octx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	st, err := storage.Open(octx, storage.Config{
		URI: a.cfg.MongoURI, Database: a.cfg.MongoDatabase, DataDir: a.cfg.DataDir, Logger: a.logger,
	})
	if err != nil {
		if a.cfg.MongoURI == "" {
			return fmt.Errorf("open the embedded store in %s: %w", a.cfg.DataDir, err)
		}
		return fmt.Errorf("MONGODB_URI: %w", err)
	}
	a.store = st
	a.newEngine(a.cfg.Admins)
	return nil
}

// newEngine builds the command engine with the optional parts wired in.
func (a *app) newEngine(admins []string) {
	a.engine = commands.New(a.store, commands.Options{Admins: admins, Location: a.cfg.Location, Logger: a.logger})
	wireQuestions(a)
	wireWorkflow(a)
	wireAsker(a)
}

func (a *app) close() {
	if a.store != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.store.Close(ctx)
	}
}
