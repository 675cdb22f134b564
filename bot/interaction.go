package bot

import (
	"context"
	"net/http"
	"strings"

	"github.com/slack-go/slack"

	"github.com/itspm/itspm/commands"
)

// Callback IDs of the modals and shortcut the bot owns.
const (
	CallbackTollgateReject = "tollgate_reject" // modal: reason for a rejection
	CallbackFind           = "itspm_find"      // global shortcut and its modal
)

// Block and action IDs of the modal inputs.
const (
	inputReason = "reason"
	inputQuery  = "query"
)

// serveInteraction acknowledges block_actions, view_submission and
// shortcuts (the payload= form field); the work follows.
func (s *Server) serveInteraction(w http.ResponseWriter, r *http.Request) {
	// The verifier restored the body, so the form can be parsed here.
	cb, err := slack.InteractionCallbackParse(r)
	if err != nil {
		badRequest(w, r, "bad interaction payload")
		return
	}
	ack, start := s.acceptInteraction(r.Context(), cb, false)
	if ack != nil {
		writeJSON(w, ack)
	} else {
		ackEmpty(w)
	}
	then(start)
}

// viewErrors is a view_submission answer that keeps the modal open with a
// message under the named input blocks.
type viewErrors struct {
	ResponseAction string            `json:"response_action"`
	Errors         map[string]string `json:"errors"`
}

// acceptInteraction reserves the work of an interaction and returns what
// the acknowledgement must carry (nil: nothing) and what starts the work
// once it is sent. Unknown payloads are acknowledged and ignored.
// redelivered is as for acceptCommand.
func (s *Server) acceptInteraction(ctx context.Context, cb slack.InteractionCallback, redelivered bool) (ack any, start func()) {
	user := cb.User.ID
	requestOf(ctx).set(clip(string(cb.Type), 32), user, cb.Team.ID, channelOf(cb), cb.TriggerID)
	if user == "" {
		return nil, nil
	}
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		var starts []func()
		for _, a := range cb.ActionCallback.BlockActions {
			if a != nil {
				starts = append(starts, s.acceptAction(ctx, cb, a, redelivered))
			}
		}
		return nil, func() { then(starts...) }
	case slack.InteractionTypeViewSubmission:
		return s.acceptSubmission(ctx, cb, redelivered)
	case slack.InteractionTypeShortcut:
		if cb.CallbackID == CallbackFind {
			start, err := s.reserve(ctx, "shortcut:"+CallbackFind, func(ctx context.Context) {
				if err := s.sender.OpenModal(ctx, cb.TriggerID, findModal()); err != nil {
					note(ctx, "reply_failed")
					s.log(ctx).Error("open find modal", "err", err)
				}
			})
			if err != nil {
				s.log(ctx).Warn("shortcut dropped", "reason", err)
			}
			return nil, start
		}
	}
	return nil, nil
}

// channelOf is where an interaction happened ("" for the App Home).
func channelOf(cb slack.InteractionCallback) string {
	if cb.Channel.ID != "" {
		return cb.Channel.ID
	}
	return cb.Container.ChannelID
}

// acceptAction reserves the work of one button click and returns what
// starts it (nil: nothing to do).
func (s *Server) acceptAction(ctx context.Context, cb slack.InteractionCallback, a *slack.BlockAction, redelivered bool) func() {
	user, channel := cb.User.ID, channelOf(cb)
	caller := commands.Caller{SlackUser: user, Source: source("button", channel)}
	// Button answers are for the clicker only.
	respond := func(ctx context.Context, r commands.Reply) {
		r.InChannel = false
		s.reply(ctx, cb.ResponseURL, channel, user, r)
	}
	var work func(ctx context.Context)
	switch actionBase(a.ActionID) {
	case ActionRunCommand:
		work = func(ctx context.Context) {
			respond(ctx, s.answer(ctx, caller, a.Value))
		}
	case ActionPage:
		page, text, ok := parsePageValue(a.Value)
		if !ok {
			return nil
		}
		work = func(ctx context.Context) {
			r := s.answer(ctx, caller, text)
			r.Page = page
			if cb.ResponseURL == "" {
				respond(ctx, r)
				return
			}
			// The page takes the place of the one clicked, for the clicker
			// alone, as the rest of a button's answers.
			r.InChannel = false
			ctx, cancel := afterwords(ctx)
			defer cancel()
			if err := s.sender.Replace(ctx, cb.ResponseURL, r); err != nil {
				note(ctx, "reply_failed")
				s.log(ctx).Error("replace page", "err", err)
			}
		}
	case ActionTollgateApprove:
		work = func(ctx context.Context) {
			respond(ctx, s.vote(ctx, caller, a.Value, true, ""))
		}
	case ActionTollgateReject:
		work = func(ctx context.Context) {
			// The trigger_id expires after 3 s: open the modal first.
			if err := s.sender.OpenModal(ctx, cb.TriggerID, rejectModal(a.Value)); err != nil {
				note(ctx, "reply_failed")
				s.log(ctx).Error("open reject modal", "err", err)
				respond(ctx, commands.Reply{Error: true, Text: "Could not open the rejection form; type `reject " + a.Value + " <reason>` instead."})
			}
		}
	default:
		if work = s.itemAction(cb, a, caller, respond); work == nil {
			return nil
		}
	}
	key := ""
	if redelivered && cb.TriggerID != "" {
		key = "act:" + cb.TriggerID + ":" + a.ActionID
	}
	start, err := s.reserve(ctx, "action:"+actionBase(a.ActionID), func(ctx context.Context) {
		if key != "" && !s.claim(ctx, "interactions", key) {
			return
		}
		work(ctx)
	})
	if err != nil && cb.ResponseURL != "" {
		s.spawnNotice(ctx, func(ctx context.Context) {
			_ = s.sender.Respond(ctx, cb.ResponseURL, commands.Reply{Error: true, Text: busyText(err)})
		})
	}
	return start
}

func (s *Server) vote(ctx context.Context, c commands.Caller, id string, approve bool, comment string) commands.Reply {
	r, err := s.engine.Vote(ctx, c, strings.TrimSpace(id), approve, comment)
	if err != nil {
		note(ctx, outcomeOf(err))
		return commands.ErrorReply(s.log(ctx), err)
	}
	noteReply(ctx, r)
	return r
}

// acceptSubmission validates a modal synchronously (Slack shows errors
// only in the acknowledgement) and queues the rest.
func (s *Server) acceptSubmission(ctx context.Context, cb slack.InteractionCallback, redelivered bool) (any, func()) {
	user := cb.User.ID
	caller := commands.Caller{SlackUser: user, Source: source("modal", "")}
	var work func(ctx context.Context)
	var field string
	switch cb.View.CallbackID {
	case CallbackTollgateReject:
		field = inputReason
		reason := inputValue(cb, inputReason)
		if reason == "" {
			return viewErrors{ResponseAction: "errors", Errors: map[string]string{inputReason: "Please give a reason"}}, nil
		}
		id := cb.View.PrivateMetadata
		work = func(ctx context.Context) {
			s.reply(ctx, "", "", user, s.vote(ctx, caller, id, false, reason))
		}
	case CallbackFind:
		field = inputQuery
		q := inputValue(cb, inputQuery)
		if q == "" {
			return viewErrors{ResponseAction: "errors", Errors: map[string]string{inputQuery: "Type something to look for"}}, nil
		}
		work = func(ctx context.Context) {
			s.reply(ctx, "", "", user, s.answer(ctx, caller, "find "+q))
		}
	default:
		ack, w, f, ok := s.itemSubmission(ctx, cb, caller)
		if !ok || ack != nil {
			return ack, nil
		}
		work, field = w, f
	}
	key := ""
	switch {
	case !redelivered:
	case cb.TriggerID != "":
		key = "view:" + cb.TriggerID
	case cb.View.ID != "":
		key = "view:" + cb.View.ID + ":" + cb.View.Hash
	}
	start, err := s.reserve(ctx, "view:"+cb.View.CallbackID, func(ctx context.Context) {
		if key != "" && !s.claim(ctx, "interactions", key) {
			return
		}
		work(ctx)
	})
	if err != nil {
		// Keep the modal open so nothing typed is lost.
		return viewErrors{ResponseAction: "errors", Errors: map[string]string{field: busyText(err)}}, nil
	}
	return nil, start
}

// inputValue is the trimmed text of the modal input whose block and action
// IDs are both id.
func inputValue(cb slack.InteractionCallback, id string) string {
	if cb.View.State == nil {
		return ""
	}
	return strings.TrimSpace(cb.View.State.Values[id][id].Value)
}

func plainText(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

// rejectModal asks for the reason of a rejection; private_metadata carries
// the request ID to the submission.
func rejectModal(requestID string) slack.ModalViewRequest {
	input := slack.NewPlainTextInputBlockElement(plainText("What is missing or wrong?"), inputReason)
	input.Multiline = true
	input.MaxLength = 2000
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      CallbackTollgateReject,
		PrivateMetadata: requestID,
		Title:           plainText("Reject tollgate"),
		Submit:          plainText("Reject"),
		Close:           plainText("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			mdSection("Rejecting *" + Escape(clip(requestID, 200)) + "*. The requester and the board will see your reason."),
			slack.NewInputBlock(inputReason, plainText("Reason"), nil, input),
		}},
	}
}

// findModal is the "Find a service" shortcut's search box.
func findModal() slack.ModalViewRequest {
	input := slack.NewPlainTextInputBlockElement(plainText("payroll, finance, SAP…"), inputQuery)
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: CallbackFind,
		Title:      plainText("Find a service"),
		Submit:     plainText("Find"),
		Close:      plainText("Cancel"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock(inputQuery, plainText("Name, alias, tag or words from the description"), nil, input),
		}},
	}
}
