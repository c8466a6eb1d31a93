package report

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// Formats that Write knows.
const (
	FormatText     = "text"
	FormatJSON     = "json"
	FormatJSONL    = "jsonl"
	FormatJUnit    = "junit"
	FormatHTML     = "html"
	FormatCSV      = "csv"
	FormatFlowsCSV = "flows-csv"
	FormatMarkdown = "markdown"
)

// KnownFormats lists the formats this build can write.
func KnownFormats() []string {
	return []string{FormatText, FormatJSON, FormatJSONL, FormatJUnit, FormatHTML, FormatCSV, FormatFlowsCSV, FormatMarkdown}
}

// FormatFromPath picks a format from a file extension.
func FormatFromPath(path string) (string, bool) {
	lower := strings.ToLower(path)
	switch {
	case strings.HasSuffix(lower, ".flows.csv"):
		return FormatFlowsCSV, true
	case strings.HasSuffix(lower, ".junit.xml"):
		return FormatJUnit, true
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".html", ".htm":
		return FormatHTML, true
	case ".xml":
		return FormatJUnit, true
	case ".csv":
		return FormatCSV, true
	case ".md", ".markdown":
		return FormatMarkdown, true
	case ".json":
		return FormatJSON, true
	case ".jsonl", ".ndjson":
		return FormatJSONL, true
	case ".txt", ".text":
		return FormatText, true
	}
	return "", false
}

// Write renders r in the named format.
func Write(w io.Writer, r *Report, format string) error {
	switch format {
	case FormatJSON:
		return writeJSON(w, r)
	case FormatJSONL:
		return writeJSONL(w, r)
	case FormatText, "":
		return writeText(w, r)
	case FormatJUnit:
		return writeJUnit(w, r)
	case FormatHTML:
		return WriteHTML(w, r)
	case FormatCSV:
		return writeRulesCSV(w, r)
	case FormatFlowsCSV:
		return writeFlowsCSV(w, r)
	case FormatMarkdown, "md":
		return writeMarkdown(w, r)
	}
	return fmt.Errorf("unknown format %q (known: %s)", format, strings.Join(KnownFormats(), ", "))
}
