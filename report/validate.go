package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/netip"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flowverify/flowverify/classifier/matrix"
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
// are skipped, as json.Unmarshal would. A key given twice anywhere is
// refused: encoding/json keeps the last (a second "summary" or "rules"
// replaces the first), and an edit that repeats a key is one gone wrong.
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
	kw := &keyWalk{types: map[reflect.Type]*typeKeys{}}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := t.(string)
		if seen[key] {
			return &fieldError{Path: key, Msg: "given twice"}
		}
		seen[key] = true
		if err := decodeKey(dec, kw, key, fields, r); err != nil {
			return err
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

// decodeKey reads the value of one top-level key.
func decodeKey(dec *json.Decoder, kw *keyWalk, key string, fields map[string]reflect.Value, r *Report) error {
	if key == "flows" {
		if r.Flows == nil {
			r.Flows = NewFlowList()
		}
		return decodeFlows(dec, kw, r.Flows)
	}
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return err
	}
	f, ok := fields[key]
	var t reflect.Type // an unknown key's value is only checked for repeats
	if ok {
		t = f.Type()
	}
	if err := kw.check(key, raw, t); err != nil || !ok {
		return err
	}
	if err := json.Unmarshal(raw, f.Addr().Interface()); err != nil {
		return locate(key, raw, t, err)
	}
	return nil
}

// decodeFlows reads the flow list one entry at a time, as FlowList.Decode
// does, checking each entry's keys on the way.
func decodeFlows(dec *json.Decoder, kw *keyWalk, l *FlowList) error {
	if t, err := dec.Token(); err != nil {
		return err
	} else if t == nil {
		return nil
	} else if d, ok := t.(json.Delim); !ok || d != '[' {
		return &fieldError{Path: "flows", Msg: fmt.Sprintf("%v given; want a list", t)}
	}
	ft := reflect.TypeFor[Flow]()
	for i := 0; dec.More(); i++ {
		path := fmt.Sprintf("flows[%d]", i)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		if err := kw.check(path, raw, ft); err != nil {
			return err
		}
		var fl Flow
		if err := json.Unmarshal(raw, &fl); err != nil {
			return locate(path, raw, ft, err)
		}
		key, err := fl.SortKey()
		if err != nil {
			return fmt.Errorf("%s: %w", path, err) // flows[3]: first: ...
		}
		l.Add(fl, key)
	}
	_, err := dec.Token()
	return err
}

// maxNesting bounds how deep keyWalk follows a value: a report is a few
// levels deep, and the walk recurses.
const maxNesting = 64

// keyWalk finds a key given twice in one object, following the value's
// Go type so that two spellings json folds into one field ("id", "ID")
// count as the same key, while a map's keys stay as written.
type keyWalk struct {
	dec   *json.Decoder
	types map[reflect.Type]*typeKeys
}

// typeKeys is a struct's fields by their JSON names.
type typeKeys struct {
	names []string
	types map[string]reflect.Type
}

// check walks one value.
func (kw *keyWalk) check(path string, raw json.RawMessage, t reflect.Type) error {
	kw.dec = json.NewDecoder(bytes.NewReader(raw))
	return kw.value(path, t, 0)
}

func (kw *keyWalk) value(path string, t reflect.Type, depth int) error {
	tok, err := kw.dec.Token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	if depth >= maxNesting {
		return &fieldError{Path: path, Msg: fmt.Sprintf("nested deeper than %d levels", maxNesting)}
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	seen := map[string]bool{}
	for i := 0; kw.dec.More(); i++ {
		if d == '[' {
			if err := kw.value(fmt.Sprintf("%s[%d]", path, i), elemType(t), depth+1); err != nil {
				return err
			}
			continue
		}
		if err := kw.member(path, t, depth, seen); err != nil {
			return err
		}
	}
	_, err = kw.dec.Token()
	return err
}

// member reads one key of an object and its value; seen is the keys read
// before it in the same object.
func (kw *keyWalk) member(path string, t reflect.Type, depth int, seen map[string]bool) error {
	tok, err := kw.dec.Token()
	if err != nil {
		return err
	}
	key, _ := tok.(string)
	name, vt := key, reflect.Type(nil)
	switch {
	case t != nil && t.Kind() == reflect.Map:
		vt = t.Elem()
	case t != nil && t.Kind() == reflect.Struct:
		name, vt = kw.field(t, key)
	}
	at := key
	if path != "" {
		at = path + "." + key
	}
	if seen[name] {
		msg := "given twice"
		if name != key {
			msg += fmt.Sprintf(" (json reads it as %q)", name)
		}
		return &fieldError{Path: at, Msg: msg}
	}
	seen[name] = true
	return kw.value(at, vt, depth+1)
}

// field is the struct field json.Unmarshal puts key in, by its JSON name,
// and its type; an unknown key is itself, with no type.
func (kw *keyWalk) field(t reflect.Type, key string) (string, reflect.Type) {
	tk := kw.types[t]
	if tk == nil {
		tk = &typeKeys{types: map[string]reflect.Type{}}
		for i := range t.NumField() {
			sf := t.Field(i)
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if !sf.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			tk.names = append(tk.names, name)
			tk.types[name] = sf.Type
		}
		kw.types[t] = tk
	}
	if ft, ok := tk.types[key]; ok {
		return key, ft
	}
	for _, name := range tk.names {
		if strings.EqualFold(name, key) { // json matches a key's case loosely
			return name, tk.types[name]
		}
	}
	return key, nil
}

// elemType is what a list of type t holds; nil when t is not a list.
func elemType(t reflect.Type) reflect.Type {
	if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
		return t.Elem()
	}
	return nil
}

// locate finds where in raw (of type t) a decode error err lies: the
// decoder names the field of a value of the wrong type, but a word that
// a type's UnmarshalText refuses ("bogus" as a block reason) comes back
// without a place. Each part is decoded again on its own until the
// smallest one that fails.
func locate(path string, raw json.RawMessage, t reflect.Type, err error) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var parts []part
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		parts = listParts(path, raw, t)
	case reflect.Map:
		parts = mapParts(path, raw, t)
	case reflect.Struct:
		parts = structParts(path, raw, t)
	}
	for _, p := range parts {
		if e := json.Unmarshal(p.raw, reflect.New(p.t).Interface()); e != nil {
			return locate(p.path, p.raw, p.t, e)
		}
	}
	return pathError(path, err)
}

// part is one piece of a JSON value, at its path, of its Go type.
type part struct {
	path string
	raw  json.RawMessage
	t    reflect.Type
}

func listParts(path string, raw json.RawMessage, t reflect.Type) []part {
	var items []json.RawMessage
	if t.Elem().Kind() == reflect.Uint8 || json.Unmarshal(raw, &items) != nil {
		return nil
	}
	parts := make([]part, len(items))
	for i, item := range items {
		parts[i] = part{fmt.Sprintf("%s[%d]", path, i), item, t.Elem()}
	}
	return parts
}

// mapParts are a map's values in key order; a key the map's key type
// refuses is left to the map's own path (summary.findings).
func mapParts(path string, raw json.RawMessage, t reflect.Type) []part {
	var items map[string]json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return nil
	}
	var parts []part
	for _, k := range slices.Sorted(maps.Keys(items)) {
		parts = append(parts, part{path + "." + k, items[k], t.Elem()})
	}
	return parts
}

// structParts are a struct's fields in their order, when the struct
// decodes itself field by field (no UnmarshalJSON of its own).
func structParts(path string, raw json.RawMessage, t reflect.Type) []part {
	var items map[string]json.RawMessage
	if reflect.PointerTo(t).Implements(reflect.TypeFor[json.Unmarshaler]()) || json.Unmarshal(raw, &items) != nil {
		return nil
	}
	kw := keyWalk{types: map[reflect.Type]*typeKeys{}}
	var parts []part
	for k, v := range items {
		if name, ft := kw.field(t, k); ft != nil {
			parts = append(parts, part{path + "." + name, v, ft})
		}
	}
	slices.SortFunc(parts, func(a, b part) int { return strings.Compare(a.path, b.path) })
	return parts
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

// validate checks what the decoder cannot: the words, numbers,
// addresses and times a report's readers judge and print from.
func (r *Report) validate() error {
	if err := r.validateRules(); err != nil {
		return err
	}
	for _, check := range []func() error{r.validateUnexpected, r.validateBlocked, r.validateSummary, r.validateScans, r.validateWhere, r.validateTimes} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (r *Report) validateRules() error {
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
		case rr.Transport != "" && rr.Transport != "tcp" && rr.Transport != "udp":
			// A matrix's rows are tcp or udp; diff prints the word.
			return fmt.Errorf("%s.transport: %q is not a rule's transport (tcp, udp)", key, rr.Transport)
		}
		if err := checkPorts(key+".ports", rr.Ports); err != nil {
			return err
		}
		ids[rr.ID] = true
		for k, n := range map[string]int{"flows": rr.Flows, "allowed": rr.Allowed, "blocked": rr.BlockedN, "mismatch": rr.Mismatch, "unconfirmed": rr.Unconfirmed} {
			if n < 0 {
				return fmt.Errorf("%s.%s: %d is negative", key, k, n)
			}
		}
		if err := validatePeers(key, rr.Peers); err != nil {
			return err
		}
		for p, n := range rr.Protocols {
			if n < 0 {
				return fmt.Errorf("%s.protocols.%s: %d is negative", key, p, n)
			}
		}
	}
	return nil
}

func validatePeers(key string, peers []Peer) error {
	for j, p := range peers {
		at := fmt.Sprintf("%s.peers[%d]", key, j)
		if p.Key() == "" {
			return fmt.Errorf("%s: neither host nor address", at)
		}
		if p.Flows < 0 || p.Allowed < 0 || p.Blocked < 0 {
			return fmt.Errorf("%s: a negative count", at)
		}
		if p.Status != "" && !slices.Contains(matrix.Statuses(), p.Status) {
			return fmt.Errorf("%s.status: %q is not a status", at, p.Status)
		}
		if err := checkAddr(at+".address", p.Address, false); err != nil {
			return err
		}
		if err := checkAddrs(at+".addresses", p.Addresses); err != nil {
			return err
		}
	}
	return nil
}

func (r *Report) validateUnexpected() error {
	for i, u := range r.Unexpected {
		key := fmt.Sprintf("unexpected[%d]", i)
		if u.Flows < 0 || u.Failed < 0 || u.Port < 0 || u.Port > math.MaxUint16 {
			return fmt.Errorf("%s: a negative count or a port out of range", key)
		}
		if !unexpectedTransport(u.Transport) {
			return fmt.Errorf("%s.transport: %q is not a transport (tcp, udp, icmp, icmp6, ip-proto-N)", key, u.Transport)
		}
		if u.Peer != "(others)" { // the group the overflowing peers are counted under
			if err := checkAddr(key+".peer", u.Peer, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// unexpectedTransport reports whether s is a word matrix.TransportName
// writes; an empty one is a hand-written group, shown as it is.
func unexpectedTransport(s string) bool {
	switch s {
	case "", "tcp", "udp", "icmp", "icmp6":
		return true
	}
	n, ok := strings.CutPrefix(s, "ip-proto-")
	p, err := strconv.Atoi(n)
	return ok && err == nil && p >= 0 && p <= math.MaxUint8 && strconv.Itoa(p) == n
}

func (r *Report) validateBlocked() error {
	for i, b := range r.Blocked {
		key := fmt.Sprintf("blocked[%d]", i)
		if b.Attempts < 0 {
			return fmt.Errorf("%s.attempts: %d is negative", key, b.Attempts)
		}
		// The ends are address:port, or the address alone for ICMP.
		if err := checkAddr(key+".initiator", b.Initiator, true); err != nil {
			return err
		}
		if err := checkAddr(key+".responder", b.Responder, true); err != nil {
			return err
		}
	}
	return nil
}

func (r *Report) validateSummary() error {
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

// validateWhere checks the server's and the named hosts' addresses.
func (r *Report) validateWhere() error {
	if err := checkAddrs("server.addresses", r.Server.Addresses); err != nil {
		return err
	}
	for i, c := range r.Server.Candidates {
		if err := checkAddr(fmt.Sprintf("server.candidates[%d].address", i), c.Address, false); err != nil {
			return err
		}
	}
	for i, h := range r.Hosts {
		if err := checkAddrs(fmt.Sprintf("hosts[%d].addresses", i), h.Addresses); err != nil {
			return err
		}
	}
	return nil
}

// validateTimes checks every time but the flows' (their list checks
// those as it sorts them): all are RFC 3339, or absent.
func (r *Report) validateTimes() error {
	times := map[string]string{"window.start": r.Window.Start, "window.end": r.Window.End}
	if r.Timeline != nil {
		times["timeline.start"], times["timeline.end"] = r.Timeline.Start, r.Timeline.End
	}
	for i, in := range r.Inputs {
		times[fmt.Sprintf("inputs[%d].first", i)], times[fmt.Sprintf("inputs[%d].last", i)] = in.First, in.Last
	}
	for i, u := range r.Unexpected {
		times[fmt.Sprintf("unexpected[%d].first", i)], times[fmt.Sprintf("unexpected[%d].last", i)] = u.First, u.Last
	}
	for i, b := range r.Blocked {
		times[fmt.Sprintf("blocked[%d].first", i)], times[fmt.Sprintf("blocked[%d].last", i)] = b.First, b.Last
	}
	for _, k := range slices.Sorted(maps.Keys(times)) {
		if v := times[k]; v != "" {
			if _, err := time.Parse(time.RFC3339Nano, v); err != nil {
				return fmt.Errorf("%s: %q is not an RFC 3339 time", k, v)
			}
		}
	}
	return nil
}

// checkAddr checks an IP address, or with withPort an address:port or
// an address alone; an empty one is absent.
func checkAddr(path, s string, withPort bool) error {
	if s == "" {
		return nil
	}
	if _, err := netip.ParseAddr(s); err == nil {
		return nil
	}
	if ap, err := netip.ParseAddrPort(s); err == nil && withPort && ap.Port() != 0 {
		return nil
	}
	if withPort {
		return fmt.Errorf("%s: %q is not an address or address:port", path, s)
	}
	return fmt.Errorf("%s: %q is not an IP address", path, s)
}

func checkAddrs(path string, list []string) error {
	for i, a := range list {
		if err := checkAddr(fmt.Sprintf("%s[%d]", path, i), a, false); err != nil {
			return err
		}
	}
	return nil
}

// checkPorts checks a rule's ports as the matrix writes them: "88",
// "5435,5439", "49152-65535", each port 1-65535; empty is absent.
func checkPorts(path, s string) error {
	if s == "" {
		return nil
	}
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, errA := strconv.Atoi(lo)
		b, errB := a, error(nil)
		if isRange {
			b, errB = strconv.Atoi(hi)
		}
		if errA != nil || errB != nil || a < 1 || b > math.MaxUint16 || b < a {
			return fmt.Errorf("%s: %q is not a port list (ports 1-65535, as in 88,5435-5439)", path, s)
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
