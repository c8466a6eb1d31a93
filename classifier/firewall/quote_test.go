package firewall

import "testing"

func TestQuotesHoldForTheirShell(t *testing.T) {
	for _, c := range []struct{ in, ps, cmd string }{
		{"plain words", "'plain words'", `"plain words"`},
		{`it's "quoted"`, `'it''s "quoted"'`, `"it's 'quoted'"`},
		{"curly \u2019'; calc.exe; '\u2019", "'curly \u2019\u2019''; calc.exe; ''\u2019\u2019'", "\"curly \u2019'; calc.exe; '\u2019\""},
		{"a\" & calc.exe & \"b %PATH%", `'a" & calc.exe & "b %PATH%'`, `"a' & calc.exe & 'b  percentPATH percent"`},
		{"line\nbreak\x1b", "'linebreak'", `"linebreak"`},
	} {
		if got := psQuote(c.in); got != c.ps {
			t.Errorf("psQuote(%q) = %s, want %s", c.in, got, c.ps)
		}
		if got := cmdQuote(c.in); got != c.cmd {
			t.Errorf("cmdQuote(%q) = %s, want %s", c.in, got, c.cmd)
		}
	}
}
