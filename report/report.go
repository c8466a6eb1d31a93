// Package report holds the report value with its stable JSON form
// ("flowverify/report/v1") and the renderers that print it.
package report

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/classifier/protocol"
	"github.com/flowverify/flowverify/internal/words"
)

// Schema is the JSON schema identifier of this report version.
const Schema = "flowverify/report/v1"

// Report is everything one run found. Metadata only: no payload bytes.
type Report struct {
	Schema     string       `json:"schema"`
	Tool       Tool         `json:"tool"`
	Matrix     MatrixInfo   `json:"matrix"`
	Inputs     []Input      `json:"inputs"`
	Server     Server       `json:"server"`
	Hosts      []Host       `json:"hosts,omitempty"`
	Window     Window       `json:"window"`
	Rules      []Rule       `json:"rules"`
	Unexpected []Unexpected `json:"unexpected"`
	Blocked    []Blocked    `json:"blocked"`
	// Scans are the hosts that probed many ports or hosts, mostly
	// unanswered: one finding each, their unexpected flows folded in.
	Scans    []Scan   `json:"scans,omitempty"`
	Summary  Summary  `json:"summary"`
	Warnings []string `json:"warnings,omitempty"`
	// Notes are information about the whole capture, said once.
	Notes    []string  `json:"notes,omitempty"`
	Timeline *Timeline `json:"timeline,omitempty"`
	// Suggestions are firewall changes (analyze --suggest).
	Suggestions []Suggestion `json:"suggestions,omitempty"`
	Flows       *FlowList    `json:"flows,omitempty"`
	// Aggregates are the typed rows behind Blocked and Unexpected, set by
	// the analysis that built them; nil in a report read back from JSON,
	// which cannot be given suggestions.
	Aggregates *Aggregates `json:"-"`
	// Notices are said in words naming flags by the command (Notice).
	Notices []Notice `json:"-"`
}

// Timeline counts flows per rule (and unexpected flows) in equal slices of
// the capture's duration, by each flow's start.
type Timeline struct {
	Buckets    int              `json:"buckets"`
	Start      string           `json:"start"`
	End        string           `json:"end"`
	Rules      map[string][]int `json:"rules"`
	Unexpected []int            `json:"unexpected"`
}

// Suggestion is a proposed change for a finding.
type Suggestion struct {
	Kind      SuggestionKind   `json:"kind"`
	Rule      string           `json:"rule,omitempty"`
	Peer      string           `json:"peer,omitempty"`
	Port      int              `json:"port,omitempty"`
	Transport string           `json:"transport,omitempty"`
	Direction matrix.Direction `json:"direction,omitempty"`
	Syntax    string           `json:"syntax"`
	Commands  []string         `json:"commands,omitempty"`
	Note      string           `json:"note"`
}

// SuggestionKind is what a suggestion is for (report
// suggestions[].kind). Its text is part of the report schema.
type SuggestionKind uint8

// Suggestion kinds.
const (
	// SuggestBlocked: a documented connection that failed; the rule that
	// lets it through.
	SuggestBlocked SuggestionKind = iota + 1
	// SuggestMismatch: a rule's port answered by another protocol; what
	// to look at, never a rule.
	SuggestMismatch
	// SuggestUnexpected: traffic the matrix does not list; what allowing
	// it would mean.
	SuggestUnexpected
)

var suggestionKindNames = [...]string{SuggestBlocked: "blocked", SuggestMismatch: "mismatch", SuggestUnexpected: "unexpected"}

func (k SuggestionKind) String() string {
	if int(k) < len(suggestionKindNames) && suggestionKindNames[k] != "" {
		return suggestionKindNames[k]
	}
	return fmt.Sprintf("suggestion(%d)", uint8(k))
}

// MarshalText writes the kind's name; only the kinds above have one.
func (k SuggestionKind) MarshalText() ([]byte, error) {
	if int(k) >= len(suggestionKindNames) || suggestionKindNames[k] == "" {
		return nil, fmt.Errorf("no suggestion kind %d", uint8(k))
	}
	return []byte(suggestionKindNames[k]), nil
}

// UnmarshalText reads a kind's name, as a report read back writes it.
func (k *SuggestionKind) UnmarshalText(b []byte) error {
	known := suggestionKindNames[1:]
	for i, name := range known {
		if name == string(b) {
			*k = SuggestionKind(i + 1)
			return nil
		}
	}
	return fmt.Errorf("%q is not a suggestion kind (one of: %s)%s", b, strings.Join(known, ", "), words.DidYouMean(string(b), known))
}

// Tool names the program that wrote the report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// MatrixInfo says which matrix the traffic was judged against.
type MatrixInfo struct {
	Name        string `json:"name"`
	Profile     string `json:"profile"`
	Description string `json:"description,omitempty"`
	Config      string `json:"config,omitempty"` // the user's file, if any
	// Site is the matrix's word on the site (what the server runs, the
	// diagram's boxes); nil in a report written before it was kept.
	Site *Site `json:"site,omitempty"`
}

// Site is what renderers of a report need of the matrix's site model.
type Site struct {
	Product string      `json:"product,omitempty"` // what the server runs: "the <product> server"
	Groups  []SiteGroup `json:"groups,omitempty"`  // the diagram's boxes, in drawing order
}

// SiteGroup is a box of the diagram: the rules whose first role is one
// of Roles.
type SiteGroup struct {
	Name  string   `json:"name"`
	Side  Side     `json:"side"`
	Roles []string `json:"roles"`
}

// Side is where a box of the diagram stands beside the server.
type Side string

// The sides, as reports write them.
const (
	SideLeft  Side = "left"
	SideRight Side = "right"
)

// The diagram's own boxes, for the rules no group of the matrix claims.
const (
	boxServerItself = "On the server itself"
	boxOther        = "Other"
)

// serverLabel is what the report calls the server: "Threat Manager
// server", or "server" for a report that does not say.
func (s *Site) serverLabel() string {
	if s == nil {
		return matrix.ServerLabel("")
	}
	return matrix.ServerLabel(s.Product)
}

// boxes lists the diagram's boxes in drawing order, the matrix's then the
// diagram's own.
func (s *Site) boxes() []SiteGroup {
	var out []SiteGroup
	if s != nil {
		out = append(out, s.Groups...)
	}
	return append(out, SiteGroup{Name: boxServerItself, Side: SideLeft}, SiteGroup{Name: boxOther, Side: SideRight})
}

// boxOf places a rule by its first role (roles as the report writes
// them, comma-separated); local rules no group claims go on the server
// itself.
func (s *Site) boxOf(roles string, dir matrix.Direction) string {
	role, _, _ := strings.Cut(roles, ",")
	if s != nil && role != "" {
		for _, g := range s.Groups {
			if slices.Contains(g.Roles, role) {
				return g.Name
			}
		}
	}
	if dir == matrix.Local {
		return boxServerItself
	}
	return boxOther
}

// Input is one capture file or interface.
type Input struct {
	Name       string `json:"name"`
	Format     string `json:"format,omitempty"`
	Compressed bool   `json:"compressed,omitempty"`
	// Compression: gzip, zstd or xz, told by content.
	Compression string   `json:"compression,omitempty"`
	LinkTypes   []string `json:"link_types"`
	Packets     uint64   `json:"packets"`
	Bytes       uint64   `json:"bytes"`
	First       string   `json:"first,omitempty"`
	Last        string   `json:"last,omitempty"`
	Drops       uint64   `json:"drops"`
	Damaged     bool     `json:"damaged"`
	DamageAt    *int64   `json:"damage_offset,omitempty"`
	Warnings    []string `json:"warnings,omitempty"`
	// Damage is the reader's error where the input stopped being
	// readable (a *capture.DamageError: file, offset, cause), for
	// errors.As; nil in a report read back from JSON.
	Damage error `json:"-"`
}

// Server says which addresses are the server and why.
type Server struct {
	Addresses []string            `json:"addresses"`
	Host      string              `json:"host,omitempty"` // the named host they belong to
	Source    matrix.ServerSource `json:"source"`
	Evidence  []string            `json:"evidence,omitempty"`
	// Candidates, when no server could be inferred: the addresses that
	// show matrix evidence, strongest first.
	Candidates []Candidate `json:"candidates,omitempty"`
	// Advice is what the text report tells a reader without a server to
	// pass, in the command's words (it names a flag); not in JSON.
	Advice string `json:"-"`
	// Err is why there is no server (the engine's *NoServerError), for
	// errors.As; nil otherwise and in a report read back from JSON.
	Err error `json:"-"`
}

// Candidate is an address that may be the server, with what it showed.
type Candidate struct {
	Address  string   `json:"address"`
	Score    int      `json:"score"` // kinds of matrix evidence
	Evidence []string `json:"evidence"`
}

// NoServer says whether the report judged nothing for want of a server.
func (r *Report) NoServer() bool { return r.Server.Source == matrix.ServerNone }

// Facts is what the report's summary verdict and exit status are decided
// from (matrix.Decide, matrix.ExitStatus).
func (r *Report) Facts() matrix.Facts {
	return matrix.Facts{Judged: !r.NoServer(), Findings: r.Summary.Findings, Unconfirmed: matrix.CountUnconfirmed(r.RuleStatuses()),
		Observed: secondsDuration(r.Window.Observed), Window: secondsDuration(r.Window.Length)}
}

// RuleStatuses lists the rules' statuses in the report's order.
func (r *Report) RuleStatuses() []matrix.Status {
	out := make([]matrix.Status, len(r.Rules))
	for i, rr := range r.Rules {
		out[i] = rr.Status
	}
	return out
}

// Window is the span of packet time the report covers.
type Window struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
	// Length and Observed are a monitor's, in seconds: the window it
	// judges over and how much of it has been observed so far. Until
	// Observed reaches Length the verdict is at best "observing".
	Length   float64 `json:"length_seconds,omitempty"`
	Observed float64 `json:"observed_seconds,omitempty"`
}

func secondsDuration(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// Progress says how much of its window a monitor whose verdict is
// observing has watched, "2s of 1m0s observed", and is empty for every
// other report. The observed part is cut to the second, never rounded up:
// "1m0s of 1m0s" would read as complete when it is not.
func (r *Report) Progress() string {
	if r.Summary.Verdict != matrix.OutcomeObserving || r.Window.Length <= 0 {
		return ""
	}
	return fmt.Sprintf("%s of %s observed", secondsDuration(r.Window.Observed).Truncate(time.Second), secondsDuration(r.Window.Length))
}

// Rule is one matrix row with its status.
type Rule struct {
	ID          string           `json:"id"`
	Description string           `json:"description"`
	Direction   matrix.Direction `json:"direction"`
	Local       bool             `json:"local,omitempty"`
	Transport   string           `json:"transport"`
	Ports       string           `json:"ports"`
	Role        string           `json:"role,omitempty"`
	Required    bool             `json:"required"`
	Status      matrix.Status    `json:"status"`
	Reason      string           `json:"reason,omitempty"`
	Flows       int              `json:"flows"`
	Allowed     int              `json:"allowed"`
	BlockedN    int              `json:"blocked"`
	Mismatch    int              `json:"mismatch"`
	Unconfirmed int              `json:"unconfirmed,omitempty"` // attempts whose outcome the capture does not show
	Packets     uint64           `json:"packets"`
	Bytes       uint64           `json:"bytes"`
	Peers       []Peer           `json:"peers"`
	Missing     []string         `json:"missing_peers,omitempty"`
	// Failures: how the blocked attempts failed (refused, no answer,
	// unreachable from whom).
	Failures  *matrix.Failures `json:"failures,omitempty"`
	Protocols map[string]int   `json:"protocols"`
	Evidence  []string         `json:"evidence,omitempty"`
}

// EvidencePortOnly is the evidence line of a rule whose flows no
// application protocol was recognised in (Rule.PortOnly). The text
// report says it once for all such rules and drops the line, by this
// value, so its wording can change without changing what is decided.
const EvidencePortOnly = "protocol not confirmed: judged by port and direction alone"

// PortOnly says whether the rule's flows were all judged by port and
// direction alone: it saw flows and recognised no protocol in any of
// them. It is decided from the counts, so a report read back or merged
// says it as the analysis did.
func (r *Rule) PortOnly() bool {
	unknown := protocol.Unknown.String()
	return r.Flows > 0 && len(r.Protocols) == 1 && r.Protocols[unknown] == r.Flows
}

// Host is a named machine of the site with all its addresses.
type Host struct {
	Name      string   `json:"name"`
	Addresses []string `json:"addresses"`
}

// Peer is one peer a rule saw: a named host (Host, with its Addresses), or
// an address no host claims (Address).
type Peer struct {
	Host      string        `json:"host,omitempty"`
	Addresses []string      `json:"addresses,omitempty"`
	Address   string        `json:"address,omitempty"`
	Status    matrix.Status `json:"status"`
	Flows     int           `json:"flows"`
	Allowed   int           `json:"allowed"`
	Blocked   int           `json:"blocked"`
	// Unconfirmed: this peer's attempts seen in one direction only.
	Unconfirmed int `json:"unconfirmed,omitempty"`
}

// Unexpected is a group of flows no rule allows.
type Unexpected struct {
	Transport string           `json:"transport"`
	Direction matrix.Direction `json:"direction"`
	Port      int              `json:"port"`
	Peer      string           `json:"peer"`
	// Host is the site's name for Peer (its hosts: map), "" when the
	// site names none.
	Host     string `json:"host,omitempty"`
	Protocol string `json:"protocol"`
	Flows    int    `json:"flows"`
	Failed   int    `json:"failed"`
	Packets  uint64 `json:"packets"`
	Bytes    uint64 `json:"bytes"`
	First    string `json:"first"`
	Last     string `json:"last"`
	Hint     string `json:"hint,omitempty"`
	// ICMP groups have no port: their message type and code instead.
	ICMPType *int `json:"icmp_type,omitempty"`
	ICMPCode *int `json:"icmp_code,omitempty"`
}

// Blocked is one failed attempt at a documented connection.
type Blocked struct {
	Rule      string `json:"rule"`
	Initiator string `json:"initiator"`
	Responder string `json:"responder"`
	// InitiatorHost and ResponderHost are the site's names for the two
	// ends' addresses, "" for an end no host claims.
	InitiatorHost string             `json:"initiator_host,omitempty"`
	ResponderHost string             `json:"responder_host,omitempty"`
	Reason        matrix.BlockReason `json:"reason"`
	ICMPCode      *int               `json:"icmp_code,omitempty"`
	// Why, for an ICMP refusal: "administratively prohibited (ICMP 3/13)
	// from 10.20.0.1".
	ICMP     string `json:"icmp,omitempty"`
	Attempts int    `json:"attempts"`
	First    string `json:"first"`
	Last     string `json:"last"`
}

// Scan is one scanner's attempts, as Zeek's scan notices tell them: a
// host that tried many ports or hosts, nearly all without an answer.
type Scan struct {
	Scanner string `json:"scanner"`
	// ScannerHost is the site's name for Scanner, "" when none.
	ScannerHost string `json:"scanner_host,omitempty"`
	// Targets are the hosts it probed, at most maxScanTargets of Hosts.
	Targets []string `json:"targets"`
	// TargetHosts are the site's names for Targets, index for index (""
	// for an address no host claims); absent when it names none of them.
	TargetHosts []string `json:"target_hosts,omitempty"`
	Hosts       int      `json:"hosts"`
	// Tried counts the distinct targets (a port of a host) it tried,
	// Ports the distinct ports; PortList names them as ranges.
	Tried    int    `json:"tried"`
	Ports    int    `json:"ports"`
	PortList string `json:"port_list"`
	// Answered: targets whose probe was answered without a session: a
	// SYN/ACK (the scanner's RST ends it, no handshake completes) or a
	// bare handshake over TCP, in the line "accepted"; a reply to a
	// probe of another transport (an echo).
	Answered  int    `json:"answered"`
	Transport string `json:"transport"`
	// Folded counts its unexpected flows, listed here instead of as
	// groups of their own.
	Folded int    `json:"folded_flows"`
	First  string `json:"first"`
	Last   string `json:"last"`
}

// Line is the scan in one line: "172.16.0.8 probed 998 ports of
// 64.13.134.52, 2 accepted", each address with its host when the site
// names it. A TCP scan's targets are "accepted", not answered: the rules
// call a lone SYN/ACK no answer, and the line must not say otherwise.
func (s Scan) Line() string {
	answered := fmt.Sprintf("%d answered", s.Answered)
	if s.Transport == matrix.TransportName(matrix.TCP) {
		answered = fmt.Sprintf("%d accepted", s.Answered)
	}
	scanner := Named(s.ScannerHost, s.Scanner)
	switch {
	case s.Hosts == 1 && len(s.Targets) == 1:
		return fmt.Sprintf("%s probed %s of %s, %s", scanner, words.Count(s.Ports, "port"), s.targetLabel(0), answered)
	case s.Ports == 1:
		return fmt.Sprintf("%s probed %s/%s on %s, %s", scanner, s.Transport, s.PortList, words.Count(s.Hosts, "host"), answered)
	}
	return fmt.Sprintf("%s probed %s on %s (%s), %s", scanner, words.Count(s.Ports, "port"), words.Count(s.Hosts, "host"), words.Count(s.Tried, "target"), answered)
}

// targetLabel names the i-th target, with its host when the site names it.
func (s Scan) targetLabel(i int) string {
	if i < len(s.TargetHosts) {
		return Named(s.TargetHosts[i], s.Targets[i])
	}
	return s.Targets[i]
}

// ScannerLabel names the scanner for people: "lab-nmap (172.16.0.8)".
func (s Scan) ScannerLabel() string { return Named(s.ScannerHost, s.Scanner) }

// PeerLabel names the group's peer for people: "dc1 (10.20.0.21)", or
// the address alone when the site names no host for it.
func (u Unexpected) PeerLabel() string { return Named(u.Host, u.Peer) }

// InitiatorLabel and ResponderLabel name the attempt's ends for people:
// "dc1 (10.20.0.21:9389)", or the address and port alone.
func (b Blocked) InitiatorLabel() string { return Named(b.InitiatorHost, b.Initiator) }

// ResponderLabel: see InitiatorLabel.
func (b Blocked) ResponderLabel() string { return Named(b.ResponderHost, b.Responder) }

// Named writes an address (or an address and port) with the host the
// site knows it by, "dc1 (10.20.0.21:389)"; the address alone when the
// site names no host for it.
func Named(host, addr string) string {
	if host == "" {
		return addr
	}
	return host + " (" + addr + ")"
}

// Details are what the line leaves out: the ports, the span, the flows
// folded in.
func (s Scan) Details() string {
	out := fmt.Sprintf("%s %s, %s .. %s", s.Transport, s.PortList, s.First, s.Last)
	if s.Hosts > len(s.Targets) || s.Hosts > 1 {
		labels := make([]string, len(s.Targets))
		for i := range s.Targets {
			labels[i] = s.targetLabel(i)
		}
		out += fmt.Sprintf("; hosts %s", strings.Join(labels, ", "))
		if s.Hosts > len(s.Targets) {
			out += fmt.Sprintf(" and %d more", s.Hosts-len(s.Targets))
		}
	}
	if s.Folded > 0 {
		out += fmt.Sprintf("; %s folded in, not listed as unexpected", words.Count(s.Folded, "unexpected flow"))
	}
	return out
}

// shownFindings are the kinds a human report's summary counts: every
// kind, scans only when there is one (rare, and not worth "0 scans" in
// every report); JSON counts every kind.
func (r *Report) shownFindings() []matrix.Finding {
	var out []matrix.Finding
	for _, k := range matrix.Findings() {
		if k != matrix.FindingScan || r.Summary.Findings[k] > 0 {
			out = append(out, k)
		}
	}
	return out
}

// findingCount words one kind's count: "0 missing", "1 scan", "2 scans".
func findingCount(k matrix.Finding, n int) string {
	if k == matrix.FindingScan {
		return words.Count(n, "scan")
	}
	return fmt.Sprintf("%d %s", n, k)
}

// Summary is the one-line answer.
type Summary struct {
	Verdict  matrix.Outcome         `json:"verdict"` // decided once, by matrix.Decide
	Findings map[matrix.Finding]int `json:"findings"`
	Packets  uint64                 `json:"packets"`
	Flows    int                    `json:"flows"`
	Allowed  int                    `json:"allowed"`
	// Unconfirmed: flows a rule matched that show neither an answer nor
	// a failure (docs/design.md, "The evidence rule").
	Unconfirmed int `json:"unconfirmed,omitempty"`
	Ignored     int `json:"ignored"`
	Transit     int `json:"transit"`
	Local       int `json:"local"`
	// NotJudged: flows read when no server was known (server.candidates).
	NotJudged int    `json:"not_judged,omitempty"`
	Evicted   uint64 `json:"evicted"`
	Dropped   uint64 `json:"dropped"`
	Fragments uint64 `json:"fragments"`
	NonIP     uint64 `json:"non_ip"`
	// Infrastructure: IPv6 neighbour discovery and multicast listener
	// packets, counted and never judged.
	Infrastructure uint64 `json:"infrastructure"`
	// Undecoded counts frames in tunnels flowverify does not open, by
	// kind: what is inside them is not judged.
	Undecoded map[string]uint64 `json:"undecoded,omitempty"`
	Guessed   int               `json:"guessed_direction"`
	MaxActive int               `json:"max_active_flows"`
	Damaged   bool              `json:"damaged"`
}

// Flow is one conversation with its verdict.
type Flow struct {
	Transport string `json:"transport"`
	Initiator string `json:"initiator"`
	Responder string `json:"responder"`
	// InitiatorHost and ResponderHost are the site's names for the ends,
	// "" when it names none; filled as the flows are written (withHosts),
	// as flows-csv does, since the flows are spilled before the names
	// are final.
	InitiatorHost string            `json:"initiator_host,omitempty"`
	ResponderHost string            `json:"responder_host,omitempty"`
	Guessed       bool              `json:"guessed"`
	Direction     matrix.Direction  `json:"direction"`
	State         string            `json:"state"`
	ConnState     string            `json:"conn_state"`
	History       string            `json:"history,omitempty"`
	Protocol      string            `json:"protocol"`
	Confidence    string            `json:"confidence,omitempty"`
	ProtocolMeta  map[string]string `json:"protocol_meta,omitempty"`
	Verdict       matrix.Verdict    `json:"verdict"`
	Reason        string            `json:"reason"`
	Rule          string            `json:"rule,omitempty"`
	Packets       Counts            `json:"packets"`
	Bytes         Counts            `json:"bytes"`
	Fragments     uint32            `json:"fragments,omitempty"`
	First         string            `json:"first"`
	Last          string            `json:"last"`
	End           string            `json:"end"`
	Input         string            `json:"input,omitempty"`
	Notes         []string          `json:"notes,omitempty"`
	// ICMP flows: the request's message type and the code; their ends
	// are written without a port.
	ICMPType *int `json:"icmp_type,omitempty"`
	ICMPCode *int `json:"icmp_code,omitempty"`
}

// Counts is a per-direction pair.
type Counts struct {
	Initiator uint64 `json:"initiator"`
	Responder uint64 `json:"responder"`
}

// Service is what an unexpected group reaches: its port, or for ICMP its
// message's name (never a port number).
func (u Unexpected) Service() string {
	if u.ICMPType != nil {
		code := 0
		if u.ICMPCode != nil {
			code = *u.ICMPCode
		}
		return protocol.ICMPName(u.Transport == matrix.TransportName(capture.ProtoICMPv6), uint8(*u.ICMPType), uint8(code))
	}
	return strconv.Itoa(u.Port)
}

// Key names the peer: its host, else its address. diff and merge match
// peers by it.
func (p Peer) Key() string {
	if p.Host != "" {
		return p.Host
	}
	return p.Address
}

// Label names the peer for people: "dc1 (198.18.0.20, 2001:db8::20)".
func (p Peer) Label() string {
	if p.Host == "" {
		return p.Address
	}
	return hostLabel(p.Host, p.Addresses)
}

func hostLabel(name string, addrs []string) string {
	if len(addrs) == 0 {
		return name
	}
	return name + " (" + strings.Join(addrs, ", ") + ")"
}

// PeerLabel names a peer by its key (a missing peer): a host with its
// addresses when the report knows the host, else the key itself.
func (r *Report) PeerLabel(key string) string {
	for _, h := range r.Hosts {
		if h.Name == key {
			return hostLabel(h.Name, h.Addresses)
		}
	}
	return key
}

// hostNames maps every address of the report's named hosts to the host,
// for the rows that carry no name of their own (the flow list).
func (r *Report) hostNames() map[netip.Addr]string {
	out := map[netip.Addr]string{}
	for _, h := range r.Hosts {
		for _, s := range h.Addresses {
			if a, err := netip.ParseAddr(s); err == nil {
				out[a.Unmap()] = h.Name
			}
		}
	}
	return out
}

// endHost is the host named for a flow's end as the report writes it,
// "10.20.0.21:389", "[2001:db8::21]:389" or (ICMP) the address alone; ""
// when no host claims it.
func endHost(names map[netip.Addr]string, end string) string {
	if len(names) == 0 {
		return ""
	}
	if ap, err := netip.ParseAddrPort(end); err == nil {
		return names[ap.Addr().Unmap()]
	}
	if a, err := netip.ParseAddr(end); err == nil {
		return names[a.Unmap()]
	}
	return ""
}

// withHosts is the flow as the report writes it: its ends with the hosts
// the site names for them. A name the flow already carries (a report read
// back) is kept where the report's hosts name none.
func (f *Flow) withHosts(names map[netip.Addr]string) *Flow {
	if len(names) == 0 {
		return f
	}
	c := *f
	if h := endHost(names, f.Initiator); h != "" {
		c.InitiatorHost = h
	}
	if h := endHost(names, f.Responder); h != "" {
		c.ResponderHost = h
	}
	return &c
}

// FailedBeside words the attempts that failed beside ones that worked,
// "some attempts failed: refused by RST on 1 of 3 attempts", or "" when
// none did or none worked (then the status says it): a pass with such
// attempts is still a pass, but every format must say so.
func (r Rule) FailedBeside() string {
	if r.Failures == nil || r.Failures.Total() == 0 || r.Allowed == 0 {
		return ""
	}
	return "some attempts failed: " + r.Failures.Text()
}
