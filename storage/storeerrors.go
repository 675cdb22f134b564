package storage

import (
	"context"
	"errors"
	"runtime"
	"strings"

	"github.com/itspm/itspm/domain"
	"github.com/itspm/itspm/metrics"
)

// countStoreError counts a failed database call in itspm_store_errors_total,
// labelled with the storage function that made it (skip: frames between
// that function and this one). Every driver error on the way out of this
// package passes through unavailable, which calls this, so the count needs
// no bookkeeping at each call site. Not counted: errors that already are
// domain errors (counted where they were made, or the person's mistake)
// and cancellations (the caller gave up; the database did not fail).
func countStoreError(err error, skip int) {
	var de *domain.Error
	if err == nil || errors.As(err, &de) || errors.Is(err, context.Canceled) {
		return
	}
	metrics.StoreErrors.WithLabelValues(storeOp(skip + 1)).Inc()
}

// storeOp names the function skip frames above its caller:
// "github.com/itspm/itspm/storage.(*Store).ClaimEvent.func1" → "ClaimEvent",
// "…/storage.readAll[...]" → "readAll". The label set stays as small as the
// package's own list of functions.
func storeOp(skip int) string {
	pc, _, _, ok := runtime.Caller(skip + 1)
	if !ok {
		return "unknown"
	}
	fn := runtime.FuncForPC(pc)
	if fn == nil {
		return "unknown"
	}
	name := fn.Name()
	name = name[strings.LastIndex(name, "/")+1:] // storage.(*Store).ClaimEvent.func1
	_, name, _ = strings.Cut(name, ".")          // (*Store).ClaimEvent.func1
	name = strings.TrimPrefix(name, "(*Store).")
	if i := strings.IndexAny(name, ".["); i > 0 {
		name = name[:i]
	}
	if name == "" {
		return "unknown"
	}
	return name
}
