// Package plot draws simple line charts as PNG with the standard library
// only (image, image/png and a built-in bitmap font), so the benchmark kit
// needs no plotting dependency.
package plot

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// Series is one line: points (X[i], Y[i]) joined in order.
type Series struct {
	Name  string
	Color color.RGBA
	X, Y  []float64
}

// Panel is one chart with its axes.
type Panel struct {
	Title          string
	XLabel, YLabel string
	// LogX puts the x axis on a log10 scale (all X must be > 0).
	LogX   bool
	Series []Series
	// XTicks, if set, labels the x ticks by value instead of printing
	// the numbers: a categorical axis (x = 1, 2, 3 … for the categories).
	XTicks map[float64]string
}

// Palette has distinct colours for up to six series.
var Palette = []color.RGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255},
	{214, 39, 40, 255}, {148, 103, 189, 255}, {140, 86, 75, 255},
}

var (
	white = color.RGBA{255, 255, 255, 255}
	black = color.RGBA{0, 0, 0, 255}
	grey  = color.RGBA{220, 220, 220, 255}
)

// Render draws the panels side by side on a width×height canvas and
// writes it as PNG.
func Render(w io.Writer, width, height int, panels ...Panel) error {
	if len(panels) == 0 {
		return errors.New("plot: no panels")
	}
	if width < 200*len(panels) || height < 150 {
		return fmt.Errorf("plot: canvas %dx%d is too small for %d panels", width, height, len(panels))
	}
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	fill(img, img.Bounds(), white)
	pw := width / len(panels)
	for i, p := range panels {
		if err := drawPanel(img, image.Rect(i*pw, 0, (i+1)*pw, height), p); err != nil {
			return err
		}
	}
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("plot: encode png: %w", err)
	}
	return nil
}

func drawPanel(img *image.RGBA, r image.Rectangle, p Panel) error {
	const scale = 2 // font pixels → image pixels
	charH := glyphHeight * scale
	// Plot area inside the panel, leaving room for labels.
	area := image.Rect(r.Min.X+90, r.Min.Y+34+3*charH, r.Max.X-20, r.Max.Y-30-2*charH)
	drawText(img, r.Min.X+(r.Dx()-textWidth(p.Title, scale))/2, r.Min.Y+12, p.Title, scale, black)

	var xs, ys []float64
	for _, s := range p.Series {
		if len(s.X) != len(s.Y) {
			return fmt.Errorf("plot: series %q has %d x and %d y values", s.Name, len(s.X), len(s.Y))
		}
		for i := range s.X {
			if p.LogX && s.X[i] <= 0 {
				return fmt.Errorf("plot: series %q: x %v is not positive on a log axis", s.Name, s.X[i])
			}
			if math.IsNaN(s.Y[i]) {
				continue
			}
			xs = append(xs, s.X[i])
			ys = append(ys, s.Y[i])
		}
	}
	if len(xs) == 0 {
		return fmt.Errorf("plot: panel %q has no points", p.Title)
	}
	tx := func(x float64) float64 {
		if p.LogX {
			return math.Log10(x)
		}
		return x
	}
	xmin, xmax := math.Inf(1), math.Inf(-1)
	for _, x := range xs {
		xmin, xmax = math.Min(xmin, tx(x)), math.Max(xmax, tx(x))
	}
	if xmax == xmin {
		xmin, xmax = xmin-1, xmax+1
	}
	pad := (xmax - xmin) * 0.05
	xmin, xmax = xmin-pad, xmax+pad
	ymax := 0.0
	for _, y := range ys {
		ymax = math.Max(ymax, y)
	}
	step := niceStep(ymax / 5)
	ymax = math.Ceil(ymax*1.05/step) * step
	if ymax == 0 {
		ymax, step = 1, 0.2
	}
	px := func(x float64) int {
		return area.Min.X + int(math.Round((tx(x)-xmin)/(xmax-xmin)*float64(area.Dx())))
	}
	py := func(y float64) int {
		return area.Max.Y - int(math.Round(y/ymax*float64(area.Dy())))
	}

	// Grid and y ticks.
	for y := 0.0; y <= ymax+step/2; y += step {
		yy := py(y)
		hline(img, area.Min.X, area.Max.X, yy, grey)
		label := formatTick(y)
		drawText(img, area.Min.X-8-textWidth(label, scale), yy-charH/2, label, scale, black)
	}
	// x ticks at every distinct x.
	seen := map[float64]bool{}
	for _, x := range xs {
		if seen[x] {
			continue
		}
		seen[x] = true
		xx := px(x)
		vline(img, xx, area.Min.Y, area.Max.Y, grey)
		label := formatTick(x)
		if l, ok := p.XTicks[x]; ok {
			label = l
		}
		drawText(img, xx-textWidth(label, scale)/2, area.Max.Y+6, label, scale, black)
	}
	// Axes.
	hline(img, area.Min.X, area.Max.X, area.Max.Y, black)
	vline(img, area.Min.X, area.Min.Y, area.Max.Y, black)
	drawText(img, area.Min.X+(area.Dx()-textWidth(p.XLabel, scale))/2, area.Max.Y+10+charH, p.XLabel, scale, black)
	drawText(img, r.Min.X+6, r.Min.Y+20+charH, p.YLabel, scale, black)

	// Series.
	for si, s := range p.Series {
		c := s.Color
		if c.A == 0 {
			c = Palette[si%len(Palette)]
		}
		prev := image.Point{-1, -1}
		for i := range s.X {
			if math.IsNaN(s.Y[i]) {
				prev = image.Point{-1, -1}
				continue
			}
			pt := image.Pt(px(s.X[i]), py(s.Y[i]))
			if prev.X >= 0 {
				line(img, prev, pt, c)
			}
			fill(img, image.Rect(pt.X-3, pt.Y-3, pt.X+4, pt.Y+4), c)
			prev = pt
		}
		// Legend, top right of the plot area.
		ly := area.Min.Y + 6 + si*(charH+6)
		lx := area.Max.X - 20 - textWidth(s.Name, scale) - 30
		fill(img, image.Rect(lx, ly+charH/2-2, lx+22, ly+charH/2+2), c)
		drawText(img, lx+28, ly, s.Name, scale, black)
	}
	return nil
}

// niceStep rounds a raw tick step up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

// formatTick prints a tick value compactly: 20000 → 20K, 0.5 → 0.5.
func formatTick(v float64) string {
	switch {
	case v >= 1e6 && math.Mod(v, 1e5) == 0:
		return strconv.FormatFloat(v/1e6, 'f', -1, 64) + "M"
	case v >= 1e4 && math.Mod(v, 1e2) == 0:
		return strconv.FormatFloat(v/1e3, 'f', -1, 64) + "K"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

func textWidth(s string, scale int) int { return len([]rune(s)) * advance * scale }

// drawText draws s with its top-left corner at (x, y). Characters the
// font lacks are drawn as '_'.
func drawText(img *image.RGBA, x, y int, s string, scale int, c color.RGBA) {
	for _, ch := range strings.ToUpper(s) {
		g, ok := glyphs[unicode.ToUpper(ch)]
		if !ok {
			g = glyphs['_']
		}
		for row, bits := range g {
			for col, b := range bits {
				if b == '#' {
					fill(img, image.Rect(x+col*scale, y+row*scale, x+(col+1)*scale, y+(row+1)*scale), c)
				}
			}
		}
		x += advance * scale
	}
}

func fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, c)
		}
	}
}

func hline(img *image.RGBA, x0, x1, y int, c color.RGBA) {
	fill(img, image.Rect(x0, y, x1+1, y+1), c)
}

func vline(img *image.RGBA, x, y0, y1 int, c color.RGBA) {
	fill(img, image.Rect(x, y0, x+1, y1+1), c)
}

// line draws a 2-pixel-thick segment (Bresenham).
func line(img *image.RGBA, a, b image.Point, c color.RGBA) {
	dx, dy := abs(b.X-a.X), -abs(b.Y-a.Y)
	sx, sy := sign(b.X-a.X), sign(b.Y-a.Y)
	e := dx + dy
	x, y := a.X, a.Y
	for {
		fill(img, image.Rect(x, y, x+2, y+2), c)
		if x == b.X && y == b.Y {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x += sx
		}
		if e2 <= dx {
			e += dx
			y += sy
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}
