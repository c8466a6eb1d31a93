// Package live captures packets from network interfaces through libpcap
// (Npcap on Windows). It is the only package that links libpcap: the
// engine takes its batches through classifier.LiveSource, and everything
// that reads files builds without cgo.
package live

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcap"

	"github.com/flowverify/flowverify/capture"
)

// Options configure live capture.
type Options struct {
	Snaplen    int           // bytes kept per packet: headers plus the recognition bound by default
	Promisc    bool          // promiscuous mode
	BufferSize int           // kernel buffer in bytes (0: libpcap's default)
	timeout    time.Duration // read timeout, so a quiet link never stalls the reader
	BPF        string        // capture filter; empty: everything (unexpected traffic must be seen)
	Immediate  bool          // deliver packets as they arrive
}

// DefaultSnaplen covers link, IP and transport headers with options plus
// the 512 bytes recognition looks at.
const DefaultSnaplen = 1024

// batchPackets and batchAge bound a batch: the capture goroutine hands a
// batch over when it is full or old, never packet by packet.
const (
	batchPackets = 256
	batchAge     = 50 * time.Millisecond
)

// Interface describes a capture device.
type Interface struct {
	Name        string
	Description string
	Addresses   []string
	Loopback    bool
}

// Interfaces lists the capture devices as libpcap sees them (on Windows the
// \Device\NPF_{...} names that Npcap uses).
func Interfaces() ([]Interface, error) {
	devs, err := pcap.FindAllDevs()
	if err != nil {
		return nil, PermissionHint(pcapError{err})
	}
	var out []Interface
	for _, d := range devs {
		i := Interface{Name: d.Name, Description: d.Description, Loopback: d.Flags&0x1 != 0}
		for _, a := range d.Addresses {
			if a.IP != nil {
				i.Addresses = append(i.Addresses, a.IP.String())
			}
		}
		out = append(out, i)
	}
	return out, nil
}

// pcapError is an error libpcap or gopacket gave. They say what went
// wrong only in words, so the words are read here, once, at the
// boundary, against the exact texts they write (pcapKind): a refused
// permission is then fs.ErrPermission to errors.Is, and a Windows
// without Npcap is told to install it.
type pcapError struct{ err error }

func (e pcapError) Error() string { return e.err.Error() }
func (e pcapError) Unwrap() error { return e.err }

func (e pcapError) Is(target error) bool {
	return target == fs.ErrPermission && pcapKind(e.err.Error()) == pcapDenied
}

// What a pcapError says.
const (
	pcapOther = iota
	pcapDenied
	pcapNoLibrary
)

// pcapKind reads the message of a gopacket/pcap (v1.7) error:
//   - "couldn't load wpcap.dll", the whole message, is LoadWinPCAP on a
//     Windows without Npcap (pcap_windows.go); every call returns it;
//   - "Permission Denied" is Activate's PCAP_ERROR_PERM_DENIED, and
//     "unknown activated error: -11" its PCAP_ERROR_PROMISC_PERM_DENIED,
//     which gopacket has no name for (pcap.go, activateError);
//   - libpcap's own messages end an errno's part with strerror, "...:
//     Operation not permitted" (EPERM) or "...: Permission denied"
//     (EACCES), as pcap_open_live's "lo: You don't have permission to
//     perform this capture on that device (socket: Operation not
//     permitted)".
//
// Anything else, a "download" or a "payload" included, is no hint.
func pcapKind(msg string) int {
	switch msg {
	case "couldn't load wpcap.dll":
		return pcapNoLibrary
	case "Permission Denied", "unknown activated error: -11":
		return pcapDenied
	}
	msg = strings.TrimSuffix(msg, ")")
	if strings.HasSuffix(msg, ": Operation not permitted") || strings.HasSuffix(msg, ": Permission denied") {
		return pcapDenied
	}
	return pcapOther
}

// PermissionHint turns a refused permission (errors.Is fs.ErrPermission)
// into what to do, and a libpcap that did not load (Windows without
// Npcap) into what to install.
func PermissionHint(err error) error {
	if !errors.Is(err, fs.ErrPermission) {
		var pe pcapError
		if errors.As(err, &pe) && pcapKind(pe.Error()) == pcapNoLibrary {
			return fmt.Errorf("%w: install Npcap (in WinPcap-compatible mode) and run flowverify as administrator", err)
		}
		return err
	}
	if runtime.GOOS == "windows" {
		return fmt.Errorf("%w: run flowverify as administrator (Npcap restricts capture to administrators when installed that way)", err)
	}
	return fmt.Errorf("%w: capture needs root or the CAP_NET_RAW and CAP_NET_ADMIN capabilities; grant them once with: sudo setcap cap_net_raw,cap_net_admin=eip $(command -v flowverify)", err)
}

type liveIface struct {
	name    string
	h       *pcap.Handle
	link    capture.LinkType
	packets atomic.Uint64
	bytes   atomic.Uint64
}

// Capture captures from one or more interfaces into one stream of batches.
type Capture struct {
	ifaces  []*liveIface
	out     chan *capture.Batch
	free    chan *capture.Batch
	snaplen int
	wg      sync.WaitGroup
	err     atomic.Value
}

// Open opens every interface; on error none stays open.
func Open(names []string, opt Options) (*Capture, error) {
	if opt.Snaplen <= 0 {
		opt.Snaplen = DefaultSnaplen
	}
	if opt.timeout <= 0 {
		opt.timeout = 100 * time.Millisecond
	}
	l := &Capture{out: make(chan *capture.Batch, 64), free: make(chan *capture.Batch, 128), snaplen: opt.Snaplen}
	for _, name := range names {
		h, err := openHandle(name, opt)
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("interface %s: %w", name, err)
		}
		li := &liveIface{name: name, h: h, link: capture.LinkType(h.LinkType())}
		if name == "any" && li.link != capture.LinkSLL {
			// libpcap 1.10 gives "any" SLL2 (276), which gopacket's byte-sized
			// link type cannot say; ask for SLL v1, which carries the same.
			if err := h.SetLinkType(layers.LinkTypeLinuxSLL); err == nil {
				li.link = capture.LinkSLL
			}
		}
		if !capture.SupportedLink(li.link) {
			h.Close()
			l.Close()
			return nil, fmt.Errorf("interface %s: link type %s is not supported", name, li.link)
		}
		l.ifaces = append(l.ifaces, li)
	}
	return l, nil
}

func openHandle(name string, opt Options) (*pcap.Handle, error) {
	in, err := pcap.NewInactiveHandle(name)
	if err != nil {
		return nil, PermissionHint(pcapError{err})
	}
	defer in.CleanUp()
	if err := in.SetSnapLen(opt.Snaplen); err != nil {
		return nil, err
	}
	if err := in.SetPromisc(opt.Promisc); err != nil {
		return nil, err
	}
	if err := in.SetTimeout(opt.timeout); err != nil {
		return nil, err
	}
	if opt.BufferSize > 0 {
		if err := in.SetBufferSize(opt.BufferSize); err != nil {
			return nil, err
		}
	}
	if opt.Immediate {
		if err := in.SetImmediateMode(true); err != nil {
			return nil, err
		}
	}
	h, err := in.Activate()
	if err != nil {
		return nil, PermissionHint(pcapError{err})
	}
	if opt.BPF != "" {
		if err := h.SetBPFFilter(opt.BPF); err != nil {
			h.Close()
			return nil, fmt.Errorf("BPF filter %q: %w", opt.BPF, err)
		}
	}
	return h, nil
}

// Names lists the interfaces in input order.
func (l *Capture) Names() []string {
	var out []string
	for _, i := range l.ifaces {
		out = append(out, i.name)
	}
	return out
}

// Start runs one capture goroutine per interface until ctx ends; Batches
// then closes.
func (l *Capture) Start(ctx context.Context) {
	for idx, li := range l.ifaces {
		l.wg.Add(1)
		go l.read(ctx, idx, li)
	}
	go func() {
		l.wg.Wait()
		close(l.out)
	}()
}

// Batches delivers captured packets; release every batch after use.
func (l *Capture) Batches() <-chan *capture.Batch { return l.out }

// Release hands a batch back for reuse.
func (l *Capture) Release(b *capture.Batch) {
	b.Reset()
	select {
	case l.free <- b:
	default:
	}
}

func (l *Capture) newBatch() *capture.Batch {
	select {
	case b := <-l.free:
		return b
	default:
		return capture.NewBatch(batchPackets*l.snaplen, batchPackets)
	}
}

func (l *Capture) read(ctx context.Context, idx int, li *liveIface) {
	defer l.wg.Done()
	b := l.newBatch()
	started := time.Now()
	send := func() {
		if len(b.Records) == 0 {
			return
		}
		select {
		case l.out <- b:
		case <-ctx.Done():
		}
		b, started = l.newBatch(), time.Now()
	}
	for ctx.Err() == nil {
		data, ci, err := li.h.ZeroCopyReadPacketData()
		switch {
		case errors.Is(err, pcap.NextErrorTimeoutExpired):
			if time.Since(started) >= batchAge {
				send()
			}
			continue
		case err != nil:
			if ctx.Err() == nil {
				l.err.Store(fmt.Errorf("interface %s: %w", li.name, err))
			}
			send()
			return
		}
		if len(data) > l.snaplen {
			data = data[:l.snaplen]
		}
		rec := capture.Record{TS: ci.Timestamp.UnixNano(), Wire: ci.Length, Link: li.link, Input: idx}
		if !b.Add(data, rec) {
			// Full: an empty batch holds batchPackets snaplen-sized packets.
			send()
			b.Add(data, rec)
		}
		li.packets.Add(1)
		li.bytes.Add(uint64(ci.Length))
		if len(b.Records) == batchPackets || time.Since(started) >= batchAge {
			send()
		}
	}
	send()
}

// Err reports a capture error that ended an interface's reader.
func (l *Capture) Err() error {
	if e, ok := l.err.Load().(error); ok {
		return e
	}
	return nil
}

// Stats returns per-interface counters with libpcap's drop counts.
func (l *Capture) Stats() []capture.IfaceStats {
	var out []capture.IfaceStats
	for _, li := range l.ifaces {
		s := capture.IfaceStats{Name: li.name, Link: li.link, Packets: li.packets.Load(), Bytes: li.bytes.Load()}
		if st, err := li.h.Stats(); err == nil {
			s.Dropped, s.IfDropped = uint64(st.PacketsDropped), uint64(st.PacketsIfDropped)
		}
		out = append(out, s)
	}
	return out
}

// Close stops capture on every interface.
func (l *Capture) Close() {
	for _, li := range l.ifaces {
		li.h.Close()
	}
}
