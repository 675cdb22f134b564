package jobs

import (
	"encoding/json"
	"fmt"

	"github.com/itspm/itspm/commands"
)

// payload is a message as stored in the outbox. Charts are stored as data,
// not PNGs: rendering happens at delivery, so enqueueing thousands of
// review summaries stays cheap and the outbox stays small.
type payload struct {
	Reply  commands.Reply `json:"reply"`
	Charts []Chart        `json:"charts,omitempty"`
}

func encodePayload(m Message) ([]byte, error) {
	b, err := json.Marshal(payload{Reply: m.Reply, Charts: m.Charts})
	if err != nil {
		return nil, fmt.Errorf("encode message to %s: %w", m.To, err)
	}
	return b, nil
}

func decodePayload(b []byte) (payload, error) {
	var p payload
	if err := json.Unmarshal(b, &p); err != nil {
		return p, fmt.Errorf("decode outbox message: %w", err)
	}
	return p, nil
}
