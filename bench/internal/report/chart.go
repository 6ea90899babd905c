// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package report

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"

	"github.com/featherrpc/ttrpc/bench/internal/harness"
)

// Layout of the chart, in pixels. Text is drawn at scale 2: 12 pixels per
// character, 14 high.
const (
	chartW    = 1140
	margin    = 20
	scale     = 2
	labelW    = 28 * advance * scale // room for a 28-character label
	plotX0    = margin + labelW + 10
	plotX1    = 1040
	valueX    = plotX1 + 16
	headerH   = 96
	rowH      = 40
	barH      = 14
	axisH     = 40
	logMin    = -4.0 // the plot spans 1/16x ...
	logMax    = 4.0  // ... to 16x, on a log2 scale
	textH     = glyphH * scale
	sectionGp = 6 // extra space between sections
)

// Colours of the chart.
var (
	white      = color.RGBA{255, 255, 255, 255}
	black      = color.RGBA{0, 0, 0, 255}
	grid       = color.RGBA{220, 220, 220, 255}
	betterSide = color.RGBA{232, 245, 233, 255}
	gray       = color.RGBA{110, 110, 110, 255}
	// barColors are the colours of the libraries other than the
	// reference, in order.
	barColors = []color.RGBA{{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}}
)

// chartRow is one metric in the chart.
type chartRow struct {
	m       *harness.Metric
	section bool // first row of a section
}

// Chart draws the ratio of each library to the reference, one row of bars
// per metric on a log scale around 1x, and writes it as PNG.
func Chart(w io.Writer, res *harness.Results) error {
	var libs []string
	for _, lib := range res.Libraries {
		if lib != res.Reference {
			libs = append(libs, lib)
		}
	}
	var chartRows []chartRow
	section := ""
	for _, m := range res.Metrics {
		if _, ok := m.Values[res.Reference]; !ok {
			continue
		}
		chartRows = append(chartRows, chartRow{m: m, section: m.Section != section})
		section = m.Section
	}
	height := headerH + len(chartRows)*rowH + axisH + textH + margin
	for _, r := range chartRows {
		if r.section {
			height += sectionGp
		}
	}
	img := image.NewRGBA(image.Rect(0, 0, chartW, height))
	fill(img, img.Bounds(), white)
	drawHeader(img, res, libs)
	y := headerH
	for _, r := range chartRows {
		if r.section {
			y += sectionGp
			fill(img, image.Rect(margin, y-sectionGp/2, chartW-margin, y-sectionGp/2+1), grid)
		}
		drawRow(img, y, r.m, res.Reference, libs)
		y += rowH
	}
	drawAxis(img, headerH, y)
	footer := describeEnv(res.Env)
	if res.Env.Short {
		footer = "SHORT MODE: FIGURES MEANINGLESS"
	}
	drawText(img, margin, y+axisH, footer, scale, gray)
	return png.Encode(w, img)
}

// drawHeader draws the title and the legend.
func drawHeader(img *image.RGBA, res *harness.Results, libs []string) {
	title := fmt.Sprintf("RATIO TO %s IN THE SAME RUN (LOG SCALE, 1X = %s)", res.Reference, res.Reference)
	drawText(img, margin, margin, title, scale, black)
	x := margin
	for i, lib := range libs {
		fill(img, image.Rect(x, 52, x+textH, 52+textH), barColors[i%len(barColors)])
		x += textH + 8
		drawText(img, x, 52, lib, scale, black)
		x += textWidth(lib, scale) + 30
	}
	fill(img, image.Rect(x, 52, x+textH, 52+textH), betterSide)
	drawText(img, x+textH+8, 52, "SHADED SIDE: BETTER THAN "+res.Reference, scale, black)
}

// drawRow draws the label, the bars and the values of one metric.
func drawRow(img *image.RGBA, y int, m *harness.Metric, reference string, libs []string) {
	one := xOf(1)
	if m.Better == harness.LowerIsBetter {
		fill(img, image.Rect(plotX0, y, one, y+rowH), betterSide)
	} else {
		fill(img, image.Rect(one, y, plotX1, y+rowH), betterSide)
	}
	drawText(img, margin, y+(rowH-textH)/2, m.Chart, scale, black)
	for i, lib := range libs {
		top := y + 5 + i*(barH+4)
		c := barColors[i%len(barColors)]
		r, ok := m.Ratio(lib, reference)
		if !ok {
			drawText(img, valueX, top, "ERROR", scale, c)
			continue
		}
		x := xOf(r)
		fill(img, image.Rect(min(x, one), top, max(x, one)+1, top+barH), c)
		drawText(img, valueX, top, FormatRatio(r), scale, c)
	}
}

// drawAxis draws the grid lines of the powers of two from y0 to y1, with
// their labels below.
func drawAxis(img *image.RGBA, y0, y1 int) {
	for e := logMin; e <= logMax; e++ {
		x := xOf(math.Exp2(e))
		c := grid
		if e == 0 {
			c = black
		}
		fill(img, image.Rect(x, y0, x+1, y1), c)
		label := fmt.Sprintf("%gX", math.Exp2(e))
		if e < 0 {
			label = fmt.Sprintf("1/%gX", math.Exp2(-e))
		}
		drawText(img, x-textWidth(label, scale)/2, y1+10, label, scale, gray)
	}
}

// xOf is the x coordinate of ratio r, clamped to the plot.
func xOf(r float64) int {
	e := math.Log2(r)
	if math.IsNaN(e) {
		e = logMin
	}
	e = min(max(e, logMin), logMax)
	return plotX0 + int(math.Round((e-logMin)/(logMax-logMin)*float64(plotX1-plotX0)))
}

// fill paints rectangle r of img with c.
func fill(img draw.Image, r image.Rectangle, c color.Color) {
	draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Src)
}
