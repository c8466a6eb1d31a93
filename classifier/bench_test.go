package classifier_test

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/classifier"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/internal/synth"
	"github.com/flowverify/flowverify/report"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// The benchmarks read one capture three ways: a bare read loop, read +
// DecodingLayerParser + a Go map lookup per packet (the "decode floor"),
// and the whole analyze pipeline. scripts/bench.sh points them at a large
// generated mix with FLOWVERIFY_BENCH_FILE and compares them in one run.

var benchFile struct {
	once    sync.Once
	path    string
	packets int
	size    int64
	err     error
}

func benchCapture(b *testing.B) (string, int, int64) {
	benchFile.once.Do(func() {
		path := os.Getenv("FLOWVERIFY_BENCH_FILE")
		if path == "" {
			dir, err := os.MkdirTemp("", "flowverify-bench")
			if err != nil {
				benchFile.err = err
				return
			}
			path = filepath.Join(dir, "mix.pcap")
			f, err := os.Create(path)
			if err != nil {
				benchFile.err = err
				return
			}
			w := bufio.NewWriter(f)
			if err := synth.WriteMix(w, 200000, 1); err != nil {
				benchFile.err = err
				return
			}
			w.Flush()
			f.Close()
		}
		st, err := os.Stat(path)
		if err != nil {
			benchFile.err = err
			return
		}
		benchFile.path, benchFile.size = path, st.Size()
		benchFile.packets, benchFile.err = countPackets(path)
	})
	if benchFile.err != nil {
		b.Fatal(benchFile.err)
	}
	return benchFile.path, benchFile.packets, benchFile.size
}

func countPackets(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r, err := pcapgo.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return 0, err
	}
	n := 0
	for {
		if _, _, err := r.ZeroCopyReadPacketData(); err != nil {
			return n, nil
		}
		n++
	}
}

// measure runs fn b.N times and reports packets/s, allocations per packet
// and the process's peak RSS.
func measure(b *testing.B, fn func()) {
	_, packets, size := benchCapture(b)
	b.SetBytes(size)
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fn()
	}
	b.StopTimer()
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	total := float64(packets) * float64(b.N)
	b.ReportMetric(total/elapsed.Seconds(), "pkts/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/total, "allocs/pkt")
	if mib, ok := peakRSS(); ok {
		b.ReportMetric(mib, "peakRSS-MiB")
	}
}

func BenchmarkFloorRead(b *testing.B) {
	path, _, _ := benchCapture(b)
	measure(b, func() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		r, err := pcapgo.NewReader(bufio.NewReaderSize(f, 1<<16))
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, _, err := r.ZeroCopyReadPacketData(); err != nil {
				break
			}
		}
	})
}

type fiveTuple struct {
	src, dst   [16]byte
	sport, dpt uint16
	proto      uint8
}

func BenchmarkFloorDecodeMap(b *testing.B) {
	path, _, _ := benchCapture(b)
	var eth layers.Ethernet
	var dot1q layers.Dot1Q
	var ip4 layers.IPv4
	var ip6 layers.IPv6
	var tcp layers.TCP
	var udp layers.UDP
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &dot1q, &ip4, &ip6, &tcp, &udp)
	parser.IgnoreUnsupported = true
	decoded := make([]gopacket.LayerType, 0, 8)
	measure(b, func() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		r, err := pcapgo.NewReader(bufio.NewReaderSize(f, 1<<16))
		if err != nil {
			b.Fatal(err)
		}
		flows := map[fiveTuple]int{}
		for {
			data, _, err := r.ZeroCopyReadPacketData()
			if err != nil {
				break
			}
			_ = parser.DecodeLayers(data, &decoded)
			var k fiveTuple
			for _, t := range decoded {
				switch t {
				case layers.LayerTypeIPv4:
					copy(k.src[12:], ip4.SrcIP)
					copy(k.dst[12:], ip4.DstIP)
					k.proto = uint8(ip4.Protocol)
				case layers.LayerTypeIPv6:
					copy(k.src[:], ip6.SrcIP)
					copy(k.dst[:], ip6.DstIP)
					k.proto = uint8(ip6.NextHeader)
				case layers.LayerTypeTCP:
					k.sport, k.dpt = uint16(tcp.SrcPort), uint16(tcp.DstPort)
				case layers.LayerTypeUDP:
					k.sport, k.dpt = uint16(udp.SrcPort), uint16(udp.DstPort)
				}
			}
			flows[k]++
		}
	})
}

// benchAnalyze runs the whole pipeline over the bench capture.
func benchAnalyze(b *testing.B, run func(*matrix.Matrix, []*capture.FileSource) (*report.Report, error)) {
	path, _, _ := benchCapture(b)
	m, err := matrix.Load(matrix.LoadOptions{Server: []string{"10.20.0.10"}})
	if err != nil {
		b.Fatal(err)
	}
	measure(b, func() {
		src, err := capture.OpenFile(path)
		if err != nil {
			b.Fatal(err)
		}
		r, err := run(m, []*capture.FileSource{src})
		if err != nil || r.Summary.Packets == 0 {
			b.Fatal(err)
		}
	})
}

func BenchmarkAnalyze(b *testing.B) {
	benchAnalyze(b, func(m *matrix.Matrix, srcs []*capture.FileSource) (*report.Report, error) {
		return classifier.AnalyzeSources(m, srcs, nil, false, "bench")
	})
}

// BenchmarkAnalyzeNoRecognition is the same pipeline with protocol
// recognition switched off: the difference is what recognition costs.
func BenchmarkAnalyzeNoRecognition(b *testing.B) {
	benchAnalyze(b, classifier.AnalyzeSourcesNoRecognition)
}

// BenchmarkAnalyzePipelined splits reading+decoding from flows+judging
// over two goroutines (two cores).
func BenchmarkAnalyzePipelined(b *testing.B) {
	benchAnalyze(b, func(m *matrix.Matrix, srcs []*capture.FileSource) (*report.Report, error) {
		return classifier.Analyze(m, srcs, nil, classifier.Options{Version: "bench", Pipeline: true})
	})
}

// BenchmarkAnalyzePipelinedNoRecognition tells which stage of the pipeline
// sets the pace: if it is no faster than BenchmarkAnalyzePipelined, the
// reading and decoding stage does.
func BenchmarkAnalyzePipelinedNoRecognition(b *testing.B) {
	benchAnalyze(b, classifier.AnalyzePipelinedNoRecognition)
}
