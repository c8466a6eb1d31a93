package capture_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/internal/synth"
	"github.com/flowverify/flowverify/internal/testcaps"
)

// readGzip reads every packet of a capture through a merger and reports
// what a run would: the packets (payloads copied), the input's counts and
// its damage, if any.
func readGzip(t testing.TB, data []byte, ahead bool) ([]capture.Packet, string) {
	t.Helper()
	src, err := capture.NewSource("in.pcap.gz", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, "open: " + err.Error()
	}
	if ahead {
		src.InflateAhead()
	}
	out, stats := testcaps.Read(t, src)
	st := stats[0]
	return out, fmt.Sprintf("%d packets, %d bytes, damage %v", st.Packets, st.Bytes, st.Damage)
}

// Inflating ahead on a goroutine must read exactly what inflating in line
// does: the same packets and, for a damaged stream, the same error at the
// same offset. The streams: whole, two gzip members, cut at many points,
// a corrupted byte in the deflate data and in the trailer's checksum.
func TestInflateAheadReadsTheSame(t *testing.T) {
	var raw bytes.Buffer
	if err := synth.WriteMix(&raw, 20000, 5); err != nil { // several read-ahead chunks long
		t.Fatal(err)
	}
	gz := func(b []byte) []byte {
		var out bytes.Buffer
		w := gzip.NewWriter(&out)
		w.Write(b)
		w.Close()
		return out.Bytes()
	}
	whole := gz(raw.Bytes())
	half := len(raw.Bytes()) / 2
	cases := map[string][]byte{
		"whole":       whole,
		"two members": append(gz(raw.Bytes()[:half]), gz(raw.Bytes()[half:])...),
	}
	for _, frac := range []int{3, 10, 50, 90, 99} {
		cases[fmt.Sprintf("cut at %d%%", frac)] = whole[:len(whole)*frac/100]
	}
	for _, at := range []int{len(whole) / 3, len(whole) - 6} { // deflate data; the CRC-32
		bad := bytes.Clone(whole)
		bad[at] ^= 0x55
		cases[fmt.Sprintf("byte %d flipped", at)] = bad
	}
	before := runtime.NumGoroutine()
	for name, data := range cases {
		want, wantEnd := readGzip(t, data, false)
		got, gotEnd := readGzip(t, data, true)
		if gotEnd != wantEnd {
			t.Errorf("%s: ahead %s; in line %s", name, gotEnd, wantEnd)
		}
		if len(got) != len(want) {
			t.Errorf("%s: ahead read %d packets, in line %d", name, len(got), len(want))
			continue
		}
		for i := range got {
			if !bytes.Equal(got[i].Payload, want[i].Payload) || got[i].Timestamp != want[i].Timestamp || got[i].Src != want[i].Src {
				t.Errorf("%s: packet %d differs", name, i)
				break
			}
		}
		if name == "whole" && len(want) < 20000 {
			t.Fatalf("whole stream: %d packets, want 20000 or more", len(want))
		}
	}
	// Close stops the inflating goroutines.
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines left running after Close (%d before)", n, before)
	}
}
