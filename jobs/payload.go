package jobs

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/itspm/itspm/commands"
)

// payload is a message as stored in the outbox. Charts are stored as data,
// not PNGs: rendering happens at delivery, so enqueueing thousands of
// review summaries stays cheap and the outbox stays small.
type payload struct {
	Reply  commands.Reply `json:"reply"`
	Charts []Chart        `json:"charts,omitempty"`
}

// Payloads are gzipped JSON: replies repeat their field names and phrases,
// so they shrink about tenfold, and the embedded store's insert time grows
// with bytes (10,000 review summaries: 9 MB of JSON).
var gzipPool = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed); return w }}

func encodePayload(m Message) ([]byte, error) {
	raw, err := json.Marshal(payload{Reply: m.Reply, Charts: m.Charts})
	if err != nil {
		return nil, fmt.Errorf("encode message to %s: %w", m.To, err)
	}
	var buf bytes.Buffer
	zw := gzipPool.Get().(*gzip.Writer)
	defer gzipPool.Put(zw)
	zw.Reset(&buf)
	if _, err := zw.Write(raw); err != nil {
		return nil, fmt.Errorf("compress message to %s: %w", m.To, err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compress message to %s: %w", m.To, err)
	}
	return buf.Bytes(), nil
}

func decodePayload(b []byte) (payload, error) {
	var p payload
	raw := b
	if len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return p, fmt.Errorf("decode outbox message: %w", err)
		}
		if raw, err = io.ReadAll(zr); err != nil {
			return p, fmt.Errorf("decode outbox message: %w", err)
		}
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return p, fmt.Errorf("decode outbox message: %w", err)
	}
	return p, nil
}
