package main

import (
	"fmt"
	"html"
	"strings"
)

// bar is one bar of a chart.
type bar struct {
	label string
	value float64
	text  string // printed after the bar
	kind  int    // barPeer, barHybi or barFloor
}

const (
	barPeer = iota
	barHybi
	barFloor
)

var barColors = [...]string{"#8da0cb", "#e6550d", "#bdbdbd"}

// panel is one titled group of bars sharing a scale.
type panel struct {
	title string
	bars  []bar
}

// svgChart draws panels of horizontal bars, each panel scaled to its own
// largest value.
func svgChart(title string, panels []panel) string {
	const (
		width  = 760
		labelW = 140
		barMax = 470
		barH   = 16
		gap    = 4
		titleH = 26
		left   = 10
	)
	height := 40
	for _, p := range panels {
		height += titleH + len(p.bars)*(barH+gap) + 10
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="24" font-size="16" font-weight="bold">%s</text>`+"\n", left, html.EscapeString(title))
	y := 40
	for _, p := range panels {
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-weight="bold">%s</text>`+"\n", left, y+17, html.EscapeString(p.title))
		y += titleH
		maxV := 0.0
		for _, br := range p.bars {
			maxV = max(maxV, br.value)
		}
		for _, br := range p.bars {
			w := 0.0
			if maxV > 0 {
				w = br.value / maxV * barMax
			}
			fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`, left+labelW-6, y+barH-3, html.EscapeString(br.label))
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`, left+labelW, y, w, barH, barColors[br.kind])
			fmt.Fprintf(&b, `<text x="%.1f" y="%d">%s</text>`+"\n", float64(left+labelW)+w+5, y+barH-3, html.EscapeString(br.text))
			y += barH + gap
		}
		y += 10
	}
	b.WriteString("</svg>\n")
	return b.String()
}
