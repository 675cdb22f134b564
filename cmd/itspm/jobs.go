package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/slack-go/slack"

	"github.com/itspm/itspm/bot"
	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/jobs"
)

const jobsUsage = "usage: itspm jobs list | itspm jobs run NAME [--at RFC3339]"

// runJobs is `itspm jobs list` and `itspm jobs run NAME [--at RFC3339]`.
func runJobs(ctx context.Context, args []string, std stdio, env []string) error {
	if len(args) == 0 {
		return usageError{"jobs needs a subcommand: " + jobsUsage}
	}
	switch args[0] {
	case "list":
		if len(args) > 1 {
			return usageError{fmt.Sprintf("jobs list takes no arguments (got %q)", args[1])}
		}
		a, err := openApp(ctx, std, env)
		if err != nil {
			return err
		}
		defer a.close()
		return a.jobsList(ctx, std.out)
	case "run":
		flags, pos, err := splitFlags(args[1:], map[string]bool{"at": true}, nil)
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return usageError{"jobs run needs one job name (" + strings.Join(jobs.Names(), ", ") + "): " + jobsUsage}
		}
		var at time.Time
		if v, ok := flags["at"]; ok {
			if at, err = time.Parse(time.RFC3339, v); err != nil {
				return usageError{fmt.Sprintf("--at %q is not an RFC 3339 time like 2026-11-27T09:00:00Z", v)}
			}
		}
		a, err := openApp(ctx, std, env)
		if err != nil {
			return err
		}
		defer a.close()
		if at.IsZero() {
			at = time.Now()
		}
		var n jobs.Notifier
		if a.cfg.SlackBotToken != "" {
			n = slackNotifier{bot.NewSender(bot.NewClient(a.cfg.SlackBotToken, "", a.cfg.SlackAPIURL), bot.SenderOptions{Logger: a.logger, ButtonKey: bot.ButtonKey(a.cfg.SlackBotToken)})}
		}
		return a.jobsRun(ctx, pos[0], at, n, std.out)
	}
	return usageError{fmt.Sprintf("unknown jobs subcommand %q: %s", args[0], jobsUsage)}
}

func openApp(ctx context.Context, std stdio, env []string) (*app, error) {
	a, err := loadApp(std, env)
	if err != nil {
		return nil, err
	}
	if err := a.open(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

// scheduler builds the scheduler from the configuration; an invalid
// ITSPM_SCHEDULE_<JOB> is an error naming the variable.
func (a *app) scheduler(enqueued func()) (*jobs.Scheduler, error) {
	extra, err := a.sliJobs()
	if err != nil {
		return nil, err
	}
	return jobs.New(jobs.Options{
		Store: a.store, Location: a.cfg.Location, Schedules: a.cfg.Schedules,
		Logger: a.logger, Enqueued: enqueued, Jobs: append(jobs.BuiltinWith(a.cfg.ContractWindowDays), extra...),
	})
}

// jobsList prints each job's schedule, time zone, last and next run.
func (a *app) jobsList(ctx context.Context, w io.Writer) error {
	s, err := a.scheduler(nil)
	if err != nil {
		return err
	}
	rows, err := s.Status(ctx, time.Now())
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB\tSCHEDULE\tTIME ZONE\tLAST RUN\tNEXT RUN\tOUTBOX")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Schedule, r.Location, lastRunText(r.Last, r.Location), localTime(r.Next, r.Location), outboxText(r.Pending, r.Failed))
	}
	return tw.Flush()
}

func localTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "never"
	}
	return t.In(loc).Format("2006-01-02 15:04 MST")
}

func lastRunText(r *domain.JobRun, loc *time.Location) string {
	if r == nil {
		return "never"
	}
	s := localTime(r.At, loc) + " " + r.Status
	switch r.Status {
	case domain.JobOK:
		s += fmt.Sprintf(" (%s)", plural(r.Messages, "message"))
	case domain.JobError, domain.JobPanic:
		s += " (" + firstLine(r.Error) + ")"
	}
	if r.Manual {
		s += " [jobs run]"
	}
	return s
}

func outboxText(pending, failed int) string {
	var parts []string
	if pending > 0 {
		parts = append(parts, fmt.Sprintf("%d pending", pending))
	}
	if failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed", failed))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

// jobsRun runs one occurrence of name as if scheduled at at. With n nil
// (no SLACK_BOT_TOKEN) it is a dry run: it prints the messages and claims
// nothing, so the real occurrence still runs later. Otherwise it claims the
// occurrence like the scheduler (a second `jobs run` with the same NAME and
// --at, or the scheduler itself, finds it taken and sends nothing),
// enqueues the messages and delivers them.
func (a *app) jobsRun(ctx context.Context, name string, at time.Time, n jobs.Notifier, w io.Writer) error {
	if err := a.checkSLIJob(name); err != nil {
		return err
	}
	s, err := a.scheduler(nil)
	if err != nil {
		return err
	}
	at = at.Truncate(time.Second)
	occ := jobs.OccurrenceID(name, at)
	// The janitor posts nothing and sli-sync's work is storing values:
	// both always run; sli-sync's reports wait in the outbox.
	if n == nil && name != jobs.Janitor && name != jobs.SLISync {
		msgs, err := s.Preview(ctx, name, at)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "Dry run (SLACK_BOT_TOKEN is not set): %s would send %s; nothing was posted or recorded.\n", occ, plural(len(msgs), "message"))
		for _, m := range msgs {
			to := m.To
			if to == "" {
				to = "(nobody: the recipient has no Slack user in the catalog)"
			}
			fmt.Fprintf(w, "\n→ to %s:\n%s\n", to, indent(commands.PlainText(m.Reply)))
			for _, c := range m.Charts {
				fmt.Fprintf(w, "    [chart %s: %s]\n", c.Filename, c.Comment)
			}
		}
		return nil
	}
	res, err := s.RunNow(ctx, name, at)
	if err != nil {
		return err
	}
	if !res.Claimed {
		e := res.Existing
		fmt.Fprintf(w, "%s already ran (%s, by %s at %s); nothing sent again.\n", occ, e.Status, e.Instance, localTime(e.StartedAt, a.cfg.Location))
		return nil
	}
	if res.Err != nil {
		return fmt.Errorf("%s failed: %v", occ, res.Err)
	}
	if n == nil {
		fmt.Fprintf(w, "%s: done.\n", occ)
		printReports(w, res.Messages)
		return nil
	}
	sender := jobs.NewSender(jobs.SenderOptions{Store: a.store, Notifier: n, Instance: s.Instance(), Logger: a.logger})
	dctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	failed, err := sender.Drain(dctx, res.Occurrence)
	fmt.Fprintf(w, "%s: %s enqueued (%d without a Slack user skipped)", occ, plural(res.Enqueued, "message"), res.Skipped)
	if dup := len(res.Messages) - res.Skipped - res.Enqueued; dup > 0 {
		fmt.Fprintf(w, ", %d already enqueued before", dup)
	}
	fmt.Fprintf(w, "; %d failed.\n", failed)
	if err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%s: %s could not be delivered (see the log)", occ, plural(failed, "message"))
	}
	return nil
}

// startJobs starts the scheduler and the outbox sender inside `serve`,
// delivering through n. The returned stop waits for running jobs and the
// delivery in progress up to ctx's deadline.
func (a *app) startJobs(ctx context.Context, n commands.Notifier) (stop func(context.Context) error, err error) {
	jn, ok := n.(jobs.Notifier)
	if !ok {
		jn = noUpload{n, a}
	}
	if bs, ok := n.(*bot.Sender); ok {
		jn = slackNotifier{bs}
	}
	var sender *jobs.Sender
	s, err := a.scheduler(func() { sender.Kick() })
	if err != nil {
		return nil, err
	}
	sender = jobs.NewSender(jobs.SenderOptions{Store: a.store, Notifier: jn, Instance: s.Instance(), Logger: a.logger})
	s.Start(ctx)
	sender.Start(ctx)
	stopMaintenance := a.startMaintenance(ctx)
	return func(ctx context.Context) error {
		stopMaintenance()
		return errors.Join(s.Stop(ctx), sender.Stop(ctx))
	}, nil
}

// noUpload adapts a notifier that cannot upload files: charts are skipped.
type noUpload struct {
	commands.Notifier
	a *app
}

func (n noUpload) Upload(_ context.Context, channel, filename, _ string, _ []byte, _ string) error {
	n.a.logger.Warn("jobs: this notifier cannot upload files; chart skipped", "channel", channel, "file", filename)
	return nil
}

// slackNotifier translates the bot sender's Slack errors into the outbox's
// retry classes, so package jobs needs no Slack types.
type slackNotifier struct{ s *bot.Sender }

func (n slackNotifier) Post(ctx context.Context, to string, r commands.Reply) (string, string, error) {
	ch, ts, err := n.s.Post(ctx, to, r)
	return ch, ts, classify(err)
}

func (n slackNotifier) Upload(ctx context.Context, channel, filename, title string, data []byte, comment string) error {
	return classify(n.s.Upload(ctx, channel, filename, title, data, comment))
}

// permanentSlackErrors are answers that retrying cannot change.
var permanentSlackErrors = map[string]bool{
	"channel_not_found": true, "not_in_channel": true, "is_archived": true, "user_not_found": true,
	"user_disabled": true, "account_inactive": true, "invalid_auth": true, "not_authed": true,
	"token_revoked": true, "token_expired": true, "missing_scope": true, "cannot_dm_bot": true,
	"msg_too_long": true, "invalid_blocks": true, "no_text": true, "restricted_action": true,
	"ekm_access_denied": true, "team_access_not_granted": true,
}

func classify(err error) error {
	if err == nil {
		return nil
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return &jobs.RateLimitError{RetryAfter: rl.RetryAfter, Err: err}
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && permanentSlackErrors[se.Err] {
		return &jobs.PermanentError{Err: err}
	}
	return err
}
