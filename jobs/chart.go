package jobs

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/itspm/itspm/domain"
)

// Chart is the data of a performance-review chart; the sender renders it
// to PNG at delivery (RenderChart).
type Chart struct {
	Filename string      `json:"filename"`
	Title    string      `json:"title"`
	Comment  string      `json:"comment,omitempty"`
	KPI      *KPISeries  `json:"kpi,omitempty"`
	Cost     *CostSeries `json:"cost,omitempty"`
}

// KPISeries is one KPI's monthly measurements against its SLA target.
type KPISeries struct {
	Name          string    `json:"name"`
	Unit          string    `json:"unit,omitempty"`
	Target        float64   `json:"target"`
	LowerIsBetter bool      `json:"lowerIsBetter,omitempty"`
	Months        []string  `json:"months"`
	Values        []float64 `json:"values"`
}

// CostSeries is monthly budget against actual spend.
type CostSeries struct {
	Currency string    `json:"currency,omitempty"`
	Months   []string  `json:"months"`
	Budget   []float64 `json:"budget"`
	Actual   []float64 `json:"actual"`
}

// chartMonths is how many months a chart shows.
const chartMonths = 12

// serviceChart builds the chart data for a service: the trend of its first
// measured SLA KPI against the target, and budget against actual by month.
// ok is false when there is nothing to draw.
func serviceChart(s *domain.Service, today domain.Date) (Chart, bool) {
	c := Chart{
		Filename: fmt.Sprintf("%s-review-%s.png", s.Name, today),
		Title:    fmt.Sprintf("%s: performance review %s", s.Label(), today),
	}
	for _, r := range s.KPIResults() {
		if len(r.Previous) == 0 {
			continue
		}
		pts := r.Previous
		if len(pts) > chartMonths {
			pts = pts[len(pts)-chartMonths:]
		}
		k := &KPISeries{Name: r.Target.KPI, Unit: r.Target.Unit, Target: r.Target.Target, LowerIsBetter: r.Target.LowerIsBetter()}
		for _, m := range pts {
			k.Months = append(k.Months, string(m.Month))
			k.Values = append(k.Values, m.Value)
		}
		c.KPI = k
		break
	}
	if rows := s.Cost.RecentMonths(chartMonths); len(rows) > 0 {
		cs := &CostSeries{Currency: s.Cost.Currency}
		for _, m := range rows {
			cs.Months = append(cs.Months, string(m.Month))
			cs.Budget = append(cs.Budget, m.Budget)
			cs.Actual = append(cs.Actual, m.Actual)
		}
		c.Cost = cs
	}
	var parts []string
	if c.KPI != nil {
		parts = append(parts, c.KPI.Name+" against its target")
	}
	if c.Cost != nil {
		parts = append(parts, "monthly budget against actual")
	}
	switch len(parts) {
	case 0:
		return c, false
	case 1:
		c.Comment = s.Label() + ": " + parts[0] + "."
	default:
		c.Comment = s.Label() + ": " + parts[0] + "; " + parts[1] + "."
	}
	return c, true
}

// Chart size: 800×400 pixels.
const (
	chartDPI    = 96
	chartWidth  = 800 * vg.Inch / chartDPI
	chartHeight = 400 * vg.Inch / chartDPI
)

var (
	colorActual = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	colorBudget = color.RGBA{R: 0xbb, G: 0xbb, B: 0xbb, A: 0xff}
	colorTarget = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
)

// RenderChart draws c as an 800×400 PNG: the KPI trend and the cost bars
// side by side, or whichever exists alone.
func RenderChart(c Chart) ([]byte, error) {
	var plots []*plot.Plot
	if c.KPI != nil && len(c.KPI.Values) > 0 {
		p, err := kpiPlot(c.KPI)
		if err != nil {
			return nil, err
		}
		plots = append(plots, p)
	}
	if c.Cost != nil && len(c.Cost.Months) > 0 {
		p, err := costPlot(c.Cost)
		if err != nil {
			return nil, err
		}
		plots = append(plots, p)
	}
	if len(plots) == 0 {
		return nil, fmt.Errorf("chart %s has no data", c.Filename)
	}
	img := vgimg.NewWith(vgimg.UseWH(chartWidth, chartHeight), vgimg.UseDPI(chartDPI), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Millimeter * 4, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2,
		PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	for i, p := range plots {
		p.Draw(tiles.At(dc, i, 0))
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("encode chart %s: %w", c.Filename, err)
	}
	return buf.Bytes(), nil
}

func kpiPlot(k *KPISeries) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = k.Name + " vs target"
	unit := k.Unit
	if unit == "percent" {
		unit = "%"
	}
	p.Y.Label.Text = unit
	pts := make(plotter.XYs, len(k.Values))
	lo, hi := k.Target, k.Target
	for i, v := range k.Values {
		pts[i] = plotter.XY{X: float64(i), Y: v}
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	line, scatter, err := plotter.NewLinePoints(pts)
	if err != nil {
		return nil, fmt.Errorf("kpi chart: %w", err)
	}
	line.Color, scatter.Color = colorActual, colorActual
	target, err := plotter.NewLine(plotter.XYs{{X: -0.3, Y: k.Target}, {X: float64(len(k.Values)-1) + 0.3, Y: k.Target}})
	if err != nil {
		return nil, fmt.Errorf("kpi chart: %w", err)
	}
	target.Color = colorTarget
	target.Dashes = []vg.Length{vg.Points(6), vg.Points(4)}
	p.Add(plotter.NewGrid(), target, line, scatter)
	p.Legend.Add("measured", line, scatter)
	better := "≥"
	if k.LowerIsBetter {
		better = "≤"
	}
	p.Legend.Add(fmt.Sprintf("target %s %s", better, trimFloat(k.Target)), target)
	p.Legend.Top = !k.LowerIsBetter
	// Pad the range so the target line is never on the frame, with
	// headroom for the legend.
	pad := math.Max((hi-lo)*0.15, math.Abs(hi)*0.0005+1e-9)
	p.Y.Min, p.Y.Max = lo-pad, hi+pad+(hi-lo+2*pad)*0.3
	if !p.Legend.Top {
		p.Y.Min, p.Y.Max = lo-pad-(hi-lo+2*pad)*0.3, hi+pad
	}
	p.Y.Tick.Marker = numberTicks{}
	p.X.Min, p.X.Max = -0.5, float64(len(k.Values))-0.5
	p.X.Tick.Marker = monthTicks(k.Months)
	return p, nil
}

func costPlot(c *CostSeries) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Budget vs actual"
	p.Y.Label.Text = c.Currency
	w := vg.Points(math.Max(4, math.Min(18, 220/float64(len(c.Months)))))
	budget, err := plotter.NewBarChart(plotter.Values(c.Budget), w)
	if err != nil {
		return nil, fmt.Errorf("cost chart: %w", err)
	}
	actual, err := plotter.NewBarChart(plotter.Values(c.Actual), w)
	if err != nil {
		return nil, fmt.Errorf("cost chart: %w", err)
	}
	budget.Color, budget.LineStyle.Width = colorBudget, 0
	actual.Color, actual.LineStyle.Width = colorActual, 0
	budget.Offset, actual.Offset = -w/2, w/2
	p.Add(plotter.NewGrid(), budget, actual)
	p.Legend.Add("budget", budget)
	p.Legend.Add("actual", actual)
	p.Legend.Top = true
	top := 0.0
	for i := range c.Months {
		top = math.Max(top, math.Max(c.Budget[i], c.Actual[i]))
	}
	p.Y.Min, p.Y.Max = 0, math.Max(top*1.3, 1)
	p.Y.Tick.Marker = numberTicks{}
	p.X.Min, p.X.Max = -0.7, float64(len(c.Months))-0.3
	p.X.Tick.Marker = monthTicks(c.Months)
	return p, nil
}

// monthTicks labels x positions 0…n-1 with months, thinned to at most six
// labels so they stay readable.
func monthTicks(months []string) plot.ConstantTicks {
	step := max(1, (len(months)+5)/6)
	ticks := make(plot.ConstantTicks, len(months))
	for i, m := range months {
		ticks[i] = plot.Tick{Value: float64(i)}
		if i%step == 0 || i == len(months)-1 {
			ticks[i].Label = m
		}
	}
	return ticks
}

func trimFloat(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// numberTicks labels the default ticks in plain decimals (99.95, 20,000
// as 20000) rather than gonum's exponent form for narrow ranges.
type numberTicks struct{}

func (numberTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	step := math.Inf(1)
	prev := math.NaN()
	for _, t := range ticks {
		if t.Label == "" {
			continue
		}
		if !math.IsNaN(prev) {
			step = math.Min(step, t.Value-prev)
		}
		prev = t.Value
	}
	if math.IsInf(step, 1) || step <= 0 {
		step = math.Max(math.Abs(hi-lo), 1)
	}
	// The fewest decimals that show every labelled value exactly.
	decimals := 0
	for ; decimals < 8; decimals++ {
		exact := true
		for _, t := range ticks {
			if t.Label == "" {
				continue
			}
			r, _ := strconv.ParseFloat(strconv.FormatFloat(t.Value, 'f', decimals, 64), 64)
			if math.Abs(r-t.Value) > step*1e-3 {
				exact = false
				break
			}
		}
		if exact {
			break
		}
	}
	for i, t := range ticks {
		if t.Label != "" {
			ticks[i].Label = strconv.FormatFloat(t.Value, 'f', decimals, 64)
		}
	}
	return ticks
}
