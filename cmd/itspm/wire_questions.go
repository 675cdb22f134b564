package main

import "github.com/itspm/itspm/questions"

// wireQuestions enables answers to plain-language questions on a.engine
// with the built-in parser (the LLM, when wired, answers first).
func wireQuestions(a *app) {
	a.engine.SetQuestions(questions.New(a.engine))
}
