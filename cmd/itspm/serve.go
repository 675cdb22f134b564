package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/itspm/itspm/bot"
	"github.com/itspm/itspm/jobs"
)

// shutdownGrace bounds the drain after SIGINT/SIGTERM: in-flight HTTP
// requests, acknowledged Slack work and running jobs.
const shutdownGrace = 30 * time.Second

// runServe is `itspm serve`: the Slack endpoints (and Socket Mode when
// SLACK_APP_TOKEN is set), health and metrics, and the scheduler, until ctx
// is cancelled; then it drains in-flight work and returns nil (exit 0).
func runServe(ctx context.Context, args []string, std stdio, env []string) error {
	if len(args) > 0 {
		return usageError{fmt.Sprintf("serve takes no arguments (got %q); configure it through the environment", args[0])}
	}
	a, err := loadApp(std, env)
	if err != nil {
		return err
	}
	if errs := a.cfg.requireServe(); len(errs) > 0 {
		return joinLines(errs)
	}
	socketMode := a.cfg.SlackAppToken != ""

	// The sender is the notifier of the tollgate workflow, so it must exist
	// before open builds the engine.
	sender := bot.NewSender(bot.NewClient(a.cfg.SlackBotToken, a.cfg.SlackAppToken, a.cfg.SlackAPIURL), bot.SenderOptions{Logger: a.logger, ButtonKey: bot.ButtonKey(a.cfg.SlackBotToken)})
	a.notifier = sender
	if err := a.open(ctx); err != nil {
		return err
	}
	defer a.close()

	botUser, err := identify(ctx, a.logger, sender)
	if err != nil {
		return err
	}
	srv := bot.New(a.engine, sender, a.store, bot.Options{
		SigningSecret: a.cfg.SlackSigningSecret,
		Reminders:     jobs.Reminders{Store: a.store},
		BotUserID:     botUser,
		Logger:        a.logger,
		RenderChart:   jobs.RenderCostChart,
	})

	ln, err := net.Listen("tcp", a.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("ITSPM_HTTP_ADDR: cannot listen on %s: %v", a.cfg.HTTPAddr, err)
	}
	stopJobs, err := a.startJobs(ctx, sender)
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("start the scheduler: %w", err)
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(a.logger.Handler(), slog.LevelWarn),
	}

	mode, storeKind := "HTTP", "MongoDB"
	if socketMode {
		mode = "Socket Mode"
	}
	if a.cfg.MongoURI == "" {
		storeKind = "embedded (" + a.cfg.DataDir + ")"
	}
	a.logger.Info("itspm serving",
		"version", version, "commit", commit,
		"addr", ln.Addr().String(), "mode", mode, "store", storeKind,
		"database", a.cfg.MongoDatabase, "timezone", a.cfg.Timezone, "bot_user", botUser)

	errc := make(chan error, 2)
	go func() {
		if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http server: %w", err)
		}
	}()
	socketCtx, stopSocket := context.WithCancel(context.Background())
	defer stopSocket()
	socketDone := make(chan struct{})
	if socketMode {
		go func() {
			defer close(socketDone)
			if err := srv.RunSocketMode(socketCtx); err != nil {
				errc <- fmt.Errorf("SLACK_APP_TOKEN: %w", err)
			}
		}()
	} else {
		close(socketDone)
	}

	var runErr error
	select {
	case <-ctx.Done():
		a.logger.Info("shutting down: draining in-flight work", "grace", shutdownGrace)
	case runErr = <-errc:
		a.logger.Error("shutting down after a fatal error", "err", runErr)
	}

	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	// Stop taking requests first (HTTP and the socket), then finish what
	// was acknowledged, then the jobs; the store closes last (deferred).
	stopSocket()
	if err := hs.Shutdown(sctx); err != nil {
		a.logger.Warn("http shutdown", "err", err)
	}
	<-socketDone
	if err := srv.Shutdown(sctx); err != nil {
		a.logger.Warn("slack work shutdown", "err", err)
	}
	if err := stopJobs(sctx); err != nil {
		a.logger.Warn("scheduler shutdown", "err", err)
	}
	a.logger.Info("itspm stopped")
	return runErr
}

// identify asks Slack who the bot is (auth.test), which also checks the
// token. A refused token stops start-up; an unreachable Slack does not
// (the bot then recognises its own messages by bot_id alone).
func identify(ctx context.Context, logger *slog.Logger, sender *bot.Sender) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	user, err := sender.AuthTest(ctx)
	if err == nil {
		return user, nil
	}
	for _, code := range []string{"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"} {
		if bot.IsSlackError(err, code) {
			return "", fmt.Errorf("SLACK_BOT_TOKEN: Slack refused the token (%s)", code)
		}
	}
	logger.Warn("auth.test failed; starting anyway", "err", err)
	return "", nil
}
