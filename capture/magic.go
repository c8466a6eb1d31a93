package capture

// Capture file magics, as pcap-savefile(5) and the pcapng specification
// give them, read as a little-endian word from the file's first bytes
// (pcapgo keeps the same values to itself).
const (
	pcapMagicMicro      = 0xa1b2c3d4 // classic pcap, microseconds, little-endian
	pcapMagicMicroSwap  = 0xd4c3b2a1 // the same, big-endian
	pcapMagicNano       = 0xa1b23c4d // nanosecond timestamps, little-endian
	pcapMagicNanoSwap   = 0x4d3cb2a1 // the same, big-endian
	pcapngMagic         = 0x0a0d0d0a // a pcapng section header block's type
	pcapngByteOrderWord = 0x1a2b3c4d // the section header's byte-order magic
)
