// Package embedded runs a MongoDB-wire-compatible server (FerretDB on SQLite)
// inside the process, so itspm needs no database server to try or to test.
//
// Several processes may share one data directory: the first takes an
// exclusive lock on it and serves the files on a loopback port that it writes
// next to them; the others connect to that port as ordinary clients, and one
// of them takes over (on the same port) if the serving process exits. SQLite
// files are never opened by two FerretDB instances at once, whose in-memory
// metadata would otherwise disagree.
package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

const (
	lockFile = "embedded.lock"
	addrFile = "embedded.addr"
)

// Server is the embedded store of one process: either the one serving the
// data directory, or a client of the process that does.
type Server struct {
	dir    string
	logger *slog.Logger
	uri    string

	mu      sync.Mutex
	lock    *os.File // held while this process serves
	cancel  context.CancelFunc
	done    chan struct{}
	closing bool
	stopped chan struct{} // closed by Close
}

// Start serves dir, or joins the process that already serves it. It returns
// once the URI answers connections.
func Start(ctx context.Context, dir string, logger *slog.Logger) (*Server, error) {
	if logger == nil {
		logger = slog.Default()
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("embedded store: %w", err)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("embedded store: create data directory: %w", err)
	}
	s := &Server{dir: abs, logger: logger, stopped: make(chan struct{})}
	lock, err := os.OpenFile(filepath.Join(abs, lockFile), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("embedded store: open lock: %w", err)
	}
	// Serve the directory if nobody does; else join whoever answers at the
	// address it wrote. Both are retried: a process that just took the lock
	// may not have written its address yet, and one that is exiting may
	// still hold the lock for a moment after it stopped answering.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
			if err := s.serve(ctx, lock, "127.0.0.1:0"); err != nil {
				lock.Close()
				return nil, err
			}
			return s, nil
		}
		if addr, ok := answering(abs); ok {
			s.uri = "mongodb://" + addr + "/"
			go s.standBy(lock, addr)
			return s, nil
		}
		if time.Now().After(deadline) {
			lock.Close()
			return nil, fmt.Errorf("embedded store: %s is locked by another process that does not answer; stop it or remove %s", abs, filepath.Join(abs, lockFile))
		}
		select {
		case <-ctx.Done():
			lock.Close()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// URI is the connection string of the server.
func (s *Server) URI() string { return s.uri }

// Serving reports whether this process serves the files.
func (s *Server) Serving() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lock != nil
}

func (s *Server) serve(ctx context.Context, lock *os.File, addr string) error {
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: addr},
		Handler:   "sqlite",
		SQLiteURL: "file:" + s.dir + "/",
		Logger:    quiet(s.logger),
	})
	if err != nil {
		return fmt.Errorf("embedded store: start: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.Run(runCtx)
	}()
	uri, err := listening(ctx, f)
	if err != nil {
		cancel()
		<-done
		return err
	}
	hostport := strings.TrimSuffix(strings.TrimPrefix(uri, "mongodb://"), "/")
	if err := writeAddr(s.dir, hostport); err != nil {
		cancel()
		<-done
		return err
	}
	s.mu.Lock()
	s.lock, s.cancel, s.done, s.uri = lock, cancel, done, "mongodb://"+hostport+"/"
	s.mu.Unlock()
	s.logger.Debug("embedded store serving", "dir", s.dir, "addr", hostport)
	return nil
}

// listening waits until FerretDB's listener has an address and accepts.
func listening(ctx context.Context, f *ferretdb.FerretDB) (string, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		uri, ok := tryURI(f)
		if ok {
			hostport := strings.TrimSuffix(strings.TrimPrefix(uri, "mongodb://"), "/")
			if c, err := net.DialTimeout("tcp", hostport, time.Second); err == nil {
				c.Close()
				return uri, nil
			}
		}
		if time.Now().After(deadline) {
			return "", errors.New("embedded store: server did not start listening within 30s")
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// tryURI asks FerretDB for its URI, which panics before the listener is up.
func tryURI(f *ferretdb.FerretDB) (uri string, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	uri = f.MongoDBURI()
	return uri, !strings.Contains(uri, "<nil>") && !strings.HasSuffix(strings.TrimSuffix(uri, "/"), ":0")
}

func writeAddr(dir, hostport string) error {
	tmp := filepath.Join(dir, addrFile+".tmp")
	if err := os.WriteFile(tmp, []byte(hostport+"\n"), 0o600); err != nil {
		return fmt.Errorf("embedded store: write address: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, addrFile)); err != nil {
		return fmt.Errorf("embedded store: write address: %w", err)
	}
	return nil
}

// answering reads the serving process's address and reports whether it
// accepts connections.
func answering(dir string) (string, bool) {
	b, err := os.ReadFile(filepath.Join(dir, addrFile))
	if err != nil {
		return "", false
	}
	addr := strings.TrimSpace(string(b))
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", false
	}
	c.Close()
	return addr, true
}

// standBy blocks until the serving process releases the lock (it exited),
// then serves the files on the same address so that clients reconnect.
func (s *Server) standBy(lock *os.File, addr string) {
	for {
		err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX)
		select {
		case <-s.stopped:
			lock.Close()
			return
		default:
		}
		if err != nil {
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			s.logger.Error("embedded store: stand-by lock failed", "err", err)
			lock.Close()
			return
		}
		break
	}
	// Retry the old port briefly: the old owner's socket may linger.
	var err error
	for i := 0; i < 50; i++ {
		if err = s.serve(context.Background(), lock, addr); err == nil {
			s.logger.Info("embedded store: took over serving the data directory", "dir", s.dir)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.logger.Error("embedded store: could not take over", "err", err)
	lock.Close()
}

// Close stops serving (if this process serves) and releases the lock.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return
	}
	s.closing = true
	close(s.stopped)
	cancel, done, lock := s.cancel, s.done, s.lock
	s.lock = nil
	s.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	if lock != nil {
		lock.Close() // releases the flock
	}
}

// quiet keeps FerretDB to errors: its info and warning logs describe every
// connection.
func quiet(l *slog.Logger) *slog.Logger {
	return slog.New(levelFilter{h: l.Handler(), min: slog.LevelError})
}

type levelFilter struct {
	h   slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.h.Enabled(ctx, l)
}
func (f levelFilter) Handle(ctx context.Context, r slog.Record) error { return f.h.Handle(ctx, r) }
func (f levelFilter) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFilter{h: f.h.WithAttrs(a), min: f.min}
}
func (f levelFilter) WithGroup(n string) slog.Handler {
	return levelFilter{h: f.h.WithGroup(n), min: f.min}
}
