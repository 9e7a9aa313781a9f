package plot

import (
	"bytes"
	"image/png"
	"math"
	"testing"
)

func TestRender(t *testing.T) {
	panels := []Panel{
		{Title: "QPS", XLabel: "members", YLabel: "queries/s", LogX: true, Series: []Series{
			{Name: "consulnode", X: []float64{100, 1000, 10000}, Y: []float64{70000, 69000, 66000}},
			{Name: "hosts", X: []float64{100, 1000, 10000}, Y: []float64{72000, 71000, math.NaN()}},
		}},
		{Title: "p99", XLabel: "members", YLabel: "ms", LogX: true, Series: []Series{
			{Name: "consulnode", X: []float64{100, 1000, 10000}, Y: []float64{1.2, 1.3, 1.4}},
		}},
	}
	var buf bytes.Buffer
	if err := Render(&buf, 1200, 450, panels...); err != nil {
		t.Fatalf("Render: %v", err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("decode the PNG written: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1200 || b.Dy() != 450 {
		t.Errorf("image is %dx%d; want 1200x450", b.Dx(), b.Dy())
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name   string
		panels []Panel
	}{
		{"no panels", nil},
		{"no points", []Panel{{Title: "empty"}}},
		{"mismatch", []Panel{{Series: []Series{{Name: "s", X: []float64{1, 2}, Y: []float64{1}}}}}},
		{"log of zero", []Panel{{LogX: true, Series: []Series{{Name: "s", X: []float64{0}, Y: []float64{1}}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Render(&bytes.Buffer{}, 800, 400, tt.panels...); err == nil {
				t.Error("Render succeeded; want an error")
			}
		})
	}
}

func TestFontComplete(t *testing.T) {
	for r, g := range glyphs {
		for i, row := range g {
			if len(row) != glyphWidth {
				t.Errorf("glyph %q row %d has %d columns; want %d", r, i, len(row), glyphWidth)
			}
		}
	}
}
