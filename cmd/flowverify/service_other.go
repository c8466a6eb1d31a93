//go:build !windows

package main

import (
	"errors"

	"github.com/flowverify/flowverify/report"
)

var errNotWindows = errors.New("'flowverify service' manages a Windows service; on Linux install configs/flowverify.service (systemd) instead")

func serviceInstall([]string) error                     { return errNotWindows }
func serviceUninstall() error                           { return errNotWindows }
func serviceControl(bool) error                         { return errNotWindows }
func serviceStatus() (string, error)                    { return "", errNotWindows }
func serviceRun([]string, []string) error               { return errNotWindows }
func openEventLog() (func(report.Event), func(), error) { return nil, nil, errNotWindows }
