package gencatalog

import (
	"testing"

	"github.com/itspm/itspm/domain"
)

func TestGeneratedCatalogIsValid(t *testing.T) {
	c := Generate(500, 1, "2026-11-27")
	if len(c.Services) != 500 {
		t.Fatalf("%d services", len(c.Services))
	}
	if ps := c.Validate(); len(ps) > 0 {
		t.Fatalf("%d problems, first: %v", len(ps), ps[0])
	}
	overdue := 0
	for i := range c.Services {
		if due, ok := c.Services[i].NextDRTest("2026-11-27"); ok && due.Overdue {
			overdue++
		}
	}
	if overdue == 0 {
		t.Error("no overdue DR tests: jobs would have nothing to do")
	}
	_ = domain.Kinds
}
