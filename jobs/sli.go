package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/sli"
)

// SLISync is the job that stores last month's Prometheus SLIs (SPEC
// section 9); it exists when ITSPM_PROMETHEUS_URL is set.
const SLISync = "sli-sync"

// SLISchedule is its default schedule: 02:00 on the first of the month.
const SLISchedule = "0 2 1 * *"

// SLIQuerier evaluates a KPI query averaged over [start, end); *sli.Client
// implements it. Failures should be *sli.Error, whose message is shown to
// the service owner.
type SLIQuerier interface {
	Average(ctx context.Context, query string, start, end time.Time) (float64, error)
}

// SLIStore is what sli-sync writes (*storage.Store implements it).
type SLIStore interface {
	// UpdateService is the store's one-writer-at-a-time, audited edit of
	// a service document.
	UpdateService(ctx context.Context, name string, entry domain.AuditEntry, change func(*domain.Service) error) (*domain.Service, error)
	// ClaimSLIReports claims report keys by unique insert and returns each
	// key's holder.
	ClaimSLIReports(ctx context.Context, keys []string, holder string) (map[string]string, error)
}

// SLIOptions configure the sli-sync job.
type SLIOptions struct {
	Store       SLIStore
	Querier     SLIQuerier
	Concurrency int // queries (and writes) in flight at once; default 4
	Logger      *slog.Logger
}

// SLISyncJob returns the sli-sync job.
//
// Exactly once: the scheduler claims each occurrence once across replicas;
// within a run, each service's new measurements are added inside the
// store's per-service write turn (UpdateService), which adds a KPI's month
// only if that month has no measurement yet. So a second replica, a
// takeover or `itspm jobs run sli-sync --at` for the same month changes
// nothing, and a value typed for the month is never overwritten. Failed
// KPIs are reported to the owner once per service and month, claimed by a
// unique insert (service/month); a re-run of the same occurrence after a
// crash reports again, since its outbox key makes the delivery once.
func SLISyncJob(o SLIOptions) Job {
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return Job{Name: SLISync, Schedule: SLISchedule,
		Description: "stores last month's SLA KPI values from Prometheus (source: prometheus); failed queries are reported to the owners",
		Collect: func(ctx context.Context, src Source, occ Occurrence) ([]Message, error) {
			snap, err := src.Snapshot(ctx)
			if err != nil {
				return nil, fmt.Errorf("read the catalog: %w", err)
			}
			today := snapshotToday(occ)
			res, err := SyncSLIs(ctx, o, snap, domain.PreviousMonth(today), occ.Location, occ.ID())
			if err != nil {
				return nil, err
			}
			o.Logger.Info("jobs: sli-sync finished", "month", res.Month, "stored", len(res.Stored), "alreadyMeasured", res.Present,
				"failed", len(res.Failed), "queries", res.Queries, "ms", res.Elapsed.Milliseconds())
			return sliReports(ctx, o, snap, res, today, occ.ID())
		}}
}

// SLIValue is one KPI value read from Prometheus.
type SLIValue struct {
	Service, KPI string
	Value        float64
}

// SLIFailure is one KPI that could not be synced.
type SLIFailure struct {
	Service, KPI, Query string
	Err                 error
}

// SLIResult is what one sync did.
type SLIResult struct {
	Month   domain.Month
	Stored  []SLIValue   // measurements added now
	Present int          // KPIs that already had a measurement for the month
	Failed  []SLIFailure // nothing stored for these
	Queries int          // queries sent
	Elapsed time.Duration
}

type sliTask struct {
	svc *domain.Service
	kpi domain.SLATarget
}

// SyncSLIs evaluates every KPI with a query of every service not in
// retirement for month (in loc) and stores the values, as described on
// SLISyncJob. source names the run in the audit trail. Store failures end
// it with an error; query failures are in the result.
func SyncSLIs(ctx context.Context, o SLIOptions, snap *domain.Snapshot, month domain.Month, loc *time.Location, source string) (SLIResult, error) {
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	began := time.Now()
	res := SLIResult{Month: month}
	start, end, err := month.Bounds(loc)
	if err != nil {
		return res, err
	}
	var tasks []sliTask
	for _, name := range sortedKeys(snap.Services) {
		s := snap.Services[name]
		if s.IsRetired() {
			continue
		}
		for _, t := range s.SLA {
			if strings.TrimSpace(t.Query) == "" {
				continue
			}
			if _, ok := s.Measurement(t.KPI, month); ok {
				res.Present++
				continue
			}
			tasks = append(tasks, sliTask{svc: s, kpi: t})
		}
	}
	res.Queries = len(tasks)

	// Queries, at most Concurrency at once.
	values := make([]float64, len(tasks))
	errs := make([]error, len(tasks))
	forEach(len(tasks), o.Concurrency, func(i int) {
		t := tasks[i]
		v, err := o.Querier.Average(ctx, t.kpi.Query, start, end)
		if err == nil {
			err = sli.CheckUnit(t.kpi.Unit, t.kpi.Query, v)
		}
		values[i], errs[i] = v, err
	})
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("sli-sync for %s: %w", month, err)
	}
	byService := map[string][]domain.Measurement{}
	for i, t := range tasks {
		if errs[i] != nil {
			res.Failed = append(res.Failed, SLIFailure{Service: t.svc.Name, KPI: t.kpi.KPI, Query: t.kpi.Query, Err: errs[i]})
			continue
		}
		byService[t.svc.Name] = append(byService[t.svc.Name], domain.Measurement{KPI: t.kpi.KPI, Month: month, Value: values[i], Source: domain.SourcePrometheus})
	}

	// Writes, one per service, in the store's per-service turn.
	names := sortedKeys(byService)
	added := make([][]domain.Measurement, len(names))
	werrs := make([]error, len(names))
	forEach(len(names), o.Concurrency, func(i int) {
		added[i], werrs[i] = addMeasurements(ctx, o.Store, names[i], byService[names[i]], source)
	})
	for i, name := range names {
		if werrs[i] != nil {
			return res, werrs[i]
		}
		for _, m := range added[i] {
			res.Stored = append(res.Stored, SLIValue{Service: name, KPI: m.KPI, Value: m.Value})
		}
		res.Present += len(byService[name]) - len(added[i])
	}
	res.Elapsed = time.Since(began)
	return res, nil
}

// errNothingNew leaves a service untouched: every value was there already.
var errNothingNew = errors.New("no new measurements")

// addMeasurements adds the measurements whose KPI has none for the month
// yet, inside the service's write turn, and returns those it added.
func addMeasurements(ctx context.Context, st SLIStore, name string, ms []domain.Measurement, source string) ([]domain.Measurement, error) {
	var added []domain.Measurement
	var parts []string
	for _, m := range ms {
		parts = append(parts, fmt.Sprintf("%s %s", m.KPI, commands.Number(m.Value)))
	}
	entry := domain.AuditEntry{Actor: SLISync, Action: "sli.sync", Source: source,
		Summary: fmt.Sprintf("recorded %s for %s from Prometheus", strings.Join(parts, ", "), ms[0].Month)}
	_, err := st.UpdateService(ctx, name, entry, func(s *domain.Service) error {
		added = nil
		for _, m := range ms {
			if _, ok := s.Measurement(m.KPI, m.Month); ok {
				continue // another replica, or a typed value, was first
			}
			if s.Performance == nil {
				s.Performance = &domain.Performance{}
			}
			s.Performance.Measurements = append(s.Performance.Measurements, m)
			added = append(added, m)
		}
		if len(added) == 0 {
			return errNothingNew
		}
		return nil
	})
	switch {
	case errors.Is(err, errNothingNew):
		return nil, nil
	case err != nil:
		var de *domain.Error
		if errors.As(err, &de) && de.Code == domain.NotFound {
			return nil, nil // removed since the snapshot
		}
		return nil, fmt.Errorf("store SLIs of %s: %w", name, err)
	}
	return added, nil
}

// sliReports is one message per owner listing the services whose failures
// this run is the first to report for the month.
func sliReports(ctx context.Context, o SLIOptions, snap *domain.Snapshot, res SLIResult, today domain.Date, occ string) ([]Message, error) {
	if len(res.Failed) == 0 {
		return nil, nil
	}
	bySvc := map[string][]SLIFailure{}
	for _, f := range res.Failed {
		bySvc[f.Service] = append(bySvc[f.Service], f)
	}
	key := func(svc string) string { return "sli-sync/" + svc + "/" + string(res.Month) }
	var keys []string
	for _, svc := range sortedKeys(bySvc) {
		keys = append(keys, key(svc))
	}
	holders, err := o.Store.ClaimSLIReports(ctx, keys, occ)
	if err != nil {
		return nil, err
	}
	byOwner := map[string][]string{}
	for _, svc := range sortedKeys(bySvc) {
		if holders[key(svc)] != occ {
			continue // reported earlier this month
		}
		s := snap.Services[svc]
		byOwner[s.Owner] = append(byOwner[s.Owner], svc)
	}
	var out []Message
	for _, owner := range sortedKeys(byOwner) {
		svcs := byOwner[owner]
		r := commands.Reply{Title: fmt.Sprintf("SLIs from Prometheus not recorded for %s", res.Month)}
		if len(svcs) == 1 {
			r.Title = fmt.Sprintf("%s: SLIs from Prometheus not recorded for %s", snap.Services[svcs[0]].Label(), res.Month)
		}
		r.Text = fmt.Sprintf("The monthly sync could not read these KPIs of your services from Prometheus, so nothing was stored for %s. "+
			"Fix the query (the `query:` of the SLA entry) or the monitoring, then re-import; or record the value with `measure`.", res.Month)
		var secs []commands.Section
		var actions []commands.Action
		for _, svc := range svcs {
			s := snap.Services[svc]
			sec := commands.Section{Heading: serviceHeading(s)}
			for _, f := range bySvc[svc] {
				sec.Fields = append(sec.Fields, commands.Field{Label: f.KPI, Value: fmt.Sprintf("%s\nquery: `%s`", failureText(f.Err), f.Query)})
			}
			secs = append(secs, sec)
			actions = append(actions, commands.Action{Label: "Performance: " + s.Label(), Command: "performance " + s.Name})
		}
		r.Sections = capSections(secs, "services")
		r.Actions = capActions(actions)
		r.Context = footer(SLISync, today, "You get this because you own these services; each service is reported once a month.")
		out = append(out, Message{To: slackUser(snap, owner), Reply: r})
	}
	return out, nil
}

func failureText(err error) string {
	var se *sli.Error
	if errors.As(err, &se) {
		return se.Kind + ": " + se.Msg
	}
	return err.Error()
}

// forEach calls f(0..n-1), at most limit at a time.
func forEach(n, limit int, f func(i int)) {
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			f(i)
		}()
	}
	wg.Wait()
}
