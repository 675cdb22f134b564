package commands

import (
	"fmt"

	"github.com/itspm/itspm/domain"
)

// Chart is a budget-against-actual chart a reply carries as data: the Slack
// renderer draws it as a PNG and uploads it after the reply (see
// bot.Options.RenderChart); the terminal shows the reply's table instead.
type Chart struct {
	Filename string    `json:"filename"`
	Title    string    `json:"title"`
	Comment  string    `json:"comment,omitempty"`
	Currency string    `json:"currency,omitempty"`
	Months   []string  `json:"months"`
	Budget   []float64 `json:"budget"`
	Actual   []float64 `json:"actual"`
}

// CostChart is the chart of monthly rows, oldest first; ok is false when
// there is nothing to draw.
func CostChart(filename, title, currency string, rows []domain.MonthCost) (Chart, bool) {
	c := Chart{Filename: filename, Title: title, Currency: currency}
	for _, m := range rows {
		c.Months = append(c.Months, string(m.Month))
		c.Budget = append(c.Budget, m.Budget)
		c.Actual = append(c.Actual, m.Actual)
	}
	if len(c.Months) == 0 {
		return c, false
	}
	c.Comment = fmt.Sprintf("%s: monthly budget against actual, %s to %s.", title, c.Months[0], c.Months[len(c.Months)-1])
	return c, true
}
