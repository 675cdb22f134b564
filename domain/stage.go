package domain

import "strings"

// Stage is a lifecycle stage of a service.
type Stage string

// The lifecycle stages, in order.
const (
	StageStrategy   Stage = "strategy"
	StageDesign     Stage = "design"
	StageTransition Stage = "transition"
	StageOperate    Stage = "operate"
	StageImprove    Stage = "improve"
	StageRetirement Stage = "retirement"
)

// Stages lists the lifecycle stages in order.
var Stages = []Stage{StageStrategy, StageDesign, StageTransition, StageOperate, StageImprove, StageRetirement}

// Index is the stage's position in Stages, or -1 when it is not a stage.
func (s Stage) Index() int {
	for i, st := range Stages {
		if st == s {
			return i
		}
	}
	return -1
}

// Valid reports whether s is one of the six stages.
func (s Stage) Valid() bool { return s.Index() >= 0 }

// ParseStage accepts a stage name in any case, plus a few common synonyms.
func ParseStage(s string) (Stage, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "retire", "retired", "retiring", "decommission", "decommissioned":
		return StageRetirement, true
	case "operation", "operations", "operating", "production", "live":
		return StageOperate, true
	case "improvement", "improving":
		return StageImprove, true
	}
	st := Stage(s)
	return st, st.Valid()
}

// StageNames returns the stage names joined for messages.
func StageNames() string {
	names := make([]string, len(Stages))
	for i, s := range Stages {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}
