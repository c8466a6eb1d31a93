package synth

import (
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// streamer writes frames straight to a pcap, for captures too large to
// hold in memory. Frames must arrive in time order.
type streamer struct {
	w       io.Writer
	f       Format
	packets int
}

func newStreamer(w io.Writer) (*streamer, error) {
	f := Format{Links: []uint32{LinkEthernet}}
	if err := writePcapHeader(w, f); err != nil {
		return nil, err
	}
	return &streamer{w: w, f: f}, nil
}

func (s *streamer) write(fr *frame) error {
	s.packets++
	return writePcapRecord(s.w, s.f, fr, linkFrame(fr, LinkEthernet, nil))
}

func (s *streamer) flush(c *Capture) error {
	for _, fr := range c.sorted() {
		if err := s.write(&fr); err != nil {
			return err
		}
	}
	c.frames = c.frames[:0]
	return nil
}

// WriteMix writes at least packets packets of a busy site, cycle after
// cycle: agents' syslog and AMQP, both domain controllers (with the
// dynamic RPC port), consoles, the database, and unexpected noise. Bodies
// are padded so the mean packet is a few hundred bytes, like real traffic.
func WriteMix(w io.Writer, packets int, seed uint64) error {
	st, err := newStreamer(w)
	if err != nil {
		return err
	}
	n := DefaultNet()
	// A larger site: more agents spread the flows over more peers.
	n.amAgents, n.TPAgents = nil, nil
	for i := 0; i < 12; i++ {
		n.amAgents = append(n.amAgents, fmt.Sprintf("10.20.1.%d", 100+i))
		n.TPAgents = append(n.TPAgents, fmt.Sprintf("10.20.4.%d", 100+i))
	}
	s := NewSite(n, seed)
	t := Start()
	for cycle := 0; st.packets < packets; cycle++ {
		s.Syslog(t, 10)
		s.AMQP(t.Add(time.Second), 20)
		s.dc(t.Add(2*time.Second), n.DCs[cycle%2], dcOptions{})
		s.console(t.Add(3*time.Second), cycle%4 == 0)
		s.postgresLocal(t.Add(4*time.Second), 0)
		if cycle%10 == 0 {
			s.unexpected(t.Add(5*time.Second), n.DCs[0])
		}
		if err := st.flush(s.C); err != nil {
			return err
		}
		t = t.Add(20 * time.Second)
	}
	return nil
}

// WriteFlood writes flows distinct flows: a SYN scan across addresses and
// ports (one packet each), a UDP spray, and tiny IPv4 fragments, as a
// hostile capture would.
func WriteFlood(w io.Writer, flows int, seed uint64) error {
	st, err := newStreamer(w)
	if err != nil {
		return err
	}
	c := New(seed)
	t := Start()
	server := netip.MustParseAddr("10.20.0.10")
	for i := 0; i < flows; i++ {
		dst := netip.AddrFrom4([4]byte{10, byte(30 + i>>24&0x3f), byte(i >> 16), byte(i >> 8)})
		port := uint16(1 + i%65000)
		fr := frame{ts: t, src: Endpoint{server, uint16(49152 + i%16000)}, dst: Endpoint{dst, port}}
		switch i % 3 {
		case 0:
			fr.proto, fr.flags, fr.seq = layers.IPProtocolTCP, synF, c.rand()
		case 1:
			fr.proto, fr.payload = layers.IPProtocolUDP, []byte{0x17, 0x2a, 0, 0}
		case 2:
			// The first fragment of a datagram whose rest never comes.
			fr.proto, fr.rawIP, fr.fragMore = layers.IPProtocolUDP, []byte{0xc0, 0x01, byte(port >> 8), byte(port), 0, 16, 0, 0}, true
		}
		c.ipID++
		fr.ipID = c.ipID
		if err := st.write(&fr); err != nil {
			return err
		}
		t = t.Add(10 * time.Microsecond)
	}
	return nil
}

// WriteLongFlows writes a few very long TCP conversations (an agent's AMQP
// stream, LDAP paging, a database session): flows packets each, data in
// both directions, so per-flow state is hot and the table stays tiny.
func WriteLongFlows(w io.Writer, flows, packets int, seed uint64) error {
	st, err := newStreamer(w)
	if err != nil {
		return err
	}
	c := New(seed)
	n := DefaultNet()
	t := Start()
	type conv struct {
		cl, sv     Endpoint
		cseq, sseq uint32
	}
	var convs []conv
	for i := 0; i < flows; i++ {
		cl := EP(n.TPAgents[i%len(n.TPAgents)], uint16(50000+i))
		sv := EP(n.Server, 10001)
		if i%3 == 1 {
			cl, sv = EP(n.Server, uint16(49700+i)), EP(n.DCs[i%2], 389)
		}
		convs = append(convs, conv{cl: cl, sv: sv, cseq: c.rand(), sseq: c.rand()})
	}
	amqp := AMQPPublish(1, "sd.events", "ad", make([]byte, 400))
	ldap := LDAPSearch(2, "OU=Users,DC=corp,DC=example"+string(make([]byte, 300)))
	for k := 0; k < packets; k++ {
		for i := range convs {
			cv := &convs[i]
			fromClient := k%3 != 2
			f := frame{ts: t, proto: layers.IPProtocolTCP, flags: ackF | pshF}
			if k == 0 {
				f.flags = synF
			}
			if fromClient {
				f.src, f.dst, f.seq, f.ack = cv.cl, cv.sv, cv.cseq, cv.sseq
				body := amqp
				if cv.sv.Port == 389 {
					body = ldap
				}
				if k > 0 {
					f.payload = body
					cv.cseq += uint32(len(body))
				} else {
					cv.cseq++ // the SYN takes one sequence number
				}
			} else {
				f.src, f.dst, f.seq, f.ack, f.flags = cv.sv, cv.cl, cv.sseq, cv.cseq, ackF
			}
			c.ipID++
			f.ipID = c.ipID
			if err := st.write(&f); err != nil {
				return err
			}
			t = t.Add(20 * time.Microsecond)
		}
	}
	return nil
}

// WriteSpray writes flows one-datagram UDP flows between addresses
// spread over thousands of hosts, on ports no rule names: no sign of a
// server, which --server auto can never decide on.
func WriteSpray(w io.Writer, flows int, seed uint64) error {
	st, err := newStreamer(w)
	if err != nil {
		return err
	}
	c := New(seed)
	t := Start()
	for i := 0; i < flows; i++ {
		src := netip.AddrFrom4([4]byte{172, byte(16 + i>>22&0x0f), byte(i >> 14), byte(i >> 6)})
		dst := netip.AddrFrom4([4]byte{192, 168, byte(i >> 8), byte(i)})
		fr := frame{ts: t, proto: layers.IPProtocolUDP, payload: []byte{0x17, 0x2a, 0, 0},
			src: Endpoint{src, uint16(20000 + i%5000)}, dst: Endpoint{dst, uint16(25000 + i%5000)}}
		c.ipID++
		fr.ipID = c.ipID
		if err := st.write(&fr); err != nil {
			return err
		}
		t = t.Add(10 * time.Microsecond)
	}
	return nil
}
