package jobs

import (
	"bytes"
	"image/png"
	"os"
	"testing"

	"github.com/itspm/itspm/domain"
)

func TestChartIsSensiblePNG(t *testing.T) {
	s := domain.Service{Name: "payroll", Title: "Payroll", ServiceSpec: domain.ServiceSpec{
		SLA: []domain.SLATarget{{KPI: "availability", Target: 99.9, Unit: "percent"}},
		Performance: &domain.Performance{ReviewEvery: domain.Quarterly, Measurements: []domain.Measurement{
			{KPI: "availability", Month: "2026-06", Value: 99.93}, {KPI: "availability", Month: "2026-07", Value: 99.85},
			{KPI: "availability", Month: "2026-08", Value: 99.97}, {KPI: "availability", Month: "2026-09", Value: 99.95},
		}},
		Cost: &domain.Cost{Currency: "EUR", Monthly: []domain.MonthCost{
			{Month: "2026-07", Budget: 22000, Actual: 21000}, {Month: "2026-08", Budget: 22000, Actual: 22500},
			{Month: "2026-09", Budget: 22000, Actual: 23500},
		}},
	}}
	kpiOnly := s
	kpiOnly.Cost = nil
	costOnly := s
	costOnly.SLA = nil
	for name, svc := range map[string]domain.Service{"both": s, "kpi": kpiOnly, "cost": costOnly} {
		t.Run(name, func(t *testing.T) {
			c, ok := serviceChart(&svc, today)
			if !ok {
				t.Fatal("no chart")
			}
			b, err := RenderChart(c)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("not a PNG: %v", err)
			}
			if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w != 800 || h != 400 {
				t.Errorf("size %dx%d, want 800x400", w, h)
			}
			if len(b) > 200<<10 {
				t.Errorf("%d bytes, want under 200 KB", len(b))
			}
			if dir := os.Getenv("ITSPM_CHART_DIR"); dir != "" {
				_ = os.WriteFile(dir+"/"+name+".png", b, 0o644)
			}
		})
	}
	if _, ok := serviceChart(&domain.Service{Name: "empty"}, today); ok {
		t.Error("a service without measurements or costs got a chart")
	}
}
