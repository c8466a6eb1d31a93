package report

import (
	"strings"
	"unicode/utf8"
)

// SVG text does not wrap, so the diagram breaks its own lines. The page
// cannot be measured from Go; these widths (in em) are at least those of
// DejaVu Sans, the widest common sans and a Linux browser's default, so a
// line that fits here fits in the fonts a reader is likely to have.
func runeEm(r rune) float64 {
	switch {
	case strings.ContainsRune(" .,:;'|ijlIJ/·", r):
		return 0.34
	case strings.ContainsRune("ftr()[]!-\"", r):
		return 0.42
	case r == '–':
		return 0.52
	case strings.ContainsRune("mwMW@%—…", r):
		return 1.0
	case r >= 'A' && r <= 'Z':
		return 0.8
	case r < utf8.RuneSelf:
		// Lower case, digits and the other signs: DejaVu's widest of
		// these (+ = < > ~ #) are 0.84, the rest at most 0.636.
		if strings.ContainsRune("+=<>~#^&", r) {
			return 0.84
		}
		return 0.64
	}
	// Anything else (CJK, symbols, marks) may be a full em.
	return 1.05
}

// svgFont is the diagram's font size in px; bold text is wider.
const svgFont = 12.0

// textPx is the estimated drawn width of s at the diagram's font size.
func textPx(s string, bold bool) float64 {
	w := 0.0
	for _, r := range s {
		w += runeEm(r)
	}
	if bold {
		w *= 1.15
	}
	return w * svgFont
}

// fitLines breaks s into lines no wider than maxPx: at spaces where it
// can, anywhere inside a word that alone is too wide (as CSS
// overflow-wrap:anywhere does), so an address or a host name of any
// length stays inside its box.
func fitLines(s string, maxPx float64, bold bool) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		switch {
		case line == "":
			line = word
		case textPx(line+" "+word, bold) <= maxPx:
			line += " " + word
			continue
		default:
			lines = append(lines, line)
			line = word
		}
		for textPx(line, bold) > maxPx {
			head := cutToWidth(line, maxPx, bold)
			lines = append(lines, head)
			line = line[len(head):]
		}
	}
	if line != "" || len(lines) == 0 {
		lines = append(lines, line)
	}
	return lines
}

// cutToWidth is the longest prefix of s (one rune at least) that fits.
func cutToWidth(s string, maxPx float64, bold bool) string {
	end := 0
	for i, r := range s {
		if end > 0 && textPx(s[:i+utf8.RuneLen(r)], bold) > maxPx {
			break
		}
		end = i + utf8.RuneLen(r)
	}
	return s[:end]
}
