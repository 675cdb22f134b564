package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/joho/godotenv"
)

// Config is SPEC section 3: the environment, with .env in the working
// directory filling in what the real environment does not set.
type Config struct {
	MongoURI      string
	MongoDatabase string
	DataDir       string

	SlackBotToken      string
	SlackSigningSecret string
	SlackAppToken      string
	SlackAPIURL        string

	HTTPAddr  string
	Admins    []string
	Timezone  string
	Location  *time.Location
	Schedules map[string]string // job name → cron spec override

	OpenAIKey     string
	OpenAIBaseURL string
	OpenAIModel   string

	LogLevel  slog.Level
	LogFormat string

	// Live SLIs (SPEC section 9): job sli-sync exists when the URL is set.
	// The token is sent as a bearer token and never logged.
	PrometheusURL      string
	PrometheusToken    string
	ContractWindowDays int // ITSPM_CONTRACT_WINDOW_DAYS: contracts ending within it are reminded of
}

// Variables lists every variable the configuration reads (besides the
// ITSPM_SCHEDULE_<JOB> family); deploy tests check manifests against it.
var Variables = []string{
	"MONGODB_URI", "MONGODB_DATABASE", "ITSPM_DATA_DIR",
	"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL",
	"ITSPM_HTTP_ADDR", "ITSPM_ADMINS", "ITSPM_TIMEZONE",
	"OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL",
	"ITSPM_LOG_LEVEL", "ITSPM_LOG_FORMAT",
	"ITSPM_PROMETHEUS_URL", "ITSPM_PROMETHEUS_BEARER_TOKEN",
	"ITSPM_CONTRACT_WINDOW_DAYS",
}

// SchedulePrefix starts the per-job schedule overrides.
const SchedulePrefix = "ITSPM_SCHEDULE_"

// environ merges the process environment over .env.
type environ map[string]string

func loadEnviron(env []string, dotenv string) (environ, error) {
	e := environ{}
	if dotenv != "" {
		m, err := godotenv.Read(dotenv)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("%s: %v", dotenv, err)
		default:
			for k, v := range m {
				e[k] = v
			}
		}
	}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			e[k] = v
		}
	}
	return e, nil
}

func (e environ) get(k, def string) string {
	if v, ok := e[k]; ok && strings.TrimSpace(v) != "" {
		return strings.TrimSpace(v)
	}
	return def
}

// loadConfig reads and checks every variable, returning one error per bad
// variable. jobNames are the jobs whose schedules may be overridden.
func loadConfig(e environ, jobNames []string) (Config, []error) {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}
	c := Config{
		MongoURI:           e.get("MONGODB_URI", ""),
		MongoDatabase:      e.get("MONGODB_DATABASE", "itspm"),
		DataDir:            e.get("ITSPM_DATA_DIR", "./data"),
		SlackBotToken:      e.get("SLACK_BOT_TOKEN", ""),
		SlackSigningSecret: e.get("SLACK_SIGNING_SECRET", ""),
		SlackAppToken:      e.get("SLACK_APP_TOKEN", ""),
		SlackAPIURL:        e.get("SLACK_API_URL", "https://slack.com/api/"),
		HTTPAddr:           e.get("ITSPM_HTTP_ADDR", ":8080"),
		Timezone:           e.get("ITSPM_TIMEZONE", "UTC"),
		OpenAIKey:          e.get("OPENAI_API_KEY", ""),
		OpenAIBaseURL:      e.get("OPENAI_BASE_URL", ""),
		OpenAIModel:        e.get("OPENAI_MODEL", "gpt-4o-mini"),
		LogFormat:          strings.ToLower(e.get("ITSPM_LOG_FORMAT", "json")),
		Schedules:          map[string]string{},
		PrometheusURL:      e.get("ITSPM_PROMETHEUS_URL", ""),
		PrometheusToken:    e.get("ITSPM_PROMETHEUS_BEARER_TOKEN", ""),
	}
	if c.MongoURI != "" && !strings.HasPrefix(c.MongoURI, "mongodb://") && !strings.HasPrefix(c.MongoURI, "mongodb+srv://") {
		bad("MONGODB_URI", "must start with mongodb:// or mongodb+srv://")
	}
	if strings.ContainsAny(c.MongoDatabase, `/\. "$`) || len(c.MongoDatabase) > 63 {
		bad("MONGODB_DATABASE", "%q is not a valid database name (no /, \\, ., spaces, \" or $; at most 63 characters)", c.MongoDatabase)
	}
	if c.SlackBotToken != "" && !strings.HasPrefix(c.SlackBotToken, "xoxb-") {
		bad("SLACK_BOT_TOKEN", "must be a bot token starting with xoxb-")
	}
	if c.SlackAppToken != "" && !strings.HasPrefix(c.SlackAppToken, "xapp-") {
		bad("SLACK_APP_TOKEN", "must be an app-level token starting with xapp-")
	}
	if u, err := url.Parse(c.SlackAPIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("SLACK_API_URL", "%q is not an http(s) URL", c.SlackAPIURL)
	} else if !strings.HasSuffix(c.SlackAPIURL, "/") {
		c.SlackAPIURL += "/"
	}
	if _, port, err := net.SplitHostPort(c.HTTPAddr); err != nil || port == "" {
		bad("ITSPM_HTTP_ADDR", "%q is not a listen address like :8080 or 127.0.0.1:8080", c.HTTPAddr)
	}
	for _, a := range strings.Split(e.get("ITSPM_ADMINS", ""), ",") {
		if a = strings.TrimSpace(a); a != "" {
			c.Admins = append(c.Admins, a)
		}
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil || c.Timezone == "Local" {
		bad("ITSPM_TIMEZONE", "%q is not an IANA time zone (like UTC or Europe/Berlin)", c.Timezone)
		loc = time.UTC
	}
	c.Location = loc
	if c.OpenAIBaseURL != "" {
		if u, err := url.Parse(c.OpenAIBaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("OPENAI_BASE_URL", "%q is not an http(s) URL", c.OpenAIBaseURL)
		}
	}
	if c.PrometheusURL != "" {
		if u, err := url.Parse(c.PrometheusURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			bad("ITSPM_PROMETHEUS_URL", "is not an http(s) URL without credentials, like http://prometheus:9090 (put a token in ITSPM_PROMETHEUS_BEARER_TOKEN)")
		}
	} else if c.PrometheusToken != "" {
		bad("ITSPM_PROMETHEUS_BEARER_TOKEN", "is set but ITSPM_PROMETHEUS_URL is not")
	}
	switch lvl := strings.ToLower(e.get("ITSPM_LOG_LEVEL", "info")); lvl {
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "info":
		c.LogLevel = slog.LevelInfo
	case "warn", "warning":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		bad("ITSPM_LOG_LEVEL", "%q is not one of debug, info, warn, error", lvl)
	}
	{
		v := e.get("ITSPM_CONTRACT_WINDOW_DAYS", "90")
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > 3650 {
			bad("ITSPM_CONTRACT_WINDOW_DAYS", "%q is not a number of days from 1 to 3650", v)
		}
		c.ContractWindowDays = n
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		bad("ITSPM_LOG_FORMAT", "%q is not json or text", c.LogFormat)
	}
	known := map[string]string{}
	for _, n := range jobNames {
		known[SchedulePrefix+strings.ToUpper(strings.ReplaceAll(n, "-", "_"))] = n
	}
	var keys []string
	for k := range e {
		if strings.HasPrefix(k, SchedulePrefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		job, ok := known[k]
		if !ok {
			bad(k, "no job by that name (jobs: %s)", strings.Join(jobNames, ", "))
			continue
		}
		if v := e.get(k, ""); v != "" {
			c.Schedules[job] = v
		}
	}
	return c, errs
}

// requireServe checks what `serve` needs beyond the common settings.
func (c Config) requireServe() []error {
	var errs []error
	if c.SlackBotToken == "" {
		errs = append(errs, errors.New("SLACK_BOT_TOKEN: required by serve (the xoxb- bot token from your Slack app's OAuth page)"))
	}
	if c.SlackAppToken == "" && c.SlackSigningSecret == "" {
		errs = append(errs, errors.New("SLACK_SIGNING_SECRET: required by serve unless SLACK_APP_TOKEN enables Socket Mode (Basic Information → Signing Secret)"))
	}
	return errs
}

// newLogger builds the slog logger the configuration asks for.
func (c Config) newLogger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
