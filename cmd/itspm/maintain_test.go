package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestMaintenanceKeepsRecentClaimsAndStops(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	chatSession(t, dir, []string{"--demo"}, "help")
	var errOut bytes.Buffer
	a, err := loadApp(stdio{err: &errOut}, []string{"ITSPM_DATA_DIR=" + dir, "ITSPM_LOG_LEVEL=error"})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.open(ctx); err != nil {
		t.Fatal(err)
	}
	defer a.close()
	if _, err := a.store.ClaimEvent(ctx, "Ev-recent"); err != nil {
		t.Fatal(err)
	}
	changes := a.store.DB().Collection("changes")
	before, err := changes.CountDocuments(ctx, bson.D{})
	if err != nil || before == 0 {
		t.Fatalf("change log: %d entries, %v", before, err)
	}
	a.prune(ctx)
	a.reconcile(ctx)
	after, _ := changes.CountDocuments(ctx, bson.D{})
	if after != before {
		t.Fatalf("pruning removed recent change-log entries: %d → %d", before, after)
	}
	if fresh, err := a.store.ClaimEvent(ctx, "Ev-recent"); err != nil || fresh {
		t.Fatalf("a recent event claim was pruned (fresh=%v, err=%v)", fresh, err)
	}
	done := make(chan struct{})
	stop := a.startMaintenance(ctx)
	go func() { stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("maintenance did not stop")
	}
	if strings.Contains(errOut.String(), "failed") {
		t.Fatalf("maintenance logged failures: %s", errOut.String())
	}
}
