package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/internal/spill"
)

// Read loads a JSON report and checks it against the schema (Parse).
func Read(path string) (*Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decode(path, f)
}

// Parse decodes a JSON report and checks it against the schema: diff,
// merge and --baseline judge from its statuses and add up its counts, so
// a report that a person or a tool edited wrongly must be an error that
// names the key, never a wrong verdict. name is said in the errors.
func Parse(name string, data []byte) (*Report, error) {
	return decode(name, bytes.NewReader(data))
}

// decode is Parse from a reader. The report is read key by key and its
// flows one at a time into a FlowList, so a report of millions of flows
// is never in memory whole.
func decode(name string, rd io.Reader) (*Report, error) {
	var r Report
	if err := decodeReport(json.NewDecoder(bufio.NewReaderSize(rd, 64<<10)), &r); err != nil {
		r.Flows.Close()
		return nil, fmt.Errorf("%s: not a flowverify JSON report: %w", name, err)
	}
	if r.Schema != Schema {
		r.Flows.Close()
		return nil, fmt.Errorf("%s: schema %q, want %q", name, r.Schema, Schema)
	}
	if err := r.validate(); err != nil {
		r.Flows.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &r, nil
}

// decodeReport reads the top-level object: "flows" streams into a list,
// every other key decodes into the field its tag names, and unknown keys
// are skipped, as json.Unmarshal would.
func decodeReport(dec *json.Decoder, r *Report) error {
	if t, err := dec.Token(); err != nil {
		return err
	} else if d, ok := t.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("want an object, got %v", t)
	}
	fields := map[string]reflect.Value{}
	v := reflect.ValueOf(r).Elem()
	for i := range v.NumField() {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		fields[name] = v.Field(i)
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := t.(string)
		switch f, ok := fields[key]; {
		case key == "flows":
			if r.Flows == nil {
				r.Flows = NewFlowList()
			}
			if err := r.Flows.Decode(dec); err != nil {
				if re := (*spill.RecordError)(nil); errors.As(err, &re) {
					return fmt.Errorf("flows%w", err) // flows[3]: first: ...
				}
				return fmt.Errorf("flows: %w", err)
			}
		case ok:
			if err := decodeField(dec, key, f); err != nil {
				return err
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return err
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("data after the report's object")
	}
	return nil
}

// decodeField decodes the value of one top-level key into f. A list is
// read entry by entry, so that an error names the entry and its key
// (rules[3].status), not only the list.
func decodeField(dec *json.Decoder, key string, f reflect.Value) error {
	if f.Kind() != reflect.Slice {
		return pathError(key, dec.Decode(f.Addr().Interface()))
	}
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return pathError(key, err)
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil || items == nil {
		return pathError(key, json.Unmarshal(raw, f.Addr().Interface())) // null, or not a list
	}
	list := reflect.MakeSlice(f.Type(), len(items), len(items))
	for i, item := range items {
		if err := json.Unmarshal(item, list.Index(i).Addr().Interface()); err != nil {
			return pathError(fmt.Sprintf("%s[%d]", key, i), err)
		}
	}
	f.Set(list)
	return nil
}

// fieldError is a value of a report read back that does not fit the
// schema, at its path from the report's top.
type fieldError struct {
	Path string // rules[3].peers.flows
	Msg  string // in the schema's words; empty: Err's
	Err  error
}

func (e *fieldError) Error() string {
	if e.Msg == "" {
		return e.Path + ": " + e.Err.Error()
	}
	return e.Path + ": " + e.Msg
}

func (e *fieldError) Unwrap() error { return e.Err }

// pathError places err at path; a value of the wrong type is worded from
// the decoder's typed error, which holds the rest of the path.
func pathError(path string, err error) error {
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return &fieldError{Path: path, Err: err}
	}
	if te.Field != "" {
		path += "." + te.Field
	}
	return &fieldError{Path: path, Msg: te.Value + " given; want " + jsonWant(te.Type), Err: err}
}

// jsonWant names what a Go type takes in JSON.
func jsonWant(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number, 0 or more"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	}
	return "an object"
}

func (r *Report) validate() error {
	ids := map[string]bool{}
	for i, rr := range r.Rules {
		key := fmt.Sprintf("rules[%d]", i)
		switch {
		case rr.ID == "":
			return fmt.Errorf("%s.id: missing", key)
		case ids[rr.ID]:
			return fmt.Errorf("%s.id: %q appears twice", key, rr.ID)
		case !slices.Contains(matrix.Statuses(), rr.Status):
			return fmt.Errorf("%s.status: %q is not a rule status (%v)", key, rr.Status, matrix.Statuses())
		}
		ids[rr.ID] = true
		for k, n := range map[string]int{"flows": rr.Flows, "allowed": rr.Allowed, "blocked": rr.BlockedN, "mismatch": rr.Mismatch, "unconfirmed": rr.Unconfirmed} {
			if n < 0 {
				return fmt.Errorf("%s.%s: %d is negative", key, k, n)
			}
		}
		for j, p := range rr.Peers {
			if p.Key() == "" {
				return fmt.Errorf("%s.peers[%d]: neither host nor address", key, j)
			}
			if p.Flows < 0 || p.Allowed < 0 || p.Blocked < 0 {
				return fmt.Errorf("%s.peers[%d]: a negative count", key, j)
			}
			if p.Status != "" && !slices.Contains(matrix.Statuses(), p.Status) {
				return fmt.Errorf("%s.peers[%d].status: %q is not a status", key, j, p.Status)
			}
		}
		for p, n := range rr.Protocols {
			if n < 0 {
				return fmt.Errorf("%s.protocols.%s: %d is negative", key, p, n)
			}
		}
	}
	for i, u := range r.Unexpected {
		if u.Flows < 0 || u.Failed < 0 || u.Port < 0 || u.Port > math.MaxUint16 {
			return fmt.Errorf("unexpected[%d]: a negative count or a port out of range", i)
		}
	}
	for i, b := range r.Blocked {
		if b.Attempts < 0 {
			return fmt.Errorf("blocked[%d].attempts: %d is negative", i, b.Attempts)
		}
	}
	if err := r.validateScans(); err != nil {
		return err
	}
	s := r.Summary
	// merge decides the verdict again and diff reads the rules, but
	// people and pipelines read this word: an unknown one is an edit
	// gone wrong. An absent one misleads nobody.
	if s.Verdict != "" && !s.Verdict.Known() {
		return fmt.Errorf("summary.verdict: %q is not a verdict (%v)", s.Verdict, matrix.Outcomes())
	}
	if w := r.Window; w.Length < 0 || w.Observed < 0 {
		return fmt.Errorf("window: a negative length_seconds or observed_seconds")
	}
	for k, n := range map[string]int{"flows": s.Flows, "allowed": s.Allowed, "ignored": s.Ignored, "transit": s.Transit, "local": s.Local, "guessed_direction": s.Guessed, "max_active_flows": s.MaxActive} {
		if n < 0 {
			return fmt.Errorf("summary.%s: %d is negative", k, n)
		}
	}
	for k, n := range s.Findings {
		if n < 0 {
			return fmt.Errorf("summary.findings.%s: %d is negative", k, n)
		}
	}
	return nil
}

// validateScans checks what a reader of scans[] relies on: a scanner's
// address, counts that are not negative, no more answers than targets.
func (r *Report) validateScans() error {
	for i, sc := range r.Scans {
		key := fmt.Sprintf("scans[%d]", i)
		if _, err := netip.ParseAddr(sc.Scanner); err != nil {
			return fmt.Errorf("%s.scanner: %q is not an address", key, sc.Scanner)
		}
		for k, n := range map[string]int{"hosts": sc.Hosts, "tried": sc.Tried, "ports": sc.Ports, "answered": sc.Answered, "folded_flows": sc.Folded} {
			if n < 0 {
				return fmt.Errorf("%s.%s: %d is negative", key, k, n)
			}
		}
		if sc.Answered > sc.Tried {
			return fmt.Errorf("%s.answered: %d of %d targets tried", key, sc.Answered, sc.Tried)
		}
	}
	return nil
}

// addInt adds without wrapping: a sum past the largest int stays there
// (merge adds counts from reports that may be far from any real one).
func addInt(a, b int) int {
	if b > 0 && a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

// addU64 is addInt for unsigned counts.
func addU64(a, b uint64) uint64 {
	if a > math.MaxUint64-b {
		return math.MaxUint64
	}
	return a + b
}
