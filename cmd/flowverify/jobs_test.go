package main

import (
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// testdataCaptures lists every capture under testdata (scenarios, public,
// real, the sample day).
func testdataCaptures(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, dir := range []string{"scenarios", "pcaps", "real", "sample"} {
		for _, pat := range []string{"*.pcap", "*.pcapng", "*.gz"} {
			m, err := filepath.Glob(filepath.Join("../../testdata", dir, pat))
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, m...)
		}
	}
	sort.Strings(files)
	if len(files) < 40 {
		t.Fatalf("only %d captures under testdata", len(files))
	}
	return files
}

// TestJobsGiveOneAnswer: -j says how many cores read and judge, never what
// the report says. Every pair of captures that share a server, each such
// group whole, and the whole testdata set give the same JSON, stderr and
// exit status under -j 0, 1, 2 and 4, with the server inferred over all
// the inputs together.
func TestJobsGiveOneAnswer(t *testing.T) {
	if testing.Short() {
		t.Skip("many runs")
	}
	files := testdataCaptures(t)
	groups := map[string][]string{}
	for _, f := range files {
		r := flowverify(t, nil, "analyze", "-q", "-f", "json", f)
		var d struct {
			Server struct{ Addresses []string } `json:"server"`
		}
		key := "(none)"
		if json.Unmarshal([]byte(r.stdout), &d) == nil && len(d.Server.Addresses) > 0 {
			key = strings.Join(d.Server.Addresses, ",")
		}
		groups[key] = append(groups[key], f)
	}
	var sets [][]string
	shared := 0
	for key, g := range groups {
		if len(g) < 2 || key == "(none)" {
			continue
		}
		shared++
		for i := range g {
			for j := i + 1; j < len(g); j++ {
				sets = append(sets, []string{g[i], g[j]})
			}
		}
		sets = append(sets, g)
	}
	if shared == 0 {
		t.Fatalf("no two captures share a server: %v", groups)
	}
	for _, set := range append(sets, files) {
		var want result
		for _, j := range []string{"0", "1", "2", "4"} {
			args := append([]string{"analyze", "-q", "-f", "json", "--flows", "-j", j}, set...)
			got := flowverify(t, nil, args...)
			if j == "0" {
				want = got
				if len(set) < len(files) && !strings.HasPrefix(got.stdout, "{") {
					t.Fatalf("%v: no report (exit %d): %s", set, got.code, got.stderr)
				}
				continue
			}
			if got != want {
				t.Errorf("%v: -j %s differs from -j 0 (exit %d vs %d):\n%s\n%s", set, j, got.code, want.code,
					firstDiff([]byte(want.stdout), []byte(got.stdout)), firstDiff([]byte(want.stderr), []byte(got.stderr)))
			}
		}
	}
	t.Logf("%d sets over %d captures, %d groups sharing a server", len(sets), len(files), shared)
}
