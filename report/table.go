package report

import (
	"fmt"
	"io"
	"strings"
)

// table is a minimal column aligner; the last column is never padded.
type table struct {
	rows   [][]string
	widths []int
}

func newTable(head ...string) *table {
	t := &table{widths: make([]int, len(head))}
	t.row(head...)
	return t
}

func (t *table) clean(cells []string) []string {
	for i, c := range cells {
		cells[i] = printable(c)
	}
	return cells
}

func (t *table) row(cells ...string) {
	t.rows = append(t.rows, t.measure(t.clean(cells)))
}

// measure widens the columns to hold cells without keeping them.
func (t *table) measure(cells []string) []string {
	for i, c := range cells {
		if n := runeLen(printable(c)); n > t.widths[i] {
			t.widths[i] = n
		}
	}
	return cells
}

func (t *table) write(w io.Writer) {
	l := t.layout()
	for _, r := range t.rows {
		l.line(w, r)
	}
}

// tableLayout is where a table's columns go once all rows are measured.
type tableLayout struct {
	widths                []int
	offset, avail, indent int
	ownLines              bool
}

func (t *table) layout() tableLayout {
	// The last column wraps under itself when the line would pass
	// textWidth; when the columns before it leave too little room, it
	// goes under the row, indented.
	l := tableLayout{widths: t.widths}
	for _, wd := range t.widths[:len(t.widths)-1] {
		l.offset += wd + 2
	}
	l.avail, l.indent = textWidth-l.offset, l.offset
	if l.offset > textWidth-8 {
		// Even the columns before the last do not fit (long IPv6
		// addresses): each row becomes a wrapped line of its own.
		l.ownLines = true
	} else if l.avail < 30 {
		l.avail, l.indent = textWidth-6, 6
	}
	return l
}

func (l tableLayout) line(w io.Writer, r []string) {
	if l.ownLines {
		for i, s := range wrap(strings.Join(r, "  "), textWidth, textWidth-4) {
			if i > 0 {
				s = "    " + s
			}
			fmt.Fprintln(w, s)
		}
		return
	}
	var b strings.Builder
	for i, c := range r[:len(r)-1] {
		b.WriteString(c)
		b.WriteString(strings.Repeat(" ", l.widths[i]-runeLen(c)+2))
	}
	last := r[len(r)-1]
	lines := wrap(last, l.avail, l.avail)
	if l.indent != l.offset && runeLen(last) > textWidth-l.offset {
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
		for _, s := range lines {
			fmt.Fprintln(w, strings.Repeat(" ", l.indent)+s)
		}
		return
	}
	if runeLen(last) <= textWidth-l.offset {
		lines = []string{last}
	}
	for i, s := range lines {
		if i == 0 {
			fmt.Fprintln(w, strings.TrimRight(b.String()+s, " "))
			continue
		}
		fmt.Fprintln(w, strings.Repeat(" ", l.indent)+s)
	}
}

// textWidth is the width text reports fit: prose wraps, and a table's
// last column wraps under itself.
const textWidth = 120

func runeLen(s string) int { return len([]rune(s)) }

// wrap breaks s at spaces into lines of at most w1 runes (the first) and
// w2 (the others); a word longer than its line stands alone.
func wrap(s string, w1, w2 int) []string {
	var lines []string
	var cur strings.Builder
	width := w1
	for _, word := range strings.Fields(s) {
		n := runeLen(word)
		if cur.Len() > 0 && runeLen(cur.String())+1+n > width {
			lines = append(lines, cur.String())
			cur.Reset()
			width = w2
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		cur.WriteString(word)
	}
	if cur.Len() > 0 || len(lines) == 0 {
		lines = append(lines, cur.String())
	}
	return lines
}
