package report_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/classifier"
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/report"
)

// flowsOf analyzes a capture with --flows and writes the report in format.
func flowsOf(t *testing.T, opt matrix.LoadOptions, file, format string) []byte {
	t.Helper()
	m, err := matrix.Load(opt)
	if err != nil {
		t.Fatal(err)
	}
	src, err := capture.OpenFile(filepath.Join(testdata, file))
	if err != nil {
		t.Fatal(err)
	}
	r, err := classifier.Analyze(m, []*capture.FileSource{src}, nil, classifier.Options{Version: "test", WithFlows: true})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := report.Write(&b, r, format); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestFlowHosts: JSON flows[] and JSONL flow lines carry the site's names
// for a flow's ends, as flows-csv does; without named hosts, no such key.
func TestFlowHosts(t *testing.T) {
	const capFile = "real/lab-dual-stack.pcap"
	named := matrix.LoadOptions{ConfigFile: filepath.Join(testdata, "real/lab-hosts.yaml")}
	bare := matrix.LoadOptions{Server: []string{"10.99.0.10", "fd00:99::10"}}
	for _, c := range []struct {
		name, format string
		opt          matrix.LoadOptions
		// want: every flow to or from tm has responder_host or
		// initiator_host "tm"; none has a key when the site names none.
		named bool
	}{
		{"json named", "json", named, true},
		{"jsonl named", "jsonl", named, true},
		{"json bare", "json", bare, false},
		{"jsonl bare", "jsonl", bare, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := flowsOf(t, c.opt, capFile, c.format)
			var flows []map[string]any
			if c.format == "json" {
				var doc struct{ Flows []map[string]any }
				if err := json.Unmarshal(out, &doc); err != nil {
					t.Fatal(err)
				}
				flows = doc.Flows
			} else {
				sc := bufio.NewScanner(bytes.NewReader(out))
				for sc.Scan() {
					var f map[string]any
					if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
						t.Fatal(err)
					}
					flows = append(flows, f)
				}
			}
			if len(flows) == 0 {
				t.Fatal("no flows")
			}
			withTM := 0
			for _, f := range flows {
				ih, iok := f["initiator_host"]
				rh, rok := f["responder_host"]
				if !c.named {
					if iok || rok {
						t.Errorf("host keys without named hosts: %v", f)
					}
					continue
				}
				if ih == "tm" || rh == "tm" {
					withTM++
				}
			}
			if c.named && withTM != len(flows) {
				t.Errorf("%d of %d flows name tm at an end", withTM, len(flows))
			}
		})
	}
}
