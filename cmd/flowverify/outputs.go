package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// writable says whether a file can be created at path: its directory
// exists and takes a new file (tried, as permissions alone do not tell:
// a read-only mount, ACLs), and path is not a directory.
func writable(path string) error {
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case err != nil:
		return fmt.Errorf("directory %s does not exist", dir)
	case !st.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return errors.New("is a directory")
	}
	if err := notALink(path); err != nil {
		return err
	}
	probe, err := os.CreateTemp(dir, ".flowverify-probe-*")
	if err != nil {
		return fmt.Errorf("cannot create a file in %s: %w", dir, cause(err))
	}
	probe.Close()
	return os.Remove(probe.Name())
}

// cause drops the path from an *os.PathError: the path named in our
// errors is the user's, never the temporary one we wrote through. Only an
// error that is itself a PathError: one deeper in a wrapped chain sits
// under a message of its own (the flow list's spill file, a capture),
// which must not be dropped with it.
func cause(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// notALink refuses a symbolic link at an output path. The rename would
// replace the link, not write through it, but a link someone planted or
// set up on purpose should not vanish without a word.
func notALink(path string) error {
	if st, err := os.Lstat(path); err == nil && st.Mode()&os.ModeSymlink != 0 {
		return errors.New("is a symbolic link: refusing to replace it (name the file it points to instead)")
	}
	return nil
}

func writeFileAtomic(path string, fill func(io.Writer) error) error {
	if err := notALink(path); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := fill(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
