package main

import (
	"errors"
	"io/fs"
	"strings"

	"github.com/flowverify/flowverify/classifier/matrix"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/report"
)

// damagedError is an analysis whose inputs were damaged: the report
// covers what could be read. It wraps every input's *capture.DamageError.
type damagedError struct {
	names []string // "input: damaged at byte offset N: cause", as the report says it
	errs  []error
}

func newDamagedError(r *report.Report) *damagedError {
	e := &damagedError{}
	for _, in := range r.Inputs {
		if de, ok := errors.AsType[*capture.DamageError](in.Damage); ok {
			e.names = append(e.names, in.Name+": "+de.Detail())
			e.errs = append(e.errs, de)
		}
	}
	return e
}

func (e *damagedError) Error() string {
	return "damaged input, report covers what could be read: " + strings.Join(e.names, "; ")
}

func (e *damagedError) Unwrap() []error { return e.errs }

// errNoDevices is libpcap listing no capture device at all, which is
// most often a capture permission the process lacks: it is
// fs.ErrPermission to errors.Is, so that live.PermissionHint says what
// to grant.
type errNoDevices struct{}

func (errNoDevices) Error() string { return "no capture devices found (permission denied?)" }

func (errNoDevices) Is(target error) bool { return target == fs.ErrPermission }

// notJudgedError is an analysis that judged nothing for want of a server,
// in the command's words; it wraps the engine's *classifier.NoServerError.
type notJudgedError struct {
	msg string
	err error
}

func (e *notJudgedError) Error() string { return e.msg }
func (e *notJudgedError) Unwrap() error { return e.err }

// exitFor maps a report to the exit status (matrix.ExitStatus): 3 for
// damaged input (the report is still written), 2 with no server, 1 for
// findings named by --fail-on, 4 when the evidence does not show
// conformance (a rule never answered, a monitor short of its window),
// else 0.
func exitFor(m *matrix.Matrix, r *report.Report) error {
	switch code := matrix.ExitStatus(r.Facts(), m.FailsOn, r.Summary.Damaged); code {
	case matrix.ExitDamaged:
		return &exitError{exitDamaged, newDamagedError(r)}
	case matrix.ExitNotJudged:
		msg := "no server could be inferred (" + strings.Join(r.Server.Evidence, "; ") + ")"
		best, tied := strongest(r)
		switch {
		case best != "":
			msg += "; the strongest candidate is " + best + ": try --server " + best
		case len(tied) > 0:
			msg += "; no candidate is the strongest: try --server with the right one of " + strings.Join(tied, ", ")
		default:
			msg += "; 'flowverify hosts FILE' lists every host seen; pass --server ADDR"
		}
		return &exitError{exitUsage, &notJudgedError{msg, r.Server.Err}}
	case matrix.ExitConforms:
		return nil
	case matrix.ExitInconclusive:
		return &exitError{exitInconclusive, nil}
	default:
		return &exitError{code, nil}
	}
}
