package commands

import "strings"

// Verb names what text asks for without repeating it, for logs that must
// not carry what people typed: a verb of the grammar, "help" for nothing at
// all, else "question" (plain language, which may hold anything).
func Verb(text string) string {
	fields := strings.Fields(strings.ToValidUTF8(text, ""))
	if len(fields) == 0 {
		return "help"
	}
	verb := strings.ToLower(strings.TrimLeftFunc(fields[0], func(r rune) bool { return r == '/' }))
	if _, ok := lookupCommand(verb); ok {
		return verb
	}
	return "question"
}
