package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/classifier/publish"
	"github.com/flowverify/flowverify/report"
)

func readLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

// TestEventsRotateBySize: with a limit, --events rolls into FILE.1 ..
// FILE.keep between events: every file holds whole JSON lines under the
// limit, the newest events are in FILE, and no more than keep old files
// stay, so the run's last events are all there in order.
func TestEventsRotateBySize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	ef, err := openEventsFile(path, 1000, 3)
	if err != nil {
		t.Fatal(err)
	}
	w := publish.NewEventWriter(ef)
	for i := 0; i < 200; i++ {
		w.Write(report.Event{Type: report.EventFlowBlocked, Reason: fmt.Sprintf("event %03d", i)})
	}
	ef.Close()
	var got []string
	for _, name := range []string{path + ".3", path + ".2", path + ".1", path} {
		st, err := os.Stat(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if st.Size() > 1000 {
			t.Errorf("%s holds %d bytes, over the limit", name, st.Size())
		}
		for _, l := range readLines(t, name) {
			var ev report.Event
			if err := json.Unmarshal([]byte(l), &ev); err != nil {
				t.Fatalf("%s: a line that is not an event: %q", name, l)
			}
			got = append(got, ev.Reason)
		}
	}
	if _, err := os.Stat(path + ".4"); err == nil {
		t.Error("a fourth rotated file is kept with --events-keep 3")
	}
	for i, r := range got {
		if want := fmt.Sprintf("event %03d", 200-len(got)+i); r != want {
			t.Fatalf("line %d is %q, want %q: the files do not hold the last events in order", i, r, want)
		}
	}
	if got[len(got)-1] != "event 199" || len(got) < 20 {
		t.Errorf("kept %d events ending %q", len(got), got[len(got)-1])
	}
}

// TestEventsReopen: after logrotate moves the file, Reopen makes later
// events go to a new file of the same name; the moved one keeps the
// earlier events.
func TestEventsReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	ef, err := openEventsFile(path, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	w := publish.NewEventWriter(ef)
	w.Write(report.Event{Type: report.EventRuleBlocked, Rule: "before"})
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	w.Write(report.Event{Type: report.EventRuleBlocked, Rule: "still-old"})
	if err := ef.Reopen(); err != nil {
		t.Fatal(err)
	}
	w.Write(report.Event{Type: report.EventRuleBlocked, Rule: "after"})
	ef.Close()
	if old := readLines(t, path+".1"); len(old) != 2 || !strings.Contains(old[1], "still-old") {
		t.Errorf("moved file %q", old)
	}
	if cur := readLines(t, path); len(cur) != 1 || !strings.Contains(cur[0], `"after"`) {
		t.Errorf("new file %q", cur)
	}
}
