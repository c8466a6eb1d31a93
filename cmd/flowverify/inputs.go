package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/flowverify/flowverify/capture"
)

// The capture files analyze and hosts read: directories expanded, zip
// archives opened as their members, the same file given twice read once.

// expandInputs turns directories into the capture files inside them.
func expandInputs(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		entries, err := os.ReadDir(a)
		if err != nil {
			return nil, err
		}
		var names []string
		for _, e := range entries {
			n := strings.ToLower(e.Name())
			if e.Type().IsRegular() && captureName(n) {
				names = append(names, filepath.Join(a, e.Name()))
			}
		}
		sort.Strings(names)
		if len(names) == 0 {
			return nil, fmt.Errorf("%s: no capture files (*.pcap, *.pcapng, *.cap, compressed .gz, .zst or .xz, or .zip archives) in the directory", a)
		}
		out = append(out, names...)
	}
	return out, nil
}

// openInputs opens every file (zip archives as their members). The ones
// that cannot be read are listed as damaged at offset 0, members that are
// no capture as skipped; a single unreadable file is an error.
func openInputs(files []string, stderr io.Writer) ([]*capture.FileSource, []*capture.InputStats, error) {
	var srcs []*capture.FileSource
	var failed []*capture.InputStats
	unreadable := func(name string, err error) {
		fmt.Fprintln(stderr, "flowverify:", err)
		failed = append(failed, &capture.InputStats{Name: name, Damage: &capture.DamageError{File: name, Err: err}})
	}
	var seen []os.FileInfo
	var seenName []string
	for _, name := range files {
		if st, err := os.Stat(name); err == nil {
			dup := ""
			for i, o := range seen {
				if os.SameFile(o, st) {
					dup = seenName[i]
				}
			}
			if dup != "" {
				// Given twice (a glob and a name, a link): counted twice
				// it would double every flow without a word.
				fmt.Fprintf(stderr, "flowverify: %s: the same file as %s, read once\n", name, dup)
				failed = append(failed, &capture.InputStats{Name: name, Warnings: []string{"the same file as " + dup + ": read once"}})
				continue
			}
			seen, seenName = append(seen, st), append(seenName, name)
		}
		ins, err := capture.OpenInputs(name)
		if err != nil {
			if len(files) == 1 {
				return nil, nil, &exitError{exitUsage, err}
			}
			unreadable(name, err)
			continue
		}
		for _, in := range ins {
			if in.NotCapture {
				fmt.Fprintf(stderr, "flowverify: %s: not a capture, skipped\n", in.Name)
				failed = append(failed, &capture.InputStats{Name: in.Name, Warnings: []string{"not a pcap or pcapng capture: skipped"}})
				continue
			}
			if in.Err != nil {
				unreadable(in.Name, in.Err)
				continue
			}
			if len(files) > capture.ParkAbove {
				in.Source.Park() // closed until the merge reaches it
			}
			srcs = append(srcs, in.Source)
		}
	}
	if len(srcs) == 0 {
		return nil, nil, &exitError{exitUsage, errors.New("no input could be read")}
	}
	return srcs, failed, nil
}

// captureName says whether a directory entry looks like a capture: in a
// directory only names decide (a given file is judged by its content).
func captureName(n string) bool {
	for _, comp := range []string{"", ".gz", ".zst", ".xz"} {
		for _, ext := range []string{".pcap", ".pcapng", ".cap"} {
			if strings.HasSuffix(n, ext+comp) {
				return true
			}
		}
	}
	return strings.HasSuffix(n, ".zip")
}
