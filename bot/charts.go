package bot

import (
	"context"

	"github.com/itspm/itspm/commands"
)

// uploadCharts draws the reply's charts and uploads them after the reply,
// with the sender's 3-step upload: into the channel when the reply was
// posted there for everyone, else into the asker's DM (an ephemeral reply
// cannot carry a file, and the bot may not be in the channel). Without a
// renderer (Options.RenderChart) the text reply stands alone.
func (s *Server) uploadCharts(ctx context.Context, channel, user string, r commands.Reply) {
	if s.render == nil || len(r.Charts) == 0 || r.Error {
		return
	}
	to := user
	if r.InChannel && channel != "" || user == "" {
		to = channel
	}
	if to == "" {
		return
	}
	for _, c := range r.Charts {
		png, err := s.render(c)
		if err != nil {
			s.log(ctx).Warn("render chart failed", "file", c.Filename, "err", err)
			continue
		}
		if err := s.sender.Upload(ctx, to, c.Filename, c.Title, png, c.Comment); err != nil {
			note(ctx, "chart_upload_failed")
			s.log(ctx).Warn("upload chart failed", "file", c.Filename, "err", err)
			return
		}
	}
}
