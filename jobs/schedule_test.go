package jobs

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseScheduleRejects(t *testing.T) {
	tests := []struct {
		spec string
		want string // substring of the error
	}{
		{"", "empty schedule"},
		{"   ", "empty schedule"},
		{"TZ=", "no TZ= or CRON_TZ= prefix"},
		{"TZ=Europe/London 0 9 * * *", "no TZ= or CRON_TZ= prefix"},
		{"CRON_TZ=UTC 0 9 * * *", "no TZ= or CRON_TZ= prefix"},
		{"@every 1h", "@every is not supported"},
		{"61 * * * *", "not a valid cron spec"},
		{"0 9 * *", "not a valid cron spec"},
		{"0 0 9 * * *", "not a valid cron spec"}, // six fields: seconds are not supported
		{"0 9 * * FUNDAY", "not a valid cron spec"},
		{"0 0 30 2 *", "never fires"},
		{"@fortnightly", "not a valid cron spec"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			_, err := ParseSchedule(tt.spec, time.UTC)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseSchedule(%q) = %v, want an error containing %q", tt.spec, err, tt.want)
			}
		})
	}
}

func TestParseScheduleAccepts(t *testing.T) {
	for _, spec := range []string{"0 9 * * MON", "0 9 * * *", "0 10 * * MON-FRI", "*/15 * * * *", "@daily", "@weekly", " 0 8 1 * * "} {
		if _, err := ParseSchedule(spec, time.UTC); err != nil {
			t.Errorf("ParseSchedule(%q): %v", spec, err)
		}
	}
}

// FuzzParseSchedule checks that no input makes the cron parser's panics
// escape (robfig/cron panics on some malformed specs).
func FuzzParseSchedule(f *testing.F) {
	for _, s := range []string{"TZ=", "CRON_TZ=", "0 9 * * MON", "@every", "@", "* * * * *", "1-0 * * * *", "*/0 * * * *", "0-99/3 * * * *", "TZ=x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := ParseSchedule(spec, time.UTC)
		if err == nil && s.Next(utc("2026-11-27T00:00:00Z")).IsZero() {
			t.Errorf("%q parsed but never fires", spec)
		}
	})
}

func TestScheduleNextDST(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	london := mustLoc(t, "Europe/London")
	tests := []struct {
		name  string
		spec  string
		loc   *time.Location
		after string
		want  []string // successive occurrences, UTC
	}{
		{"plain weekly", "0 9 * * MON", ny, "2026-11-27T12:00:00Z",
			[]string{"2026-11-30T14:00:00Z", "2026-12-07T14:00:00Z"}},
		{"weekdays", "0 10 * * MON-FRI", time.UTC, "2026-11-27T10:00:00Z",
			[]string{"2026-11-30T10:00:00Z", "2026-12-01T10:00:00Z"}},
		// New York falls back on 2026-11-01 at 02:00 EDT: 01:30 happens twice.
		{"NY repeated time runs once, at its first instance", "30 1 * * *", ny, "2026-10-31T12:00:00Z",
			[]string{"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"}},
		{"NY daily 09:00 across fall back", "0 9 * * *", ny, "2026-10-31T12:00:00Z",
			[]string{"2026-10-31T13:00:00Z", "2026-11-01T14:00:00Z", "2026-11-02T14:00:00Z"}},
		{"NY half-hourly through the repeated hour", "*/30 * * * *", ny, "2026-11-01T04:45:00Z",
			[]string{"2026-11-01T05:00:00Z", "2026-11-01T05:30:00Z", "2026-11-01T07:00:00Z", "2026-11-01T07:30:00Z"}},
		// New York springs forward on 2026-03-08: 02:00–03:00 EDT does not exist.
		{"NY skipped time runs right after the gap", "30 2 * * *", ny, "2026-03-07T12:00:00Z",
			[]string{"2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"}},
		{"NY half-hourly through the gap", "*/30 * * * *", ny, "2026-03-08T06:45:00Z",
			[]string{"2026-03-08T07:00:00Z", "2026-03-08T07:30:00Z"}},
		// London: BST ends 2026-10-25 02:00 BST → 01:00 GMT; begins 2026-03-29 01:00 GMT → 02:00 BST.
		{"London repeated time", "30 1 * * *", london, "2026-10-24T12:00:00Z",
			[]string{"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}},
		{"London skipped time", "30 1 * * *", london, "2026-03-28T12:00:00Z",
			[]string{"2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"}},
		{"London daily 09:00 across spring forward", "0 9 * * *", london, "2026-03-28T12:00:00Z",
			[]string{"2026-03-29T08:00:00Z", "2026-03-30T08:00:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSchedule(tt.spec, tt.loc)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			at := utc(tt.after)
			for range tt.want {
				at = s.Next(at)
				got = append(got, at.UTC().Format(time.RFC3339))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("occurrences (-want +got):\n%s", diff)
			}
		})
	}
}

// TestScheduleOncePerLocalDay checks, over two years and several zones,
// that a daily spec yields exactly one occurrence per local date, strictly
// increasing, at the wall time asked for (or just after a gap).
func TestScheduleOncePerLocalDay(t *testing.T) {
	for _, zone := range []string{"America/New_York", "Europe/London", "Australia/Lord_Howe", "UTC"} {
		loc := mustLoc(t, zone)
		for _, spec := range []string{"0 9 * * *", "30 1 * * *", "30 2 * * *", "0 0 * * *"} {
			s, err := ParseSchedule(spec, loc)
			if err != nil {
				t.Fatal(err)
			}
			start := utc("2026-01-01T00:00:00Z")
			days := map[string]int{}
			prev := start
			for at := s.Next(start); at.Before(utc("2028-01-01T00:00:00Z")); at = s.Next(at) {
				if !at.After(prev) {
					t.Fatalf("%s %q: %v not after %v", zone, spec, at, prev)
				}
				prev = at
				days[at.In(loc).Format(time.DateOnly)]++
			}
			for d := start.In(loc); d.Year() < 2028; d = d.AddDate(0, 0, 1) {
				key := d.Format(time.DateOnly)
				if key < "2026-01-02" || key > "2027-12-30" {
					continue
				}
				if days[key] != 1 {
					t.Errorf("%s %q: %d occurrences on %s", zone, spec, days[key], key)
				}
			}
		}
	}
}

func TestScheduleBetween(t *testing.T) {
	s, err := ParseSchedule("0 9 * * *", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	occ, total := s.Between(utc("2026-11-20T09:00:00Z"), utc("2026-11-27T09:00:00Z"), 3)
	want := []time.Time{utc("2026-11-25T09:00:00Z"), utc("2026-11-26T09:00:00Z"), utc("2026-11-27T09:00:00Z")}
	if total != 7 || !cmp.Equal(occ, want) {
		t.Errorf("Between = %v, %d; want %v, 7", occ, total, want)
	}
}

func TestScheduleVariable(t *testing.T) {
	if got := ScheduleVariable("continuity-tests"); got != "ITSPM_SCHEDULE_CONTINUITY_TESTS" {
		t.Errorf("ScheduleVariable = %q", got)
	}
}
