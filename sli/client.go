package sli

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// Kinds of failure, as the owner's report names them.
const (
	Unreachable   = "unreachable"     // connection refused, DNS, TLS
	ServerError   = "server error"    // HTTP 5xx
	Timeout       = "timeout"         // no answer within the query timeout
	BadQuery      = "bad query"       // Prometheus rejected the query (4xx, bad_data, execution)
	NoSeries      = "no series"       // the query matched nothing in the month
	SeveralSeries = "several series"  // the query gives more than one number
	NotANumber    = "not a number"    // NaN or ±Inf
	UnitMismatch  = "unit mismatch"   // see CheckUnit
	BadResponse   = "bad response"    // not a Prometheus API answer
	Unexpected    = "unexpected type" // not a vector
)

// Error is a KPI that could not be synced, with a message for its owner.
// It never carries the bearer token or the server's response body.
type Error struct {
	Kind string
	Msg  string
}

func (e *Error) Error() string { return e.Kind + ": " + e.Msg }

// Options configure a Client.
type Options struct {
	URL         string        // ITSPM_PROMETHEUS_URL
	BearerToken string        // ITSPM_PROMETHEUS_BEARER_TOKEN, optional
	Timeout     time.Duration // per query, default 30s
	// Transport is the HTTP transport (tests); default one with dial and
	// TLS timeouts.
	Transport http.RoundTripper
}

// Client asks one Prometheus server for monthly KPI values.
type Client struct {
	api     v1.API
	timeout time.Duration
}

// New checks the URL and returns a client. It does not connect.
func New(o Options) (*Client, error) {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an http(s) URL", o.URL)
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	rt := o.Transport
	if rt == nil {
		rt = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: o.Timeout,
			MaxIdleConnsPerHost:   8,
			IdleConnTimeout:       90 * time.Second,
		}
	}
	if o.BearerToken != "" {
		rt = bearer{token: o.BearerToken, next: rt}
	}
	c, err := api.NewClient(api.Config{Address: o.URL, RoundTripper: rt})
	if err != nil {
		return nil, fmt.Errorf("prometheus client: %w", err)
	}
	return &Client{api: v1.NewAPI(c), timeout: o.Timeout}, nil
}

// bearer adds the Authorization header; the token appears nowhere else.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// Average evaluates query averaged over [start, end) (see the package
// comment) and returns the one number it gives. Every failure is an *Error.
func (c *Client) Average(ctx context.Context, query string, start, end time.Time) (float64, error) {
	if err := Check(query); err != nil {
		return 0, &Error{Kind: BadQuery, Msg: err.Error()}
	}
	expr := MonthExpr(query, int64(end.Sub(start)/time.Second))
	qctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	val, _, _, err := c.api.Query(qctx, expr, end.Add(-time.Second), v1.WithTimeout(c.timeout))
	if err != nil {
		return 0, classify(ctx, qctx, err)
	}
	vec, ok := val.(model.Vector)
	if !ok {
		return 0, &Error{Kind: Unexpected, Msg: fmt.Sprintf("Prometheus answered with a %s, not a vector", val.Type())}
	}
	switch len(vec) {
	case 0:
		return 0, &Error{Kind: NoSeries, Msg: "the query returned no series for the month (no data, or labels that match nothing)"}
	case 1:
	default:
		return 0, &Error{Kind: SeveralSeries, Msg: fmt.Sprintf("the query returned %d series (%s); aggregate them to one, e.g. avg(…) or sum(…)", len(vec), seriesList(vec))}
	}
	v := float64(vec[0].Value)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, &Error{Kind: NotANumber, Msg: fmt.Sprintf("the query's monthly average is %v (a division by zero?)", v)}
	}
	return v, nil
}

func seriesList(vec model.Vector) string {
	var names []string
	for _, s := range vec {
		names = append(names, s.Metric.String())
	}
	sort.Strings(names)
	if len(names) > 3 {
		names = append(names[:3], "…")
	}
	return strings.Join(names, ", ")
}

// classify turns a client failure into a report. Messages keep to what
// the client did and what Prometheus said, never the request headers.
func classify(parent, qctx context.Context, err error) error {
	var ae *v1.Error
	if errors.As(err, &ae) {
		switch ae.Type {
		case v1.ErrServer:
			return &Error{Kind: ServerError, Msg: "Prometheus answered " + ae.Msg}
		case v1.ErrTimeout:
			return &Error{Kind: Timeout, Msg: "Prometheus timed out evaluating the query: " + ae.Msg}
		case v1.ErrBadData, v1.ErrExec, v1.ErrClient:
			return &Error{Kind: BadQuery, Msg: "Prometheus rejected the query: " + ae.Msg}
		case v1.ErrCanceled:
			return &Error{Kind: Timeout, Msg: "the query was cancelled"}
		default:
			return &Error{Kind: BadResponse, Msg: ae.Msg}
		}
	}
	if errors.Is(err, context.DeadlineExceeded) || qctx.Err() != nil && parent.Err() == nil {
		return &Error{Kind: Timeout, Msg: "no answer from Prometheus within the query timeout"}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &Error{Kind: Timeout, Msg: "no answer from Prometheus within the query timeout"}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &Error{Kind: Unreachable, Msg: "cannot reach Prometheus: " + err.Error()}
}
