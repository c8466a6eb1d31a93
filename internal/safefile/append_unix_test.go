//go:build unix

package safefile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestAppendTakesPipesAndNull: what a user names on purpose, /dev/null
// or a FIFO that another process reads, is appended to.
func TestAppendTakesPipesAndNull(t *testing.T) {
	f, err := Append("/dev/null")
	if err != nil {
		t.Fatalf("/dev/null: %v", err)
	}
	f.Close()
	fifo := filepath.Join(t.TempDir(), "events.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() {
		b, _ := os.ReadFile(fifo)
		got <- string(b)
	}()
	f, err = Append(fifo)
	if err != nil {
		t.Fatalf("a FIFO: %v", err)
	}
	f.WriteString("event\n")
	f.Close()
	if s := <-got; s != "event\n" {
		t.Errorf("the reader got %q", s)
	}
}
