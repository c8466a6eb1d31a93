package report

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// Formats that Write knows.
const (
	formatText     = "text"
	formatJSON     = "json"
	formatJSONL    = "jsonl"
	formatJUnit    = "junit"
	formatHTML     = "html"
	formatCSV      = "csv"
	formatFlowsCSV = "flows-csv"
	formatMarkdown = "markdown"
)

// KnownFormats lists the formats this build can write.
func KnownFormats() []string {
	return []string{formatText, formatJSON, formatJSONL, formatJUnit, formatHTML, formatCSV, formatFlowsCSV, formatMarkdown}
}

// FormatFromPath picks a format from a file extension.
func FormatFromPath(path string) (string, bool) {
	lower := strings.ToLower(path)
	switch {
	case strings.HasSuffix(lower, ".flows.csv"):
		return formatFlowsCSV, true
	case strings.HasSuffix(lower, ".junit.xml"):
		return formatJUnit, true
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".html", ".htm":
		return formatHTML, true
	case ".xml":
		return formatJUnit, true
	case ".csv":
		return formatCSV, true
	case ".md", ".markdown":
		return formatMarkdown, true
	case ".json":
		return formatJSON, true
	case ".jsonl", ".ndjson":
		return formatJSONL, true
	case ".txt", ".text":
		return formatText, true
	}
	return "", false
}

// Write renders r in the named format.
func Write(w io.Writer, r *Report, format string) error {
	switch format {
	case formatJSON:
		return writeJSON(w, r)
	case formatJSONL:
		return writeJSONL(w, r)
	case formatText, "":
		return writeText(w, r)
	case formatJUnit:
		return writeJUnit(w, r)
	case formatHTML:
		return WriteHTML(w, r)
	case formatCSV:
		return writeRulesCSV(w, r)
	case formatFlowsCSV:
		return writeFlowsCSV(w, r)
	case formatMarkdown, "md":
		return writeMarkdown(w, r)
	}
	return fmt.Errorf("unknown format %q (known: %s)", format, strings.Join(KnownFormats(), ", "))
}
