package embedded_test

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/itspm/itspm/storage/embedded"
)

// Two "processes" on one data directory: the second joins the first, and
// takes over serving (on the same address) when the first goes away.
func TestSharedDirectoryAndTakeOver(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	first, err := embedded.Start(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	second, err := embedded.Start(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if !first.Serving() || second.Serving() {
		t.Fatalf("serving: first %v second %v; want only the first", first.Serving(), second.Serving())
	}
	if first.URI() != second.URI() {
		t.Fatalf("URIs differ: %s vs %s", first.URI(), second.URI())
	}
	client, err := mongo.Connect(options.Client().ApplyURI(second.URI()).SetServerSelectionTimeout(20 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(ctx)
	col := client.Database("shared").Collection("things")
	if _, err := col.InsertOne(ctx, bson.D{{Key: "_id", Value: "a"}}); err != nil {
		t.Fatal(err)
	}

	first.Close()
	deadline := time.Now().Add(20 * time.Second)
	for !second.Serving() {
		if time.Now().After(deadline) {
			t.Fatal("second did not take over within 20s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The same client reconnects to the same address and sees the data.
	var doc bson.M
	if err := col.FindOne(ctx, bson.D{{Key: "_id", Value: "a"}}).Decode(&doc); err != nil {
		t.Fatalf("read after take-over: %v", err)
	}
	if _, err := col.InsertOne(ctx, bson.D{{Key: "_id", Value: "a"}}); !mongo.IsDuplicateKeyError(err) {
		t.Fatalf("duplicate insert after take-over: %v, want duplicate key error", err)
	}
}

// In one process, a closed client's stand-by may hold the lock for a moment
// after the server exits; a new Start must still get in promptly.
func TestRestartAfterClientAndServerClosed(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for round := 0; round < 3; round++ {
		first, err := embedded.Start(ctx, dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		second, err := embedded.Start(ctx, dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		second.Close()
		first.Close()
		start := time.Now()
		third, err := embedded.Start(ctx, dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("round %d: restart took %s", round, d)
		}
		third.Close()
	}
}
