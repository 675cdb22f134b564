package domain

import (
	"fmt"
	"time"
)

// MetricSnapshot is one week's metrics of one portfolio, kept so the
// governance digest can show the change since last week. It is stored by
// a unique insert under ID (portfolio@ISO week), so however many replicas
// run the digest, one snapshot exists per portfolio and week.
type MetricSnapshot struct {
	ID        string        `bson:"_id" json:"id"`
	Portfolio string        `bson:"portfolio" json:"portfolio"`
	Week      string        `bson:"week" json:"week"` // ISO week, 2026-W49
	At        time.Time     `bson:"at" json:"at"`
	Lines     []MetricValue `bson:"lines" json:"lines"`
}

// MetricValue is one line's figures in a snapshot.
type MetricValue struct {
	Key      MetricKey `bson:"key" json:"key"`
	N        int       `bson:"n" json:"n"`
	M        int       `bson:"m" json:"m"`
	Value    float64   `bson:"value,omitempty" json:"value,omitempty"`
	HasValue bool      `bson:"hasValue,omitempty" json:"hasValue,omitempty"`
}

// ISOWeek is the ISO 8601 week of a date, e.g. 2026-W49 ("" if invalid).
func ISOWeek(d Date) string {
	t, err := d.Time()
	if err != nil {
		return ""
	}
	y, w := t.ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

// MetricSnapshotID is the key of portfolio's snapshot of the week of d.
func MetricSnapshotID(portfolio string, d Date) string { return portfolio + "@" + ISOWeek(d) }

// SnapshotOf records ms as the snapshot of its portfolio's week.
func SnapshotOf(ms Metrics, at time.Time) MetricSnapshot {
	s := MetricSnapshot{ID: MetricSnapshotID(ms.Scope, ms.Today), Portfolio: ms.Scope, Week: ISOWeek(ms.Today), At: at.UTC()}
	for _, l := range ms.Lines {
		s.Lines = append(s.Lines, MetricValue{Key: l.Key, N: l.N, M: l.M, Value: l.Value, HasValue: l.HasValue})
	}
	return s
}

// Trend is the change of one line since an earlier snapshot.
type Trend struct {
	Known bool    // the earlier snapshot has the line with a comparable figure
	Delta float64 // percentage points for N of M lines, days for the lead time
}

// Arrow renders the change: ▲ 5 pts, ▼ 2 pts, = (unchanged), ▲ 1.5 days.
func (t Trend) Arrow(unit string) string {
	if !t.Known {
		return ""
	}
	d := t.Delta
	switch {
	case d > 0.05:
		return fmt.Sprintf("▲ %s %s", trimNumber(d), unit)
	case d < -0.05:
		return fmt.Sprintf("▼ %s %s", trimNumber(-d), unit)
	}
	return "= no change"
}

func trimNumber(f float64) string {
	s := fmt.Sprintf("%.1f", f)
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		s = s[:len(s)-2]
	}
	return s
}

// TrendOf compares line l with the same line of prev (nil: unknown). N of
// M lines compare their whole percentages; the lead time its median days.
func TrendOf(l Metric, prev *MetricSnapshot) Trend {
	if prev == nil {
		return Trend{}
	}
	for _, p := range prev.Lines {
		if p.Key != l.Key {
			continue
		}
		if l.Key == MetricLeadTime {
			if !p.HasValue || !l.HasValue {
				return Trend{}
			}
			return Trend{Known: true, Delta: l.Value - p.Value}
		}
		if p.M == 0 || l.M == 0 {
			return Trend{}
		}
		was := Metric{N: p.N, M: p.M}.Percent()
		return Trend{Known: true, Delta: float64(l.Percent() - was)}
	}
	return Trend{}
}
