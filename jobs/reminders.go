package jobs

import (
	"context"
	"fmt"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
)

// DeliveryFinder finds a delivered message by where it landed;
// *storage.Store implements it.
type DeliveryFinder interface {
	DeliveryAt(ctx context.Context, channel, ts string) (domain.Delivery, bool, error)
}

// Reminders reads back the reminders the jobs posted, so that a button on
// one can update it in place (the bot's ReminderSource).
type Reminders struct{ Store DeliveryFinder }

// Reminder is the reply posted at channel and ts, ok false when no job
// posted it.
func (r Reminders) Reminder(ctx context.Context, channel, ts string) (commands.Reply, bool, error) {
	d, ok, err := r.Store.DeliveryAt(ctx, channel, ts)
	if err != nil || !ok {
		return commands.Reply{}, false, err
	}
	p, err := decodePayload(d.Payload)
	if err != nil {
		return commands.Reply{}, false, fmt.Errorf("reminder %s: %w", d.ID, err)
	}
	return p.Reply, true, nil
}
