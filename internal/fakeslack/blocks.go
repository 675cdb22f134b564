package fakeslack

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Block Kit limits from Slack's reference, checked so that tests catch what
// Slack would reject.
const (
	maxMessageBlocks = 50
	maxViewBlocks    = 100
)

// parseBlocks decodes a blocks parameter. A missing or null value gives nil.
func parseBlocks(raw string) ([]any, bool) {
	if raw == "" || raw == "null" {
		return nil, true
	}
	var blocks []any
	if err := json.Unmarshal([]byte(raw), &blocks); err != nil {
		return nil, false
	}
	return blocks, true
}

// blockChecker collects "[ERROR] ..." messages like Slack's
// response_metadata.messages.
type blockChecker struct {
	msgs []string
	ids  map[string]bool
}

func (c *blockChecker) errorf(ptr, format string, args ...any) {
	c.msgs = append(c.msgs, fmt.Sprintf("[ERROR] "+format+" [json-pointer:%s]", append(args, ptr)...))
}

func checkBlocks(blocks []any, max int, ptr string) []string {
	c := &blockChecker{ids: map[string]bool{}}
	if len(blocks) > max {
		c.errorf(ptr, "no more than %d items allowed", max)
	}
	for i, b := range blocks {
		c.block(b, fmt.Sprintf("%s/%d", ptr, i))
	}
	return c.msgs
}

func (c *blockChecker) block(v any, ptr string) {
	b, ok := v.(map[string]any)
	if !ok {
		c.errorf(ptr, "must be an object")
		return
	}
	typ, _ := b["type"].(string)
	if typ == "" {
		c.errorf(ptr+"/type", "missing required field: type")
		return
	}
	if id, ok := b["block_id"].(string); ok {
		c.maxLen(id, 255, ptr+"/block_id")
		if c.ids[id] {
			c.errorf(ptr+"/block_id", "duplicate block_id %q", id)
		}
		c.ids[id] = true
	}
	switch typ {
	case "section":
		text, hasText := b["text"]
		fields, hasFields := b["fields"].([]any)
		if !hasText && !hasFields {
			c.errorf(ptr, "must provide either text or fields")
		}
		if hasText {
			c.text(text, 3000, ptr+"/text", "")
		}
		if hasFields {
			if len(fields) > 10 {
				c.errorf(ptr+"/fields", "no more than 10 items allowed")
			}
			for i, f := range fields {
				c.text(f, 2000, fmt.Sprintf("%s/fields/%d", ptr, i), "")
			}
		}
		if acc, ok := b["accessory"]; ok {
			c.element(acc, ptr+"/accessory")
		}
	case "header":
		c.text(b["text"], 150, ptr+"/text", "plain_text")
	case "context":
		els, _ := b["elements"].([]any)
		c.count(len(els), 1, 10, ptr+"/elements")
		for i, e := range els {
			em, _ := e.(map[string]any)
			if t, _ := em["type"].(string); t == "plain_text" || t == "mrkdwn" {
				c.text(e, 0, fmt.Sprintf("%s/elements/%d", ptr, i), "")
			}
		}
	case "actions":
		els, _ := b["elements"].([]any)
		c.count(len(els), 1, 25, ptr+"/elements")
		for i, e := range els {
			c.element(e, fmt.Sprintf("%s/elements/%d", ptr, i))
		}
	case "input":
		c.text(b["label"], 2000, ptr+"/label", "plain_text")
		if h, ok := b["hint"]; ok {
			c.text(h, 2000, ptr+"/hint", "plain_text")
		}
		if e, ok := b["element"]; ok {
			c.element(e, ptr+"/element")
		} else {
			c.errorf(ptr+"/element", "missing required field: element")
		}
	case "image":
		alt, _ := b["alt_text"].(string)
		if alt == "" {
			c.errorf(ptr+"/alt_text", "missing required field: alt_text")
		}
		c.maxLen(alt, 2000, ptr+"/alt_text")
	}
}

func (c *blockChecker) element(v any, ptr string) {
	e, ok := v.(map[string]any)
	if !ok {
		c.errorf(ptr, "must be an object")
		return
	}
	typ, _ := e["type"].(string)
	if typ == "" {
		c.errorf(ptr+"/type", "missing required field: type")
		return
	}
	if id, ok := e["action_id"].(string); ok {
		c.maxLen(id, 255, ptr+"/action_id")
	}
	if p, ok := e["placeholder"]; ok {
		c.text(p, 150, ptr+"/placeholder", "plain_text")
	}
	switch typ {
	case "button":
		c.text(e["text"], 75, ptr+"/text", "plain_text")
		if s, ok := e["value"].(string); ok {
			c.maxLen(s, 2000, ptr+"/value")
		}
		if s, ok := e["url"].(string); ok {
			c.maxLen(s, 3000, ptr+"/url")
		}
	case "static_select", "multi_static_select", "radio_buttons", "checkboxes", "overflow":
		opts, hasOpts := e["options"].([]any)
		groups, hasGroups := e["option_groups"].([]any)
		if !hasOpts && !hasGroups {
			c.errorf(ptr, "must provide either options or option_groups")
		}
		if typ == "overflow" {
			c.count(len(opts), 1, 5, ptr+"/options")
		} else {
			c.count(len(opts), 0, 100, ptr+"/options")
		}
		for i, o := range opts {
			c.option(o, fmt.Sprintf("%s/options/%d", ptr, i))
		}
		for gi, g := range groups {
			gm, _ := g.(map[string]any)
			gopts, _ := gm["options"].([]any)
			for i, o := range gopts {
				c.option(o, fmt.Sprintf("%s/option_groups/%d/options/%d", ptr, gi, i))
			}
		}
	}
}

func (c *blockChecker) option(v any, ptr string) {
	o, ok := v.(map[string]any)
	if !ok {
		c.errorf(ptr, "must be an object")
		return
	}
	c.text(o["text"], 75, ptr+"/text", "")
	if s, ok := o["value"].(string); ok {
		c.maxLen(s, 150, ptr+"/value")
	}
}

// text checks a text object; max 0 means no length limit, want "" allows
// plain_text and mrkdwn.
func (c *blockChecker) text(v any, max int, ptr, want string) {
	t, ok := v.(map[string]any)
	if !ok {
		c.errorf(ptr, "must be a text object")
		return
	}
	typ, _ := t["type"].(string)
	if typ != "plain_text" && typ != "mrkdwn" {
		c.errorf(ptr+"/type", "must be plain_text or mrkdwn")
	} else if want != "" && typ != want {
		c.errorf(ptr+"/type", "must be %s", want)
	}
	s, _ := t["text"].(string)
	if s == "" {
		c.errorf(ptr+"/text", "must be more than 0 characters")
	}
	if max > 0 {
		c.maxLen(s, max, ptr+"/text")
	}
}

func (c *blockChecker) maxLen(s string, max int, ptr string) {
	if utf8.RuneCountInString(s) > max {
		c.errorf(ptr, "must be less than %d characters", max+1)
	}
}

func (c *blockChecker) count(n, min, max int, ptr string) {
	switch {
	case n < min:
		c.errorf(ptr, "must provide at least %d items", min)
	case n > max:
		c.errorf(ptr, "no more than %d items allowed", max)
	}
}
