package safefile

import (
	"os"
	"path/filepath"
	"testing"
)

// A victim file and a link to it planted where flowverify will write.
func plant(t *testing.T) (dir, victim, link string) {
	t.Helper()
	dir = t.TempDir()
	victim = filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	link = filepath.Join(dir, "planted")
	if err := os.Symlink(victim, link); err != nil {
		t.Skip("no symlinks here:", err)
	}
	return dir, victim, link
}

func untouched(t *testing.T, victim string) {
	t.Helper()
	b, err := os.ReadFile(victim)
	if err != nil || string(b) != "precious" {
		t.Errorf("the victim changed: %q %v", b, err)
	}
	if st, _ := os.Stat(victim); st.Mode().Perm() != 0o644 {
		t.Errorf("the victim's mode changed: %v", st.Mode())
	}
}

func TestCreateRefusesWhatIsThere(t *testing.T) {
	dir, victim, link := plant(t)
	if f, err := Create(link); err == nil {
		f.Close()
		t.Errorf("Create wrote through a planted symlink")
	}
	if f, err := Create(victim); err == nil {
		f.Close()
		t.Errorf("Create reused an existing file")
	}
	untouched(t, victim)
	f, err := Create(filepath.Join(dir, "new"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if st, _ := f.Stat(); st.Mode().Perm() != mode {
		t.Errorf("created %v, want %v", st.Mode().Perm(), os.FileMode(mode))
	}
}

func TestAppendRefusesLinks(t *testing.T) {
	dir, victim, link := plant(t)
	if f, err := Append(link); err == nil {
		f.Close()
		t.Errorf("Append wrote through a planted symlink")
	}
	hard := filepath.Join(dir, "hard")
	if err := os.Link(victim, hard); err == nil {
		if f, err := Append(hard); err == nil {
			f.Close()
			t.Errorf("Append wrote to a hard link of another file")
		}
	}
	untouched(t, victim)
	events := filepath.Join(dir, "events.jsonl")
	for i := 0; i < 2; i++ {
		f, err := Append(events)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("line\n")
		f.Close()
	}
	if b, _ := os.ReadFile(events); string(b) != "line\nline\n" {
		t.Errorf("appended %q", b)
	}
	if st, _ := os.Stat(events); st.Mode().Perm() != mode {
		t.Errorf("events file %v, want %v", st.Mode().Perm(), os.FileMode(mode))
	}
}

func TestUnpredictable(t *testing.T) {
	a, b := Unpredictable(4), Unpredictable(4)
	if len(a) != 8 || a == b {
		t.Errorf("%q %q", a, b)
	}
}
