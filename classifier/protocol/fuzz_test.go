package protocol

import (
	"path/filepath"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/capture/flow"
)

// realSeeds returns the first bytes of both directions of every flow in
// the real captures under testdata, as seed corpora for the fuzzers.
var realSeeds = sync.OnceValue(func() [][2][]byte {
	var out [][2][]byte
	files, _ := filepath.Glob("../../testdata/pcaps/*.pcap*")
	files = append(files, "../../testdata/real/lab-site.pcap")
	for _, name := range files {
		src, err := capture.OpenFile(name)
		if err != nil {
			continue
		}
		tb := flow.NewTable(flow.DefaultConfig())
		tb.OnPayload = func(f *flow.Flow, pl *flow.Payload) bool { return false }
		tb.OnEnd = func(f *flow.Flow) {
			if pl := tb.PayloadOf(f); pl != nil && len(out) < 400 {
				out = append(out, [2][]byte{append([]byte(nil), pl.Dir[0].Bytes()...), append([]byte(nil), pl.Dir[1].Bytes()...)})
			}
		}
		m := capture.NewMerger([]*capture.FileSource{src})
		var p capture.Packet
		for m.Next(&p) == nil {
			tb.Add(&p)
		}
		tb.Flush()
		m.Close()
	}
	return out
})

// checkResult holds every recogniser to the same promises: an answer names
// a protocol, metadata stays within four short, valid-text fields.
func checkResult(t *testing.T, res Result) {
	if res.Conf != None && res.ID == Unknown {
		t.Fatal("confidence without a protocol")
	}
	if res.Meta.N > len(res.Meta.Fields) {
		t.Fatal("metadata overflow")
	}
	for _, f := range res.Meta.Fields[:res.Meta.N] {
		if len(f.Value) > 256 || !utf8.ValidString(f.Value) {
			t.Fatalf("metadata %s=%q is not short valid text", f.Key, f.Value)
		}
	}
}

func seed(f *testing.F) {
	for _, b := range realSeeds() {
		f.Add(b[0], b[1])
	}
	f.Add([]byte{}, []byte{})
}

func FuzzSyslog(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, c, s []byte) {
		checkResult(t, recogniseSyslog(Input{Transport: UDP, Client: c, Server: s, Port: 10000}))
	})
}

func FuzzAMQP(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, c, s []byte) {
		checkResult(t, recogniseAMQP(Input{Transport: TCP, Client: c, Server: s, Port: 10001}))
	})
}

func FuzzLDAP(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, c, s []byte) {
		checkResult(t, recogniseLDAP(Input{Transport: TCP, Client: c, Server: s, Port: 389}))
	})
}

func FuzzKerberos(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, c, s []byte) {
		checkResult(t, recogniseKerberos(Input{Transport: TCP, Client: c, Server: s, Port: 88}))
	})
}

func FuzzDCERPC(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, c, s []byte) {
		checkResult(t, recogniseDCERPC(Input{Transport: TCP, Client: c, Server: s, Port: 135}))
	})
}

func FuzzNMF(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, c, s []byte) {
		checkResult(t, recogniseNMF(Input{Transport: TCP, Client: c, Server: s, Port: 9389}))
	})
}

func FuzzPostgres(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, c, s []byte) {
		checkResult(t, recognisePostgres(Input{Transport: TCP, Client: c, Server: s, Port: 5435}))
	})
}

func FuzzHTTP(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, c, s []byte) {
		checkResult(t, recogniseHTTP(Input{Transport: TCP, Client: c, Server: s, Port: 8080}))
	})
}

func FuzzTLS(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, c, s []byte) {
		checkResult(t, recogniseTLS(Input{Transport: TCP, Client: c, Server: s, Port: 443}))
	})
}

func FuzzDNS(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, c, s []byte) {
		checkResult(t, recogniseDNS(Input{Transport: UDP, Client: c, Server: s, Port: 53}))
	})
}

func FuzzNetBIOSNS(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, c, s []byte) {
		checkResult(t, recogniseNetBIOSNS(Input{Transport: UDP, Client: c, Server: s, Port: 137}))
	})
}

func FuzzNTP(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, c, s []byte) {
		checkResult(t, recogniseNTP(Input{Transport: UDP, Client: c, Server: s, Port: 123}))
	})
}

func FuzzSMB(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, c, s []byte) {
		checkResult(t, recogniseSMB(Input{Transport: TCP, Client: c, Server: s, Port: 445}))
	})
}

func FuzzRDP(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, c, s []byte) {
		checkResult(t, recogniseRDP(Input{Transport: TCP, Client: c, Server: s, Port: 3389}))
	})
}

func FuzzSSH(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, c, s []byte) {
		checkResult(t, recogniseSSH(Input{Transport: TCP, Client: c, Server: s, Port: 22}))
	})
}

func FuzzSNMP(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, c, s []byte) {
		checkResult(t, recogniseSNMP(Input{Transport: UDP, Client: c, Server: s, Port: 161}))
	})
}
