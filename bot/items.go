package bot

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"

	"github.com/slack-go/slack"

	"github.com/itspm/itspm/commands"
	"github.com/itspm/itspm/domain"
)

// Reminder buttons (Record result, Mark reviewed, Done, Postpone): the
// click or the modal it opens does what the typed command does, as the
// clicker (commands.Engine.Act), and the reminder is then updated in place.

// ItemEngine is what reminder buttons need from the engine
// (*commands.Engine implements it). An engine without it ignores them.
type ItemEngine interface {
	CheckItem(ctx context.Context, c commands.Caller, it commands.Item) error
	CheckInput(it commands.Item, in commands.ItemInput) error
	Act(ctx context.Context, c commands.Caller, it commands.Item, in commands.ItemInput) (commands.Reply, string, error)
	Settle(ctx context.Context, r commands.Reply, done commands.Item, line string) (commands.Reply, error)
}

// ReminderSource finds the reminder posted at channel and ts.
type ReminderSource interface {
	Reminder(ctx context.Context, channel, ts string) (commands.Reply, bool, error)
}

// Callback IDs of the reminder modals.
const (
	CallbackRecordDR        = "item_dr_record"
	CallbackMarkReviewed    = "item_review"
	CallbackRoadmapPostpone = "item_roadmap_postpone"
)

// Block and action IDs of their inputs.
const (
	inputResult = "result"
	inputDate   = "date"
	inputNotes  = "notes"
)

// macLen is how many hex digits of the HMAC a sealed value carries.
const macLen = 24

// ButtonKey derives the key that signs button values from a secret every
// replica shares (serve uses the bot token).
func ButtonKey(secret string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("itspm button values v1"))
	return m.Sum(nil)
}

func (s *Sender) mac(v string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(v))
	return hex.EncodeToString(m.Sum(nil))[:macLen]
}

// seal signs the values of r's reminder buttons: "<value>&m=<hmac>".
func (s *Sender) seal(r commands.Reply) commands.Reply {
	sealed := false
	for _, a := range r.Actions {
		if commands.IsItemAction(a.ID) {
			sealed = true
			break
		}
	}
	if !sealed {
		return r
	}
	r.Actions = append([]commands.Action(nil), r.Actions...)
	for i, a := range r.Actions {
		if commands.IsItemAction(a.ID) {
			r.Actions[i].Value = a.Value + "&m=" + s.mac(a.Value)
		}
	}
	return r
}

// open checks a sealed value and returns what was sealed.
func (s *Sender) open(v string) (string, bool) {
	i := strings.LastIndex(v, "&m=")
	if i < 0 {
		return "", false
	}
	body, sum := v[:i], v[i+len("&m="):]
	return body, hmac.Equal([]byte(sum), []byte(s.mac(body)))
}

var errTampered = domain.Errorf(domain.Invalid, "That button is not one of mine (its value was changed); nothing changed.")

// openItem is the item of a sealed button value.
func (s *Server) openItem(v string) (commands.Item, error) {
	body, ok := s.sender.open(v)
	if !ok {
		return commands.Item{}, errTampered
	}
	return commands.ParseItem(body)
}

// itemAction is the work of a click on a reminder button (nil: not one).
func (s *Server) itemAction(cb slack.InteractionCallback, a *slack.BlockAction, caller commands.Caller, respond func(context.Context, commands.Reply)) func(ctx context.Context) {
	eng, ok := s.engine.(ItemEngine)
	id := actionBase(a.ActionID)
	if !ok || !commands.IsItemAction(id) {
		return nil
	}
	refuse := func(ctx context.Context, err error) {
		note(ctx, outcomeOf(err))
		respond(ctx, commands.ErrorReply(s.log(ctx), err))
	}
	channel, ts := cb.Container.ChannelID, cb.Container.MessageTs
	return func(ctx context.Context) {
		it, err := s.openItem(a.Value)
		if err != nil {
			refuse(ctx, err)
			return
		}
		if id == commands.ActionRoadmapDone {
			s.act(ctx, eng, cb, caller, it, commands.ItemInput{}, channel, ts, respond)
			return
		}
		if err := eng.CheckItem(ctx, caller, it); err != nil {
			refuse(ctx, err)
			return
		}
		meta := s.sealMeta(a.Value, channel, ts)
		var view slack.ModalViewRequest
		switch id {
		case commands.ActionRecordDR:
			view = drModal(it, meta, s.today(ctx))
		case commands.ActionMarkReviewed:
			view = reviewModal(it, meta)
		default:
			view = postponeModal(it, meta)
		}
		if err := s.sender.OpenModal(ctx, cb.TriggerID, view); err != nil {
			note(ctx, "reply_failed")
			s.log(ctx).Error("open reminder modal", "err", err)
			respond(ctx, commands.Reply{Error: true, Text: "Could not open the form; type the command instead."})
		}
	}
}

// today is the date the modals propose.
func (s *Server) today(context.Context) string {
	if e, ok := s.engine.(interface{ Today() domain.Date }); ok {
		return string(e.Today())
	}
	return s.now().Format("2006-01-02")
}

// sealMeta is a modal's private_metadata: the button's sealed value and
// where the reminder is, signed as a whole.
func (s *Server) sealMeta(value, channel, ts string) string {
	body := url.Values{"v": {value}, "c": {channel}, "ts": {ts}}.Encode()
	return body + "&m=" + s.sender.mac(body)
}

func (s *Server) openMeta(meta string) (item commands.Item, channel, ts string, err error) {
	body, ok := s.sender.open(meta)
	if !ok {
		return item, "", "", errTampered
	}
	q, perr := url.ParseQuery(body)
	if perr != nil {
		return item, "", "", errTampered
	}
	item, err = s.openItem(q.Get("v"))
	return item, q.Get("c"), q.Get("ts"), err
}

// act runs the action and, when it changed something, updates the
// reminder in place: the item's buttons give way to what was done.
func (s *Server) act(ctx context.Context, eng ItemEngine, cb slack.InteractionCallback, caller commands.Caller, it commands.Item, in commands.ItemInput, channel, ts string, respond func(context.Context, commands.Reply)) {
	r, line, err := eng.Act(ctx, caller, it, in)
	if err != nil {
		note(ctx, outcomeOf(err))
		respond(ctx, commands.ErrorReply(s.log(ctx), err))
		return
	}
	noteReply(ctx, r)
	respond(ctx, r)
	if cb.Container.Type == "view" || cb.View.Type == slack.VTHomeTab {
		s.refreshHome(ctx, caller)
		return
	}
	s.settle(ctx, eng, it, line, channel, ts)
}

// settle updates the reminder at channel and ts after it was acted on.
func (s *Server) settle(ctx context.Context, eng ItemEngine, it commands.Item, line, channel, ts string) {
	if s.reminders == nil || channel == "" || ts == "" {
		return
	}
	ctx, cancel := afterwords(ctx)
	defer cancel()
	orig, ok, err := s.reminders.Reminder(ctx, channel, ts)
	if err != nil || !ok {
		if err != nil {
			s.log(ctx).Error("read the reminder to update", "err", err)
		}
		return
	}
	updated, err := eng.Settle(ctx, orig, it, line)
	if err == nil {
		err = s.sender.Update(ctx, channel, ts, updated)
	}
	if err != nil {
		note(ctx, "reply_failed")
		s.log(ctx).Error("update the reminder in place", "err", err)
	}
}

func (s *Server) refreshHome(ctx context.Context, c commands.Caller) {
	r, err := s.engine.Home(ctx, c)
	if err == nil {
		err = s.sender.PublishHome(ctx, c.SlackUser, r)
	}
	if err != nil {
		s.log(ctx).Error("refresh the App Home", "err", err)
	}
}

// itemSubmission validates a reminder modal synchronously, so errors show
// in the modal, and returns the work. ok false: not a reminder modal.
func (s *Server) itemSubmission(ctx context.Context, cb slack.InteractionCallback, caller commands.Caller) (ack any, work func(context.Context), field string, ok bool) {
	eng, isItem := s.engine.(ItemEngine)
	cbID := cb.View.CallbackID
	if !isItem || (cbID != CallbackRecordDR && cbID != CallbackMarkReviewed && cbID != CallbackRoadmapPostpone) {
		return nil, nil, "", false
	}
	errs := func(field string, err error) viewErrors {
		text, _ := commands.ErrorText(err)
		return viewErrors{ResponseAction: "errors", Errors: map[string]string{field: clip(text, 150)}}
	}
	var in commands.ItemInput
	field = inputNotes
	switch cbID {
	case CallbackRecordDR:
		in = commands.ItemInput{Result: selected(cb, inputResult), Date: domain.Date(selectedDate(cb, inputDate)), Notes: inputValue(cb, inputNotes)}
		field = inputResult
	case CallbackMarkReviewed:
		in = commands.ItemInput{Notes: inputValue(cb, inputNotes)}
	case CallbackRoadmapPostpone:
		in = commands.ItemInput{Postpone: true, Date: domain.Date(selectedDate(cb, inputDate))}
		field = inputDate
	}
	it, channel, ts, err := s.openMeta(cb.View.PrivateMetadata)
	if err != nil {
		return errs(field, err), nil, "", true
	}
	if err := eng.CheckInput(it, in); err != nil {
		f := field
		if cbID == CallbackRecordDR && in.Result != "" {
			f = inputDate
			if strings.Contains(err.Error(), "notes") {
				f = inputNotes
			}
		}
		return errs(f, err), nil, "", true
	}
	// A modal submitted by someone who may not act, or for an item handled
	// meanwhile, stays open and says why.
	if err := eng.CheckItem(ctx, caller, it); err != nil {
		return errs(field, err), nil, "", true
	}
	user := cb.User.ID
	// As for a rejection's reason: the answer is a DM to whoever submitted
	// (the reminder's channel may be someone else's DM).
	respond := func(ctx context.Context, r commands.Reply) {
		r.InChannel = false
		s.reply(ctx, "", "", user, r)
	}
	return nil, func(ctx context.Context) {
		s.act(ctx, eng, slack.InteractionCallback{}, caller, it, in, channel, ts, respond)
	}, field, true
}

// selected is the chosen option of a select input.
func selected(cb slack.InteractionCallback, id string) string {
	if cb.View.State == nil {
		return ""
	}
	return cb.View.State.Values[id][id].SelectedOption.Value
}

// selectedDate is the date of a datepicker input.
func selectedDate(cb slack.InteractionCallback, id string) string {
	if cb.View.State == nil {
		return ""
	}
	return cb.View.State.Values[id][id].SelectedDate
}

func modal(callback, title, submit, meta string, blocks ...slack.Block) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type: slack.VTModal, CallbackID: callback, PrivateMetadata: meta,
		Title: plainText(title), Submit: plainText(submit), Close: plainText("Cancel"),
		Blocks: slack.Blocks{BlockSet: blocks},
	}
}

func notesInput(hint string) *slack.InputBlock {
	in := slack.NewPlainTextInputBlockElement(plainText(hint), inputNotes)
	in.Multiline = true
	in.MaxLength = 2000
	b := slack.NewInputBlock(inputNotes, plainText("Notes"), nil, in)
	b.Optional = true
	return b
}

func datePicker(label, initial string) *slack.InputBlock {
	dp := slack.NewDatePickerBlockElement(inputDate)
	dp.InitialDate = initial
	return slack.NewInputBlock(inputDate, plainText(label), nil, dp)
}

// drModal asks for a DR test's result, date and notes.
func drModal(it commands.Item, meta, today string) slack.ModalViewRequest {
	var opts []*slack.OptionBlockObject
	for _, r := range domain.DRResults {
		opts = append(opts, slack.NewOptionBlockObject(r, plainText(r), nil))
	}
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plainText("pass, partial or fail"), inputResult, opts...)
	return modal(CallbackRecordDR, "Record DR test", "Record", meta,
		mdSection("DR test of *"+Escape(clip(it.Service, 200))+"*."),
		slack.NewInputBlock(inputResult, plainText("Result"), nil, sel),
		datePicker("Date of the test", today),
		notesInput("What happened, what to fix"),
	)
}

// reviewModal asks for a performance review's notes.
func reviewModal(it commands.Item, meta string) slack.ModalViewRequest {
	return modal(CallbackMarkReviewed, "Mark reviewed", "Record", meta,
		mdSection("Performance review of *"+Escape(clip(it.Service, 200))+"*, held today."),
		notesInput("Decisions, actions"),
	)
}

// postponeModal asks for a roadmap item's new due date.
func postponeModal(it commands.Item, meta string) slack.ModalViewRequest {
	return modal(CallbackRoadmapPostpone, "Postpone item", "Postpone", meta,
		mdSection("Postpone *"+Escape(clip(it.Title, 500))+"* of *"+Escape(clip(it.Service, 200))+"*."),
		datePicker("New due date", ""),
	)
}
