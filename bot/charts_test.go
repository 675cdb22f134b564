package bot_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/itspm/itspm/jobs"
)

// `cost payroll` from a slash command: the text answer through the
// response_url, then its budget-vs-actual chart as a PNG, uploaded with the
// 3-step upload into the asker's DM (an ephemeral answer cannot carry a
// file). Without a renderer nothing is uploaded.
func TestCostChartUpload(t *testing.T) {
	e := newEnv(t, func(c *envConfig) { c.render = jobs.RenderCostChart })
	e.slashCommand("U0SAM", "cost payroll", "cost")
	resp := e.responses("cost", 1)[0]
	if !strings.Contains(blocksText(resp.Blocks), "Budget vs actual") {
		t.Errorf("the answer lost its table")
	}
	e.wait("the chart upload", func() bool { return len(e.fake.Uploads()) == 1 })
	u := e.fake.Uploads()[0]
	if !bytes.HasPrefix(u.Bytes, []byte("\x89PNG")) || !strings.HasPrefix(u.Filename, "payroll-budget-") {
		t.Errorf("upload %s (%d bytes), want a PNG chart of payroll", u.Filename, len(u.Bytes))
	}
	if len(u.Channels) != 1 || !strings.HasPrefix(u.Channels[0], "D") {
		t.Errorf("chart shared in %v, want the asker's DM", u.Channels)
	}

	plain := newEnv(t)
	plain.slashCommand("U0SAM", "cost payroll", "cost")
	plain.responses("cost", 1)
	if n := len(plain.fake.Uploads()); n != 0 {
		t.Errorf("%d uploads without a renderer", n)
	}
}
