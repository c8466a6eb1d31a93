package capture

// What a live capture hands to the analysis, kept here rather than in
// capture/live: the engine reads batches without linking libpcap, and a
// test builds them from a file.

// Record is one packet inside a batch.
type Record struct {
	off, n int
	TS     int64
	Wire   int
	Link   LinkType
	Input  int
}

// Batch carries packets from a capture goroutine to the analysis one: the
// packets' bytes back to back in one arena, so a batch costs no allocation
// once it is reused.
type Batch struct {
	arena   []byte
	used    int
	Records []Record
}

// NewBatch makes an empty batch of arena bytes for up to packets records.
func NewBatch(arena, packets int) *Batch {
	return &Batch{arena: make([]byte, arena), Records: make([]Record, 0, packets)}
}

// Add copies a packet's bytes into the batch with its record (whose
// position it sets). It adds nothing and returns false when the arena
// cannot hold them.
func (b *Batch) Add(data []byte, r Record) bool {
	if b.used+len(data) > len(b.arena) {
		return false
	}
	r.off, r.n = b.used, len(data)
	b.used += copy(b.arena[b.used:], data)
	b.Records = append(b.Records, r)
	return true
}

// Reset empties the batch for reuse.
func (b *Batch) Reset() {
	b.Records = b.Records[:0]
	b.used = 0
}

// Data returns a record's bytes (valid until the batch is reset).
func (b *Batch) Data(r *Record) []byte { return b.arena[r.off : r.off+r.n] }

// IfaceStats counts one interface's traffic and the kernel's drops.
type IfaceStats struct {
	Name      string
	Link      LinkType
	Packets   uint64
	Bytes     uint64
	Dropped   uint64 // pcap_stats ps_drop: dropped for lack of buffer space
	IfDropped uint64 // ps_ifdrop: dropped by the interface or driver
}
