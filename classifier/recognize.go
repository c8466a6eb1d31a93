package classifier

import (
	"net/netip"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/capture/flow"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/classifier/protocol"
)

// maxRecognitionPackets is how many payload packets (both directions) a
// flow may carry before recognition gives up, as nDPI's dissectors do.
const maxRecognitionPackets = 12

// flowProto is what recognition concluded about one flow.
type flowProto struct {
	conf     protocol.Confidence
	answered bool
	meta     protocol.Meta
}

// recognizer is the flow table's payload hook: it names each flow's
// protocol and learns dynamic RPC endpoints from ept_map replies.
type recognizer struct {
	protos  []flowProto // Flow.Meta-1 indexes this
	freed   []uint32    // released slots of protos, reused first
	learned []matrix.Learned
	byEP    map[learnKey][]int32 // indexes into learned
	// ports marks every port an endpoint mapper ever named, so that a
	// flow to a port no rule lists asks byEP only when one could match.
	// It only grows: a stale mark costs one map lookup, never a verdict.
	ports *flow.PortSet
	now   func() int64
	table *flow.Table
}

type learnKey struct {
	addr netip.Addr
	port uint16
}

func newRecognizer() *recognizer { return &recognizer{now: func() int64 { return 0 }} }

// attach makes the recognizer t's payload hook, on t's packet clock.
func (r *recognizer) attach(t *flow.Table) {
	t.OnPayload = r.onPayload
	r.now = t.Now
	r.table = t
}

func (r *recognizer) set(f *flow.Flow, res protocol.Result) {
	if f.Meta == 0 {
		if n := len(r.freed); n > 0 {
			f.Meta = r.freed[n-1]
			r.freed = r.freed[:n-1]
		} else {
			r.protos = append(r.protos, flowProto{})
			f.Meta = uint32(len(r.protos))
		}
	}
	f.Protocol = uint16(res.ID)
	r.protos[f.Meta-1] = flowProto{conf: res.Conf, answered: res.Answered, meta: res.Meta}
}

func (r *recognizer) input(f *flow.Flow, pl *flow.Payload) protocol.Input {
	_, port := f.Responder()
	t := protocol.TCP
	if f.Key.Proto == capture.ProtoUDP {
		t = protocol.UDP
	}
	return protocol.Input{Transport: t, Client: pl.Dir[flow.Orig].Bytes(), Server: pl.Dir[flow.Resp].Bytes(), Port: port}
}

// onPayload runs while a flow is unidentified; true ends recognition.
func (r *recognizer) onPayload(f *flow.Flow, pl *flow.Payload) bool {
	if f.Key.Proto != capture.ProtoTCP && f.Key.Proto != capture.ProtoUDP {
		return true
	}
	res := protocol.Recognise(r.input(f, pl))
	if res.Conf != protocol.None {
		r.set(f, res)
	}
	if res.ID == protocol.DCERPC && res.Conf == protocol.Certain {
		// Keep reading an endpoint-mapper conversation until its ept_map
		// reply shows which port it handed out.
		if r.learn(f, pl) || (pl.Dir[flow.Resp].Full() || pl.Packets[flow.Orig]+pl.Packets[flow.Resp] >= 2*maxRecognitionPackets) {
			return true
		}
		return !r.isEPM(f)
	}
	if res.Conf == protocol.Certain {
		return true
	}
	return pl.Packets[flow.Orig]+pl.Packets[flow.Resp] >= maxRecognitionPackets
}

func (r *recognizer) isEPM(f *flow.Flow) bool {
	// Only the endpoint mapper's own port: an ept_map exchange run on any
	// other port is no endpoint mapper the matrix knows (a crafted one on
	// 5000 must not teach the dynamic row a port).
	_, port := f.Responder()
	return port == 135
}

// learn matches ept_map requests to their responses by call id and records
// every TCP endpoint in the response towers.
func (r *recognizer) learn(f *flow.Flow, pl *flow.Payload) bool {
	if !r.isEPM(f) {
		return false
	}
	var calls [8]uint32
	n := 0
	protocol.PDUs(pl.Dir[flow.Orig].Bytes(), func(p *protocol.PDU) bool {
		if protocol.EptMapRequest(p) && n < len(calls) {
			calls[n] = p.CallID
			n++
		}
		return true
	})
	learned := false
	protocol.PDUs(pl.Dir[flow.Resp].Bytes(), func(p *protocol.PDU) bool {
		if p.Type != 2 {
			return true
		}
		match := false
		for _, c := range calls[:n] {
			match = match || c == p.CallID
		}
		if !match {
			return true
		}
		eps, _ := protocol.ParseEptMapResponse(p)
		ra, _ := f.Responder()
		from := ""
		for _, ep := range eps {
			learned = true
			addr := ep.Addr
			if !addr.IsValid() {
				addr = ra.Netip()
			}
			ia, ip := f.Initiator()
			if from == "" {
				from = hostPort(ia, ip) + " -> " + hostPort(ra, 135)
			}
			if r.byEP == nil {
				r.byEP = map[learnKey][]int32{}
				r.ports = new(flow.PortSet)
			}
			r.ports.Add(ep.Port)
			k := learnKey{addr, ep.Port}
			idx := r.byEP[k]
			// A reply is read once (learning ends recognition), so the
			// only repeat to drop is an endpoint named twice in it. The
			// same tuple asking again later, as client ports wrap on a
			// long capture, is a new answer with its own lifetime.
			now := r.now()
			if n := len(idx); n > 0 && r.learned[idx[n-1]].From == from && r.learned[idx[n-1]].At == now {
				continue
			}
			r.byEP[k] = append(idx, int32(len(r.learned)))
			r.learned = append(r.learned, matrix.Learned{Addr: addr, Port: ep.Port, Interface: ep.Interface, At: now, From: from, Mapper: ra.Netip(), Client: ia.Netip()})
		}
		return true
	})
	return learned
}

// final runs once more when a flow ends with recognition unfinished, so a
// short flow still gets its best answer.
func (r *recognizer) final(f *flow.Flow) {
	if r.table == nil {
		return
	}
	pl := r.table.PayloadOf(f)
	if pl == nil {
		return
	}
	if f.Key.Proto != capture.ProtoTCP && f.Key.Proto != capture.ProtoUDP {
		return
	}
	if res := protocol.Recognise(r.input(f, pl)); res.Conf != protocol.None {
		r.set(f, res)
	}
	if f.Protocol == uint16(protocol.DCERPC) {
		r.learn(f, pl)
	}
}

// AnyLearned says whether any endpoint was handed out.
func (r *recognizer) AnyLearned() bool { return len(r.byEP) > 0 }

// MayBeLearned says whether any endpoint mapper named port.
func (r *recognizer) MayBeLearned(port uint16) bool { return r.ports != nil && r.ports.Has(port) }

// answeredRPC says whether recognition saw the flow's responder answer
// DCE/RPC (protocol.Result.Answered). A bind_nak, a fault or bytes of
// another protocol do not make a domain controller.
func (r *recognizer) answeredRPC(f *flow.Flow) bool {
	if !f.SentData(flow.Orig) {
		return false // a bind_ack that answers no request of the server's
	}
	id, fp := r.proto(f)
	return fp != nil && id == protocol.DCERPC && fp.conf == protocol.Certain && fp.answered
}

// LookupLearned finds a learned endpoint valid at time t.
func (r *recognizer) LookupLearned(a netip.Addr, port uint16, t int64, lifetime time.Duration) *matrix.Learned {
	idx := r.byEP[learnKey{a, port}]
	for i := len(idx) - 1; i >= 0; i-- {
		l := &r.learned[idx[i]]
		if t >= l.At-int64(time.Second) && t <= l.At+int64(lifetime) {
			return l
		}
	}
	return nil
}

func (r *recognizer) proto(f *flow.Flow) (protocol.ID, *flowProto) {
	if f.Meta == 0 {
		return protocol.Unknown, nil
	}
	return protocolOf(f.Meta, f.Protocol), &r.protos[f.Meta-1]
}

// protocol is what judging asks of recognition (Evidence).
func (r *recognizer) protocol(f *flow.Flow) (protocol.ID, protocol.Confidence, bool) {
	id, fp := r.proto(f)
	if fp == nil {
		return id, protocol.None, false
	}
	return id, fp.conf, true
}

// protocolOf is what recognition made of a flow from its Meta and
// Protocol fields: nothing without recognition state (meta 0).
func protocolOf(meta uint32, p uint16) protocol.ID {
	if meta == 0 {
		return protocol.Unknown
	}
	return protocol.ID(p)
}

// release frees a finished flow's slot once nothing refers to it (the
// monitor's window moved past the flow).
func (r *recognizer) release(meta uint32) {
	if meta != 0 {
		r.protos[meta-1] = flowProto{}
		r.freed = append(r.freed, meta)
	}
}

// pruneLearned forgets endpoints older than keep.
func (r *recognizer) pruneLearned(before int64) {
	n := 0
	for _, l := range r.learned {
		if l.At >= before {
			r.learned[n] = l
			n++
		}
	}
	if n == len(r.learned) {
		return
	}
	r.learned = r.learned[:n]
	r.byEP = map[learnKey][]int32{}
	for i, l := range r.learned {
		k := learnKey{l.Addr, l.Port}
		r.byEP[k] = append(r.byEP[k], int32(i))
	}
}
