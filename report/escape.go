package report

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// printable escapes what a terminal, a viewer or a parser would act on
// instead of showing: every control (C0, DEL, C1: escape sequences,
// newlines that forge lines, carriage returns that overwrite them, NEL),
// every format character (the bidirectional overrides, zero-width and
// invisible characters), the Unicode line and paragraph separators
// (U+2028, U+2029, which YAML, JavaScript and many viewers read as line
// breaks) and invalid UTF-8. It is the one escaper for everything that
// came from input (file names, zip members, recognised fields, hints) in
// text and Markdown reports and in the comments of the YAML site file, so
// that none of them can start a line of its own.
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
			switch {
			case r < 0x100:
				fmt.Fprintf(&b, `\x%02x`, r)
			case r <= 0xffff:
				fmt.Fprintf(&b, `\u%04x`, r)
			default:
				fmt.Fprintf(&b, `\U%08x`, r)
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
		if c := s[i]; c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return true
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || unsafeRune(r) {
			return true
		}
		i += n
	}
	return false
}

// unsafeRune is a rune that is not shown as itself: a control (Cc), a
// format character (Cf) or a line or paragraph separator (Zl, Zp). The
// categories, rather than a list, so that no separator is forgotten.
func unsafeRune(r rune) bool {
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp)
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

// Printable and MarkdownText are the same escapers for the commands that
// write text of their own (rules prints the matrix, whose names and
// descriptions come from a file): one function for every output.
func Printable(s string) string { return printable(s) }

// MarkdownText is mdEscape for the commands' own Markdown.
func MarkdownText(s string) string { return mdEscape(s) }
