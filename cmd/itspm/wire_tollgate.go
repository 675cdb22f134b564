package main

import (
	"sync"

	"github.com/itspm/itspm/commands"
)

// tollgateFlows remembers each app's tollgate workflow, for the scheduler's
// tollgate-reminders job (Waiting, Reminder, Reconcile).
var tollgateFlows sync.Map // *app → *commands.Tollgates

// wireWorkflow enables tollgate approvals on a.engine, delivering approval
// messages, outcome updates and DMs through a.notifier (nothing is delivered
// when it is nil, e.g. in `import`).
func wireWorkflow(a *app) {
	flow := commands.NewTollgates(a.engine, a.store, a.notifier, commands.TollgateOptions{Logger: a.logger})
	a.engine.SetWorkflow(flow)
	tollgateFlows.Store(a, flow)
}

// tollgates is the app's tollgate workflow (nil before open).
func (a *app) tollgates() *commands.Tollgates {
	f, ok := tollgateFlows.Load(a)
	if !ok {
		return nil
	}
	return f.(*commands.Tollgates)
}
