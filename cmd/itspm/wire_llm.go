package main

import "github.com/itspm/itspm/llm"

// wireAsker enables LLM answers on a.engine when OPENAI_API_KEY is set; the
// built-in parser answers otherwise, and whenever the LLM fails.
func wireAsker(a *app) {
	if a.cfg.OpenAIKey == "" {
		return
	}
	a.engine.SetAsker(llm.New(llm.Config{
		APIKey:  a.cfg.OpenAIKey,
		BaseURL: a.cfg.OpenAIBaseURL,
		Model:   a.cfg.OpenAIModel,
		Logger:  a.logger,
	}, a.engine.Reader()))
	a.logger.Info("LLM answers enabled", "model", a.cfg.OpenAIModel, "base_url_set", a.cfg.OpenAIBaseURL != "")
}
