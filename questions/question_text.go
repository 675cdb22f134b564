package questions

import (
	"regexp"
	"sort"
	"strings"
	"unicode"

	"github.com/itspm/itspm/domain"
)

// The built-in parser reads a question in three steps: normalise the text
// into words (question_text.go), find the catalog things it names by
// scanning its n-grams against every name, alias and title
// (question_entities.go), and score keywords to decide what is asked
// (question_intent.go). answer.go then answers from the snapshot.

// contractions are expanded before anything else so that "what's" reads as
// "what is" and "doesn't" keeps its "not".
var contractions = strings.NewReplacer(
	"what's", "what is", "who's", "who is", "where's", "where is", "when's", "when is",
	"how's", "how is", "it's", "it is", "that's", "that is", "there's", "there is",
	"isn't", "is not", "aren't", "are not", "doesn't", "does not", "don't", "do not",
	"didn't", "did not", "hasn't", "has not", "haven't", "have not", "wasn't", "was not",
	"won't", "will not", "can't", "can not", "cannot", "can not", "i'm", "i am", "i'd", "i would",
	"let's", "let us", "we're", "we are", "what're", "what are",
)

// words lower-cases s and splits it into words: letters and digits only,
// possessives dropped ("email's" → "email"), hyphens and slashes split
// ("dr-tested" → "dr tested", "ci/cd" → "ci cd"). Decimal points inside
// numbers are kept ("99.9").
func words(s string) []string {
	s = strings.ToLower(s)
	s = strings.NewReplacer("’", "'", "‘", "'", "`", "'").Replace(s)
	s = contractions.Replace(s)
	rs := []rune(s)
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			w := string(cur)
			w = strings.TrimSuffix(w, "'s")
			w = strings.Trim(w, "'")
			if w != "" {
				out = append(out, w)
			}
			cur = cur[:0]
		}
	}
	for i, r := range rs {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			cur = append(cur, r)
		case r == '\'' && len(cur) > 0:
			cur = append(cur, r)
		case r == '.' && len(cur) > 0 && unicode.IsDigit(cur[len(cur)-1]) && i+1 < len(rs) && unicode.IsDigit(rs[i+1]):
			cur = append(cur, r)
		case r == '%':
			flush()
			out = append(out, "percent")
		case r == '€':
			flush()
			out = append(out, "eur")
		case r == '$':
			flush()
			out = append(out, "usd")
		default:
			flush()
		}
	}
	flush()
	return out
}

// phrase is the canonical form of a multi-word key: its words joined by one space.
func phrase(s string) string { return strings.Join(words(s), " ") }

// compact removes spaces so "data warehose" can be compared with
// "datawarehouse" by edit distance.
func compact(s string) string { return strings.ReplaceAll(s, " ", "") }

// stopwords never name a service on their own and are never fuzzy-matched:
// function words, question words and the vocabulary of the intents.
var stopwords = setOf(`a an the of for to in on at by with from and or but not no yes is are was were be been being
am do does did done doing have has had having will would can could should shall may might must
i me my mine we us our ours you your yours he him his she her it its they them their this that these those
what which who whom whose when where why how there here than then so if as about into over under up down out
all any some each every both either neither much many more most less least few lot lots very just also only
please thanks thank hi hello hey tell show give list find let know need want like get got go going gone
service services system systems app apps application applications tool tools thing things one ones
own owns owned owner owners owning responsible accountable charge manager managers manages managed manage run runs running
cost costs costing price priced pricing spend spending spent pay paying paid money budget budgets expensive cheap
annual annually year years yearly month months monthly quarter quarters quarterly week weeks day days today tomorrow
stage stages phase lifecycle tier tiers critical criticality
sla slas target targets kpi kpis availability uptime latency performance performing perform meet meets met missed miss
depend depends dependency dependencies dependent dependents rely relies use uses used using break breaks broke impact impacted affected
roadmap plan plans planned upcoming coming next last previous latest recent soon due overdue late
dr disaster recovery continuity rto rpo test tests tested testing failover backup restore
vendor vendors supplier suppliers supply supplies supplied provider providers product products contract contracts renewal renew expire expires expiry end ends ending
review reviews reviewed reviewing portfolio portfolios
catalog catalogue ask question answer data info information details detail about describe description
currently current now still ever again new old good bad well`)

// intentWords are words that carry the question's intent: a service alias
// that is one of them ("contracts", "pay") is only a weak reference.
var weakAliases = setOf(`pay contracts contract portal hub news files shares tickets devices training calendar meetings
reporting dashboards builds deployments pipelines cloud voice directory restore alerting checkout shop print scanning
expenses purchasing passwords gateway apis warehouse on call my account hr dc ad www bi repos git salaries notebooks
desktops endpoints tablets smartphones printers copiers wireless observability backups`)

func setOf(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// requestIDPattern finds tollgate request IDs such as TG-payroll-1 in the raw text.
var requestIDPattern = regexp.MustCompile(`(?i)\bTG-[a-z0-9-]*[0-9a-z]\b`)

// numberWords reads small numbers written as words ("tier one").
var numberWords = map[string]int{"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "first": 1, "second": 2, "third": 3}

// has reports whether the word list contains any of ws.
func has(ws []string, want ...string) bool {
	for _, w := range ws {
		for _, x := range want {
			if w == x {
				return true
			}
		}
	}
	return false
}

// hasPhrase reports whether the words contain the phrase (space-separated words).
func hasPhrase(ws []string, p string) bool {
	pw := strings.Fields(p)
	if len(pw) == 0 {
		return false
	}
	for i := 0; i+len(pw) <= len(ws); i++ {
		ok := true
		for j := range pw {
			if ws[i+j] != pw[j] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// indexOf is the position of the first of want in ws, or -1.
func indexOf(ws []string, want ...string) int {
	for i, w := range ws {
		for _, x := range want {
			if w == x {
				return i
			}
		}
	}
	return -1
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// stageWords map words to lifecycle stages for list filters ("what's in
// design", "retired services").
var stageWords = map[string][]domain.Stage{
	"strategy": {domain.StageStrategy}, "idea": {domain.StageStrategy}, "ideas": {domain.StageStrategy}, "proposed": {domain.StageStrategy},
	"design": {domain.StageDesign}, "designed": {domain.StageDesign}, "designing": {domain.StageDesign},
	"transition": {domain.StageTransition}, "transitioning": {domain.StageTransition}, "rollout": {domain.StageTransition},
	"operate": {domain.StageOperate}, "operating": {domain.StageOperate}, "operational": {domain.StageOperate}, "operation": {domain.StageOperate},
	"live": {domain.StageOperate, domain.StageImprove}, "production": {domain.StageOperate, domain.StageImprove},
	"improve": {domain.StageImprove}, "improving": {domain.StageImprove},
	"retirement": {domain.StageRetirement}, "retiring": {domain.StageRetirement}, "retired": {domain.StageRetirement},
	"decommissioned": {domain.StageRetirement}, "decommissioning": {domain.StageRetirement}, "sunset": {domain.StageRetirement}, "sunsetting": {domain.StageRetirement},
}
