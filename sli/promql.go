// Package sli reads service level indicators from Prometheus for job
// sli-sync (SPEC section 9): it checks an SLA entry's `query:` with
// Prometheus's own PromQL parser, turns it into one monthly value, and asks
// a Prometheus server over its HTTP API (client_golang's api/prometheus/v1).
//
// How a month's value is computed: the KPI's query is written for one
// instant (e.g. `100 * avg(avg_over_time(up{job="payroll"}[5m]))`); the
// month's value is its average over the month, evaluated by Prometheus as
// one instant query of the subquery
//
//	avg_over_time((<query>)[<month length in s>s:5m])
//
// at one second before the next month starts (in ITSPM_TIMEZONE). The
// subquery's steps are aligned to multiples of 5m since the epoch, so the
// points averaged are exactly the month's first instant, every 5 minutes
// after it, and the last 5-minute mark before the next month; the second
// subtracted keeps the next month's first instant out whether the server
// treats ranges as closed (Prometheus 2) or left-open (Prometheus 3). One
// instant query per KPI returns one number, where a range query would
// ship ~8,900 points per KPI to be averaged here.
package sli

import (
	"fmt"
	"strings"

	"github.com/prometheus/prometheus/promql/parser"
)

// Check parses query with Prometheus's PromQL parser and checks that it
// gives an instant vector, the one type a month can be averaged over. The
// message is for the catalog author.
func Check(query string) error {
	if strings.TrimSpace(query) == "" {
		return fmt.Errorf("the query is empty")
	}
	expr, err := parser.ParseExpr(query)
	if err != nil {
		return fmt.Errorf("not valid PromQL: %s", strings.TrimPrefix(err.Error(), "1:"))
	}
	switch t := expr.Type(); t {
	case parser.ValueTypeVector:
		return nil
	case parser.ValueTypeScalar:
		return fmt.Errorf("the query gives a scalar; wrap it in vector(…) so it can be averaged over the month")
	case parser.ValueTypeMatrix:
		return fmt.Errorf("the query gives a range vector; write it for one instant (e.g. avg_over_time(x[5m]) rather than x[5m]): itspm averages it over the month")
	default:
		return fmt.Errorf("the query gives a %s; it must give one number per instant (an instant vector)", t)
	}
}

// Step is the subquery resolution: the month's value averages the query
// every Step.
const Step = "5m"

// MonthExpr is the expression evaluated for a month of the given length in
// seconds (see the package comment).
func MonthExpr(query string, seconds int64) string {
	return fmt.Sprintf("avg_over_time((%s)[%ds:%s])", query, seconds, Step)
}

// Units by Prometheus's metric naming conventions (a unit suffix, before
// _total, _bucket, _sum or _created).
var suffixUnits = []struct{ suffix, unit string }{
	{"_milliseconds", "milliseconds"},
	{"_seconds", "seconds"},
	{"_ratio", "ratio"},
	{"_percent", "percent"},
	{"_bytes", "bytes"},
}

// QueryUnit infers the unit of the query's value from the names of the
// metrics it reads, by Prometheus's naming conventions. It returns "" when
// it cannot tell: metrics without a unit suffix, metrics of different
// units, or arithmetic with a number (`100 * x_ratio` is a percentage, not
// a ratio), comparisons, or counting functions.
func QueryUnit(query string) string {
	expr, err := parser.ParseExpr(query)
	if err != nil {
		return ""
	}
	unit, unknown := "", false
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.BinaryExpr:
			if n.Op.IsComparisonOperator() || isNumber(n.LHS) || isNumber(n.RHS) {
				unknown = true
			}
		case *parser.Call:
			switch n.Func.Name {
			case "count_over_time", "absent", "absent_over_time", "changes", "resets", "timestamp", "vector", "scalar", "time":
				unknown = true
			}
		case *parser.AggregateExpr:
			switch n.Op {
			case parser.COUNT, parser.COUNT_VALUES, parser.GROUP:
				unknown = true
			}
		case *parser.VectorSelector:
			u := nameUnit(n.Name)
			if u == "" || (unit != "" && u != unit) {
				unknown = true
			}
			unit = u
		}
		return nil
	})
	if unknown {
		return ""
	}
	return unit
}

func isNumber(e parser.Expr) bool {
	for {
		switch x := e.(type) {
		case *parser.NumberLiteral:
			return true
		case *parser.ParenExpr:
			e = x.Expr
		case *parser.UnaryExpr:
			e = x.Expr
		default:
			return false
		}
	}
}

func nameUnit(name string) string {
	for _, s := range []string{"_total", "_bucket", "_sum", "_created"} {
		name = strings.TrimSuffix(name, s)
	}
	for _, su := range suffixUnits {
		if strings.HasSuffix(name, su.suffix) {
			return su.unit
		}
	}
	return ""
}

// kpiUnits maps the units SLA entries use to the convention's names.
var kpiUnits = map[string]string{
	"percent": "percent", "%": "percent", "pct": "percent",
	"ratio": "ratio",
	"ms":    "milliseconds", "millisecond": "milliseconds", "milliseconds": "milliseconds",
	"s": "seconds", "sec": "seconds", "second": "seconds", "seconds": "seconds",
	"b": "bytes", "byte": "bytes", "bytes": "bytes",
}

// CheckUnit reports a KPI whose query reads metrics in another unit than
// the KPI's (`unit: ms` over `_seconds` metrics), or whose value cannot be
// in the KPI's unit (a percentage above 100, a negative duration). Units it
// does not know are not checked.
func CheckUnit(kpiUnit, query string, value float64) error {
	want := kpiUnits[strings.ToLower(strings.TrimSpace(kpiUnit))]
	if want == "" {
		return nil
	}
	if got := QueryUnit(query); got != "" && got != want {
		hint := ""
		switch {
		case got == "seconds" && want == "milliseconds":
			hint = " (multiply by 1000 in the query)"
		case got == "milliseconds" && want == "seconds":
			hint = " (divide by 1000 in the query)"
		case got == "ratio" && want == "percent":
			hint = " (multiply by 100 in the query)"
		case got == "percent" && want == "ratio":
			hint = " (divide by 100 in the query)"
		}
		return &Error{Kind: UnitMismatch, Msg: fmt.Sprintf("the query reads metrics in %s but the KPI's unit is %s%s", got, kpiUnit, hint)}
	}
	switch want {
	case "percent":
		if value < 0 || value > 100 {
			return &Error{Kind: UnitMismatch, Msg: fmt.Sprintf("the value %g is not a percentage (0–100), the KPI's unit", value)}
		}
	case "ratio":
		if value < 0 || value > 1 {
			return &Error{Kind: UnitMismatch, Msg: fmt.Sprintf("the value %g is not a ratio (0–1), the KPI's unit", value)}
		}
	case "milliseconds", "seconds", "bytes":
		if value < 0 {
			return &Error{Kind: UnitMismatch, Msg: fmt.Sprintf("the value %g is negative, which a KPI in %s cannot be", value, kpiUnit)}
		}
	}
	return nil
}
