package main

import "github.com/itspm/itspm/tollgates"

// wireWorkflow enables tollgate approvals on a.engine, delivering approval
// messages, outcome updates and DMs through a.notifier (nothing is delivered
// when it is nil, e.g. in `import`).
func wireWorkflow(a *app) {
	a.flow = tollgates.New(a.engine, a.store, a.notifier, tollgates.Options{Logger: a.logger})
	a.engine.SetWorkflow(a.flow)
}

// tollgates is the app's tollgate workflow, for the scheduler's
// tollgate-reminders job and reconciliation (nil before open).
func (a *app) tollgates() *tollgates.Workflow { return a.flow }
