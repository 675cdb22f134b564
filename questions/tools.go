package questions

// What the LLM's tools reuse of question understanding: the same words,
// stopwords and list conditions, so that both answer alike.

// Words is text as the normalised words the parser reads.
func Words(s string) []string { return words(s) }

// Phrase is text as its normalised words joined by single spaces.
func Phrase(s string) string { return phrase(s) }

// IsStopword reports whether w carries no meaning of its own ("the", "of").
func IsStopword(w string) bool { return stopwords[w] }
