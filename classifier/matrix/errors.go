package matrix

import (
	"fmt"
	"regexp"
	"strings"
)

// ConfigError is a configuration problem, naming the key at fault.
type ConfigError struct {
	Source string // file name or "environment" or "flag"
	Line   int    // line in the file, when it can be told
	Key    string
	Msg    string
}

func (e *ConfigError) Error() string {
	src := e.Source
	if e.Line > 0 {
		src = fmt.Sprintf("%s:%d", e.Source, e.Line)
	}
	if e.Key == "" {
		return fmt.Sprintf("%s: %s", src, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", src, e.Key, e.Msg)
}

// locate adds the line of the error's key when it comes from the user's
// file.
func locate(err error, file string, data []byte) error {
	ce, ok := err.(*ConfigError)
	if !ok || ce.Source != file || ce.Line > 0 || data == nil {
		return err
	}
	if ce.Key != "" {
		ce.Line = lineOf(data, ce.Key)
	} else if i := strings.Index(ce.Msg, "unknown keys: "); i >= 0 {
		name := strings.TrimSpace(ce.Msg[i+len("unknown keys: "):])
		if j := strings.IndexAny(name, ", ;"); j >= 0 {
			name = name[:j]
		}
		if k := strings.LastIndex(name, "."); k >= 0 {
			name = name[k+1:]
		}
		ce.Line = findKey(data, name)
	}
	return ce
}

// cleanYAMLError keeps the YAML parser's line information.
func cleanYAMLError(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "yaml: "); i >= 0 {
		msg = msg[i:]
	}
	return msg
}

// cleanDecodeError keeps the part of mapstructure's message that names keys.
func cleanDecodeError(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "decoding failed due to the following error(s):")
	msg = strings.TrimSpace(msg)
	msg = strings.ReplaceAll(msg, "'' has invalid keys:", "unknown keys:")
	msg = regexp.MustCompile(`'([^']+)' has invalid keys:`).ReplaceAllString(msg, "$1: unknown keys:")
	msg = strings.ReplaceAll(msg, "\n\n", "; ")
	return msg
}
