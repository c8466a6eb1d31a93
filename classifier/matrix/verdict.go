package matrix

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/classifier/protocol"
	"github.com/flowverify/flowverify/internal/words"
)

// Verdict is the judgement of one flow.
type Verdict uint8

// Flow verdicts (docs/design.md). NotJudged covers transit traffic and local
// traffic that no rule speaks about: counted, never a finding.
const (
	Allowed Verdict = iota + 1
	Blocked
	Mismatch
	Unexpected
	Ignored
	NotJudged
	// Unconfirmed: a rule matched, but the flow shows no answer from the
	// peer and no failure either (one-way data, a lone SYN/ACK): its
	// outcome is unknown.
	Unconfirmed
)

var verdictNames = [...]string{Allowed: "allowed", Blocked: "blocked", Mismatch: "mismatch", Unexpected: "unexpected",
	Ignored: "ignored", NotJudged: "not-judged", Unconfirmed: "unconfirmed"}

func (v Verdict) String() string {
	if int(v) < len(verdictNames) && verdictNames[v] != "" {
		return verdictNames[v]
	}
	return "unknown"
}

// MarshalText writes the verdict's name (report flows[].verdict). The
// zero value, a flow never judged, is written "" as it always was.
func (v Verdict) MarshalText() ([]byte, error) {
	if int(v) >= len(verdictNames) {
		return nil, fmt.Errorf("no flow verdict %d", uint8(v))
	}
	return []byte(verdictNames[v]), nil
}

// UnmarshalText reads a verdict's name, as a report read back writes it.
func (v *Verdict) UnmarshalText(b []byte) error {
	for k, name := range verdictNames {
		if name == string(b) {
			*v = Verdict(k)
			return nil
		}
	}
	known := verdictNames[1:]
	return fmt.Errorf("%q is not a flow verdict (one of: %s)%s", b, strings.Join(known, ", "), words.DidYouMean(string(b), known))
}

// Judgement is a flow's verdict with everything needed to explain it.
type Judgement struct {
	Dir       Direction
	Peer      netip.Addr // the non-server end (responder for transit)
	Port      uint16     // the responder's port: the server's for inbound, the peer's for outbound
	Rule      int        // index into Matrix.Rules, -1 if none
	Ignore    int        // index into Matrix.Ignore, -1 if none
	Verdict   Verdict
	Block     BlockReason // how it failed when blocked or failed, else NoFailure
	Reason    string
	Ambiguous []int // other rules that matched equally well
	Notes     []string
	Learned   *Learned // the endpoint-mapper answer that named this flow's port

	PeerAddr capture.Addr // Peer as the flow holds it, spared a conversion back
}

// failure says whether a flow is a failed attempt.
func failure(f *FlowFacts) BlockReason {
	if f.Unreach && f.ResPkts == 0 {
		return Unreachable
	}
	if f.Transport != capture.ProtoTCP {
		return NoFailure
	}
	if f.ResPkts == 0 {
		// Nothing came back, whatever the flags (a FIN, an ACK, none):
		// a rule is reached only when the peer answers.
		return NoAnswer
	}
	switch f.Opening {
	case OpeningUnanswered:
		if f.Guessed {
			return NoFailure
		}
		return NoAnswer
	case OpeningRefused:
		return Refused
	}
	return NoFailure
}

// failed narrows failure for a flow a rule matched, by the evidence rule
// (docs/design.md): with nothing back from the responder, SYNs and bare
// probes (a FIN, an ACK, no flags: segments a working peer answers, if
// only with an RST) show an attempt that failed, but data from one end
// with no SYN (a capture begun mid-stream, a path seen in one direction,
// or a forged stream) shows nothing about the outcome: unconfirmed, not
// blocked. Unexpected flows keep failure's sense: there it only counts
// failed attempts in a group.
func failed(f *FlowFacts, block BlockReason) BlockReason {
	if block == NoAnswer && f.Transport == capture.ProtoTCP && f.SYNs == 0 && f.IniData {
		return NoFailure
	}
	return block
}

// answered says whether a flow shows the peer answering, the only
// evidence that a rule works (docs/design.md, "The evidence rule"): for
// TCP the three-way handshake or payload from the responder (a SYN/ACK
// alone can be sent by anyone, and one-way data proves no delivery); for
// UDP a datagram from the responder, or for a one_way rule a datagram the
// server received; for ICMP a reply.
func answered(f *FlowFacts, r *Rule, dir Direction) bool {
	switch f.Transport {
	case capture.ProtoTCP:
		// Bytes from the responder count only in a flow the initiator
		// spoke in too: one data segment from a DC, with nothing from
		// the server, is one direction, like a lone SYN/ACK.
		return f.Handshake || f.ResData && f.IniPkts > 0
	case capture.ProtoUDP:
		if r.OneWay && (dir == Inbound || dir == Local) && f.IniPkts > 0 {
			return true // the peer initiated: the server received it
		}
	}
	// A reply needs a request: a lone datagram from a well-known port
	// is turned around by the flow table and leaves the initiator with
	// none.
	return f.IniPkts > 0 && f.ResPkts > 0
}

// unansweredWhy says in words what an unconfirmed flow shows (only when
// reasons are shown).
func unansweredWhy(f *FlowFacts) string {
	o, r := f.IniPkts, f.ResPkts
	switch f.Transport {
	case capture.ProtoUDP:
		return words.Count(int(o), "datagram") + " from the initiator and no reply: seen in one direction only"
	case capture.ProtoICMP, capture.ProtoICMPv6:
		return words.Count(int(o), "message") + " from the initiator and no reply: seen in one direction only"
	}
	switch {
	case r == 0:
		return words.Count(int(o), "segment") + " from the initiator, with data, and nothing back: seen in one direction only"
	case o == 0 && f.ResSYNACK:
		return words.Count(int(r), "segment") + " from the responder only, a SYN/ACK without the initiator's SYN: seen in one direction only"
	case o == 0:
		return words.Count(int(r), "segment") + " from the responder only, without data: seen in one direction only"
	}
	return "packets both ways, but no completed handshake and no data from the responder (its ACKs alone do not show the service answering)"
}

// failureWhy explains a failure in words (only when reasons are shown).
func failureWhy(f *FlowFacts, block BlockReason) string {
	switch block {
	case Unreachable:
		return icmpText(f)
	case NoAnswer:
		if f.SYNs == 0 {
			// Bare probes (ACK, FIN, no flags) that a working peer would
			// have answered at least with an RST.
			return words.Count(int(f.IniPkts), "segment") + " without an answer"
		}
		return words.Count(f.SYNs, "SYN") + " without an answer"
	case Refused:
		return "the responder answered the SYN with RST"
	}
	return ""
}

// icmpText words the destination unreachable that answered a flow, its
// code named as the rule's failures name it (unreachMeaning, from the
// protocol package's one ICMP table).
func icmpText(f *FlowFacts) string {
	u := Unreach{V6: f.ICMPv6, Type: protocol.ICMPUnreachable(f.ICMPv6), Code: f.ICMPCode}
	proto := "ICMP"
	if f.ICMPv6 {
		proto = "ICMPv6"
	}
	what := proto + " destination unreachable: " + unreachMeaning(u)
	if protocol.ICMPCodeName(u.V6, u.Type, u.Code) != "" {
		what += fmt.Sprintf(" (code %d)", u.Code) // unreachMeaning is the code's number otherwise
	}
	return what
}

// accepts reports whether the rule allows a recognised protocol.
func (r *Rule) Accepts(id protocol.ID) bool {
	if len(r.Protocols) == 0 {
		return true
	}
	for _, p := range r.Protocols {
		if p == id.String() {
			return true
		}
	}
	return false
}
