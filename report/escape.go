package report

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// printable escapes what a terminal or a viewer would act on instead of
// showing: C0 and C1 controls (escape sequences, newlines that forge
// lines, carriage returns that overwrite them), DEL, invalid UTF-8 and the
// bidirectional and invisible formatting characters. Text and Markdown
// reports run every field through it: file names, recognised fields and
// hints all come from input.
func printable(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unsafeRune(r):
			if r < 0x100 {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || unsafeRune(r) {
			return true
		}
		i += n
	}
	return false
}

func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		return true
	case r >= 0x200b && r <= 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0xfeff:
		return true
	}
	return false
}

// csvCell keeps a spreadsheet from reading a cell as a formula: a cell
// that starts with '=', '+', '-', '@', a tab or a carriage return gets a
// leading apostrophe (OWASP's advice for CSV injection).
func csvCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// csvRow neutralises every cell of a row.
func csvRow(cells []string) []string {
	for i, c := range cells {
		cells[i] = csvCell(c)
	}
	return cells
}
