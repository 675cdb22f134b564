package fakeslack

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// Identity is who the fake workspace and its bot are (auth.test, message
// echoes, views).
type Identity struct {
	TeamID    string
	Team      string
	URL       string
	BotUserID string
	BotName   string
	BotID     string
	AppID     string
}

// DefaultIdentity is the identity a new Server starts with.
var DefaultIdentity = Identity{
	TeamID:    "T0000FAKE",
	Team:      "itspm-test",
	URL:       "https://itspm-test.slack.com/",
	BotUserID: "U0000BOT1",
	BotName:   "itspm",
	BotID:     "B0000BOT1",
	AppID:     "A0000APP1",
}

// Call is one recorded request.
type Call struct {
	Method string // Web API method ("chat.postMessage"), MethodUpload or MethodResponseURL
	Path   string // request path
	// Params merges the query string with the form body, or with the top-level
	// fields of a JSON body (strings as they are, other values as compact JSON;
	// nulls are left out).
	Params  url.Values
	Body    []byte         // raw request body
	JSON    map[string]any // parsed body when it was JSON, else nil
	Header  http.Header
	Token   string // from "Authorization: Bearer" or the "token" parameter
	Time    time.Time
	Faulted bool   // an injected fault answered instead of (or, for PostThenDrop, after) the method
	Fault   Fault  // the injected fault, including Latency; nil if none
	Status  int    // HTTP status sent; 0 when the connection was dropped
	Error   string // Slack error code answered ("" when ok)
}

// User is a workspace member known to the fake (users.*, conversations.open).
type User struct {
	ID          string
	Name        string
	RealName    string
	DisplayName string
	Email       string
	TZ          string // IANA name, e.g. "Europe/Berlin"
	TZOffset    int    // seconds east of UTC
	IsBot       bool
	IsAdmin     bool
	Deleted     bool
}

// Version is one state of a message.
type Version struct {
	Text        string
	Blocks      json.RawMessage // nil when the message has no blocks
	Attachments json.RawMessage
	Time        time.Time
}

// Message is a message posted with chat.postMessage, in its current state.
type Message struct {
	Channel     string // resolved channel (a user ID becomes their DM channel)
	TS          string
	ThreadTS    string
	Text        string
	Blocks      json.RawMessage
	Attachments json.RawMessage
	Metadata    json.RawMessage
	User        string     // bot user that posted it
	Params      url.Values // parameters of the posting call
	Time        time.Time
	Deleted     bool // chat.delete
	// History holds every version, oldest first: the post, then one entry
	// per chat.update. The last entry equals Text/Blocks/Attachments.
	History []Version
}

// Edited reports whether chat.update changed the message.
func (m Message) Edited() bool { return len(m.History) > 1 }

// Ephemeral is a message posted with chat.postEphemeral.
type Ephemeral struct {
	Channel  string
	User     string
	TS       string // the message_ts answered
	ThreadTS string
	Text     string
	Blocks   json.RawMessage
	Time     time.Time
}

// View is a modal (views.open) or App Home tab (views.publish).
type View struct {
	ID              string
	Type            string // "modal" or "home"
	User            string // owner of a home tab; "" for modals
	TriggerID       string
	ExternalID      string
	CallbackID      string
	PrivateMetadata string
	Title           string // title.text
	Hash            string
	Blocks          json.RawMessage
	JSON            json.RawMessage // the view exactly as last sent
	Version         int             // 1 when opened or first published, +1 per update/publish
	Time            time.Time
}

// Upload is a file uploaded with the three-step external upload.
type Upload struct {
	FileID         string
	Filename       string
	Title          string
	Length         int // size declared to files.getUploadURLExternal
	Bytes          []byte
	AltText        string
	SnippetType    string
	Channels       []string // channel_id and channels of files.completeUploadExternal
	ThreadTS       string
	InitialComment string
	Blocks         json.RawMessage
	Uploaded       bool // bytes were POSTed to the upload_url
	Completed      bool // files.completeUploadExternal succeeded
	Time           time.Time
}

// Response is one JSON post to a response_url.
type Response struct {
	Name            string
	Text            string
	Blocks          json.RawMessage
	ResponseType    string // "ephemeral", "in_channel" or ""
	ReplaceOriginal bool
	DeleteOriginal  bool
	ThreadTS        string
	Body            []byte
	JSON            map[string]any
	Time            time.Time
}

// ResponseURLUses is how many posts a response_url accepts, as on Slack;
// later posts get HTTP 404 "used_url".
const ResponseURLUses = 5

func (c Call) clone() Call {
	c.Params = cloneValues(c.Params)
	c.Body = bytes.Clone(c.Body)
	c.JSON = cloneMap(c.JSON)
	c.Header = c.Header.Clone()
	return c
}

func (m *Message) clone() Message {
	out := *m
	out.Blocks = cloneRaw(m.Blocks)
	out.Attachments = cloneRaw(m.Attachments)
	out.Metadata = cloneRaw(m.Metadata)
	out.Params = cloneValues(m.Params)
	out.History = make([]Version, len(m.History))
	for i, v := range m.History {
		v.Blocks = cloneRaw(v.Blocks)
		v.Attachments = cloneRaw(v.Attachments)
		out.History[i] = v
	}
	return out
}

func (v View) clone() View {
	v.Blocks = cloneRaw(v.Blocks)
	v.JSON = cloneRaw(v.JSON)
	return v
}

func (u *Upload) clone() Upload {
	out := *u
	out.Bytes = bytes.Clone(u.Bytes)
	out.Channels = append([]string(nil), u.Channels...)
	out.Blocks = cloneRaw(u.Blocks)
	return out
}

func cloneRaw(b json.RawMessage) json.RawMessage {
	if b == nil {
		return nil
	}
	return bytes.Clone(b)
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func cloneMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneAny(v)
	}
	return out
}

func cloneAny(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return cloneMap(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = cloneAny(e)
		}
		return out
	default:
		return v
	}
}
