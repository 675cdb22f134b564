package questions

import (
	"sort"
	"strings"
)

// intent is what a question asks about.
type intent int

const (
	iNone intent = iota
	iOwner
	iManager
	iPortfolio
	iCost
	iStage
	iTier
	iSLA
	iDeps
	iRoadmap
	iDR
	iVendor
	iReview
	iCard
	iChannel
	iStrategy
	iHistory
	iBoard
	iTollgate
	iHelp
)

var intentNames = map[intent]string{
	iOwner: "owner", iManager: "portfolio manager", iPortfolio: "portfolio", iCost: "cost", iStage: "stage",
	iTier: "tier", iSLA: "SLA and performance", iDeps: "dependencies", iRoadmap: "roadmap", iDR: "disaster recovery",
	iVendor: "vendors and contracts", iReview: "reviews", iCard: "the service card", iChannel: "Slack channel",
	iStrategy: "strategy", iHistory: "history", iBoard: "boards", iTollgate: "tollgates", iHelp: "help",
}

// cue is a word or phrase that points to an intent, with a weight.
type cue struct {
	p string
	i intent
	w int
}

// cues are scored by presence; phrases outweigh the single words they
// contain so that "performance review" is about reviews and "disaster
// recovery" is not about cost recovery.
var cues = []cue{
	{"own", iOwner, 2}, {"owns", iOwner, 3}, {"owned", iOwner, 3}, {"owner", iOwner, 4}, {"owners", iOwner, 4},
	{"responsible", iOwner, 3}, {"accountable", iOwner, 3}, {"in charge", iOwner, 3}, {"who runs", iOwner, 3},
	{"run by", iOwner, 3}, {"contact", iOwner, 2}, {"who do i ask", iOwner, 3}, {"who to ask", iOwner, 3},
	{"who can i ask", iOwner, 3}, {"service manager", iOwner, 3}, {"product manager", iOwner, 3}, {"belong", iOwner, 2},
	{"belongs", iOwner, 2}, {"who manages", iOwner, 2}, {"looks after", iOwner, 3}, {"person", iOwner, 1},

	{"portfolio manager", iManager, 6}, {"manager", iManager, 2}, {"manages", iManager, 2}, {"head of", iManager, 2},
	{"portfolio", iPortfolio, 3}, {"portfolios", iPortfolio, 3}, {"part of", iPortfolio, 1},

	{"cost", iCost, 3}, {"costs", iCost, 3}, {"costing", iCost, 3}, {"spend", iCost, 3}, {"spending", iCost, 3},
	{"spent", iCost, 3}, {"how much", iCost, 2}, {"price", iCost, 3}, {"priced", iCost, 3}, {"pricing", iCost, 3},
	{"expensive", iCost, 3}, {"cheap", iCost, 2}, {"tco", iCost, 5}, {"money", iCost, 2}, {"pay", iCost, 2},
	{"paying", iCost, 2}, {"charge", iCost, 2}, {"charged", iCost, 3}, {"charging", iCost, 3}, {"chargeback", iCost, 4},
	{"recovered", iCost, 3}, {"recover", iCost, 2}, {"recovery", iCost, 2}, {"cost recovery", iCost, 4},
	{"recovery rate", iCost, 4}, {"licence", iCost, 2}, {"licences", iCost, 2}, {"license", iCost, 2},
	{"licenses", iCost, 2}, {"licensing", iCost, 2}, {"labor", iCost, 2}, {"labour", iCost, 2}, {"unit price", iCost, 5},
	{"per user", iCost, 4}, {"per transaction", iCost, 4}, {"per seat", iCost, 4}, {"budget", iCost, 3},
	{"budgets", iCost, 3}, {"over budget", iCost, 5}, {"overspent", iCost, 4}, {"overspend", iCost, 4},
	{"overspending", iCost, 4}, {"variance", iCost, 3}, {"eur", iCost, 1}, {"usd", iCost, 1}, {"euros", iCost, 2},
	{"dollars", iCost, 2}, {"afford", iCost, 2}, {"financial", iCost, 2}, {"finances", iCost, 2},

	{"stage", iStage, 4}, {"stages", iStage, 3}, {"lifecycle", iStage, 4}, {"phase", iStage, 3},
	{"live", iStage, 2}, {"in production", iStage, 3}, {"status", iStage, 1}, {"retired", iStage, 3},
	{"retiring", iStage, 3}, {"decommissioned", iStage, 3}, {"operational", iStage, 2}, {"sunset", iStage, 3},
	{"design", iStage, 2}, {"transition", iStage, 2}, {"operate", iStage, 2}, {"improve", iStage, 2}, {"retirement", iStage, 3},

	{"tier", iTier, 4}, {"tiers", iTier, 3}, {"critical", iTier, 3}, {"criticality", iTier, 4},
	{"how important", iTier, 3}, {"priority", iTier, 1},

	{"sla", iSLA, 5}, {"slas", iSLA, 5}, {"target", iSLA, 2}, {"targets", iSLA, 2}, {"kpi", iSLA, 4}, {"kpis", iSLA, 4},
	{"availability", iSLA, 4}, {"uptime", iSLA, 4}, {"available", iSLA, 1}, {"latency", iSLA, 4},
	{"performance", iSLA, 3}, {"performing", iSLA, 4}, {"perform", iSLA, 3}, {"on target", iSLA, 4},
	{"meet", iSLA, 2}, {"meets", iSLA, 2}, {"met", iSLA, 2}, {"meeting its", iSLA, 2}, {"missed", iSLA, 2},
	{"miss", iSLA, 2}, {"missing", iSLA, 1}, {"breach", iSLA, 3}, {"breached", iSLA, 3}, {"measurement", iSLA, 3},
	{"measurements", iSLA, 3}, {"slow", iSLA, 2}, {"fast", iSLA, 1}, {"freshness", iSLA, 3}, {"backlog", iSLA, 3},
	{"service level", iSLA, 5}, {"service levels", iSLA, 5}, {"healthy", iSLA, 3}, {"health", iSLA, 3},
	{"working", iSLA, 2}, {"doing", iSLA, 1},

	{"depend", iDeps, 5}, {"depends", iDeps, 5}, {"dependency", iDeps, 5}, {"dependencies", iDeps, 5},
	{"dependent", iDeps, 5}, {"dependents", iDeps, 5}, {"depending", iDeps, 5}, {"rely", iDeps, 4}, {"relies", iDeps, 4},
	{"relying", iDeps, 4}, {"need", iDeps, 1}, {"needs", iDeps, 2}, {"uses", iDeps, 2}, {"use", iDeps, 1},
	{"used by", iDeps, 4}, {"using", iDeps, 2}, {"upstream", iDeps, 4}, {"downstream", iDeps, 4}, {"breaks", iDeps, 5},
	{"break", iDeps, 4}, {"goes down", iDeps, 6}, {"go down", iDeps, 6}, {"went down", iDeps, 6}, {"is down", iDeps, 5},
	{"outage", iDeps, 4}, {"fails", iDeps, 3}, {"impact", iDeps, 4}, {"impacted", iDeps, 4}, {"affected", iDeps, 4},
	{"affect", iDeps, 4}, {"affects", iDeps, 4}, {"blast radius", iDeps, 6}, {"built on", iDeps, 2}, {"sits on", iDeps, 3},

	{"roadmap", iRoadmap, 6}, {"roadmaps", iRoadmap, 6}, {"road map", iRoadmap, 6}, {"planned", iRoadmap, 2},
	{"plans", iRoadmap, 3}, {"plan", iRoadmap, 1}, {"upcoming", iRoadmap, 3}, {"coming up", iRoadmap, 3},
	{"milestone", iRoadmap, 4}, {"milestones", iRoadmap, 4}, {"project", iRoadmap, 2}, {"projects", iRoadmap, 3},
	{"initiative", iRoadmap, 3}, {"initiatives", iRoadmap, 3}, {"deliver", iRoadmap, 2}, {"delivered", iRoadmap, 2},
	{"deliverables", iRoadmap, 3}, {"improvement", iRoadmap, 3}, {"improvements", iRoadmap, 3},
	{"working on", iRoadmap, 3}, {"work items", iRoadmap, 3}, {"next for", iRoadmap, 3}, {"items", iRoadmap, 1},

	{"dr", iDR, 6}, {"disaster", iDR, 6}, {"disaster recovery", iDR, 4}, {"rto", iDR, 6}, {"rpo", iDR, 6},
	{"continuity", iDR, 6}, {"failover", iDR, 4}, {"recovery time", iDR, 6}, {"recovery point", iDR, 6},
	{"recovery plan", iDR, 6}, {"tested", iDR, 2}, {"test", iDR, 1}, {"tests", iDR, 1}, {"bcp", iDR, 5},
	{"data loss", iDR, 4}, {"restore time", iDR, 3}, {"runbook", iDR, 2},

	{"vendor", iVendor, 5}, {"vendors", iVendor, 5}, {"supplier", iVendor, 5}, {"suppliers", iVendor, 5},
	{"supplies", iVendor, 5}, {"supply", iVendor, 4}, {"supplied", iVendor, 5}, {"provider", iVendor, 4},
	{"providers", iVendor, 4}, {"provides", iVendor, 2}, {"product", iVendor, 2}, {"products", iVendor, 2},
	{"contract", iVendor, 5}, {"contracts", iVendor, 5}, {"renewal", iVendor, 5}, {"renew", iVendor, 4},
	{"renewed", iVendor, 4}, {"expire", iVendor, 4}, {"expires", iVendor, 4}, {"expiry", iVendor, 4},
	{"expiring", iVendor, 4}, {"who makes", iVendor, 4}, {"what software", iVendor, 4}, {"runs on", iVendor, 2},
	{"bought", iVendor, 3}, {"buy", iVendor, 3}, {"licensed from", iVendor, 4},

	{"review", iReview, 5}, {"reviews", iReview, 5}, {"reviewed", iReview, 5}, {"reviewing", iReview, 5},
	{"performance review", iReview, 6}, {"service review", iReview, 6},

	{"what is", iCard, 1}, {"tell me about", iCard, 4}, {"describe", iCard, 4}, {"description", iCard, 4},
	{"overview", iCard, 4}, {"summary", iCard, 3}, {"details", iCard, 2}, {"info", iCard, 2}, {"information", iCard, 2},
	{"what does", iCard, 1}, {"card", iCard, 3}, {"explain", iCard, 3}, {"about", iCard, 1},

	{"channel", iChannel, 5}, {"slack", iChannel, 2},

	{"why", iStrategy, 3}, {"purpose", iStrategy, 4}, {"strategy", iStrategy, 2}, {"available from", iStrategy, 4},
	{"go live", iStrategy, 4}, {"be available", iStrategy, 5}, {"went live", iStrategy, 4}, {"since when", iStrategy, 4}, {"launch", iStrategy, 2},
	{"launched", iStrategy, 3}, {"goal", iStrategy, 3}, {"business case", iStrategy, 2},

	{"history", iHistory, 6}, {"changed", iHistory, 3}, {"audit", iHistory, 5}, {"who changed", iHistory, 6},
	{"changes", iHistory, 1}, {"modified", iHistory, 3},

	{"board", iBoard, 2}, {"boards", iBoard, 3}, {"members", iBoard, 4}, {"member", iBoard, 3}, {"who is on", iBoard, 3},
	{"who sits on", iBoard, 4}, {"approvers", iBoard, 3},

	{"tollgate", iTollgate, 6}, {"tollgates", iTollgate, 6}, {"gate", iTollgate, 3}, {"criteria", iTollgate, 5},
	{"quorum", iTollgate, 5}, {"approval", iTollgate, 3}, {"approvals", iTollgate, 3}, {"who approves", iTollgate, 6},
	{"approved by", iTollgate, 4}, {"votes", iTollgate, 3},

	{"help", iHelp, 3}, {"what can you do", iHelp, 6}, {"commands", iHelp, 4}, {"how do i use", iHelp, 4},
	{"what can i ask", iHelp, 6},
}

// scores adds up the cues present: phrases in the words as typed, single
// words also in iw, the words with misspelt keywords corrected.
func scores(ws, iw []string) map[intent]int {
	s := map[intent]int{}
	for _, c := range cues {
		if strings.Contains(c.p, " ") {
			if hasPhrase(ws, c.p) {
				s[c.i] += c.w
			}
		} else if has(ws, c.p) || has(iw, c.p) {
			s[c.i] += c.w
		}
	}
	ws = iw
	// "disaster recovery", "recovery time": recovery is then not about money.
	if s[iDR] >= 4 && has(ws, "recovery") && !hasPhrase(ws, "cost recovery") && !hasPhrase(ws, "recovery rate") {
		s[iCost] -= 2
	}
	// "performance review": the review, not the measurements.
	if hasPhrase(ws, "performance review") || hasPhrase(ws, "performance reviews") {
		s[iSLA] -= 3
	}
	// "when is the next DR test": "next" alone is not a roadmap.
	if s[iDR] >= 5 {
		s[iRoadmap] -= 1
	}
	// "DR plan" is continuity, not the roadmap.
	if has(ws, "plan") && s[iDR] >= 5 {
		s[iRoadmap] -= 1
	}
	return s
}

// ranked returns the intents with a positive score, best first; ties keep
// the order of the constants (owner before cost before …).
func ranked(s map[intent]int) []intent {
	var out []intent
	for i, v := range s {
		if v > 0 {
			out = append(out, i)
		}
	}
	sort.Slice(out, func(a, b int) bool {
		if s[out[a]] != s[out[b]] {
			return s[out[a]] > s[out[b]]
		}
		return out[a] < out[b]
	})
	return out
}
