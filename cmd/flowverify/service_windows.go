package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unsafe"

	"github.com/flowverify/flowverify/report"
	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"
)

// serviceName is the Windows service and Event Log source flowverify
// installs.
const serviceName = "flowverify"

// Ids of the service's own Event Log messages (the findings' are in
// eventLogIDs).
const (
	eventLogStarted = 1
	eventLogStopped = 2
)

func serviceInstall(args []string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	if exe, err = filepath.Abs(exe); err != nil {
		return err
	}
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("connecting to the Service Control Manager (run as Administrator): %w", err)
	}
	defer m.Disconnect()
	if s, err := m.OpenService(serviceName); err == nil {
		s.Close()
		return fmt.Errorf("service %s is installed already: 'flowverify service uninstall' first", serviceName)
	}
	// The monitor flags become the service's arguments: the SCM keeps
	// them in the service's command line, which status reads back.
	s, err := m.CreateService(serviceName, exe, mgr.Config{
		DisplayName: "flowverify monitor",
		Description: "Watches this server's traffic against the Threat Manager firewall matrix",
		StartType:   mgr.StartAutomatic,
	}, append([]string{"service", "run"}, args...)...)
	if err != nil {
		return fmt.Errorf("creating service %s: %w", serviceName, err)
	}
	defer s.Close()
	if eventSourceInstalled() {
		return nil // left by an earlier install: eventlog would refuse it with an untyped error
	}
	if err := eventlog.InstallAsEventCreate(serviceName, eventlog.Error|eventlog.Warning|eventlog.Info); err != nil {
		s.Delete()
		return fmt.Errorf("registering the Event Log source: %w", err)
	}
	return nil
}

// eventSourceInstalled says whether the Event Log source's registry key,
// the one eventlog.Install creates, is there already.
func eventSourceInstalled() bool {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, `SYSTEM\CurrentControlSet\Services\EventLog\Application\`+serviceName, registry.QUERY_VALUE)
	if err != nil {
		return false
	}
	k.Close()
	return true
}

// openService opens flowverify's service; done closes it and the
// connection to the manager.
func openService() (s *mgr.Service, done func(), err error) {
	m, err := mgr.Connect()
	if err != nil {
		return nil, nil, fmt.Errorf("connecting to the Service Control Manager (run as Administrator): %w", err)
	}
	if s, err = m.OpenService(serviceName); err != nil {
		m.Disconnect()
		return nil, nil, fmt.Errorf("service %s is not installed: 'flowverify service install [monitor flags...]'", serviceName)
	}
	return s, func() { s.Close(); m.Disconnect() }, nil
}

func serviceUninstall() error {
	s, done, err := openService()
	if err != nil {
		return err
	}
	defer done()
	if st, err := s.Query(); err == nil && st.State != svc.Stopped {
		stopService(s)
	}
	if err := s.Delete(); err != nil {
		return err
	}
	eventlog.Remove(serviceName)
	return nil
}

func stopService(s *mgr.Service) error {
	st, err := s.Control(svc.Stop)
	if err != nil {
		return err
	}
	// The monitor writes its final report before it stops: wait for it.
	for deadline := time.Now().Add(2 * time.Minute); st.State != svc.Stopped; {
		if time.Now().After(deadline) {
			return fmt.Errorf("service %s did not stop within 2 minutes", serviceName)
		}
		time.Sleep(300 * time.Millisecond)
		if st, err = s.Query(); err != nil {
			return err
		}
	}
	return nil
}

func serviceControl(start bool) error {
	s, done, err := openService()
	if err != nil {
		return err
	}
	defer done()
	if start {
		return s.Start()
	}
	return stopService(s)
}

func serviceStatus() (string, error) {
	s, done, err := openService()
	if err != nil {
		return "", err
	}
	defer done()
	st, err := s.Query()
	if err != nil {
		return "", err
	}
	// Only the command line is read (QueryServiceConfig): mgr's Config
	// also asks for levels that not every service manager has (Wine's).
	command, err := serviceCommand(s)
	if err != nil {
		return "", err
	}
	state := map[svc.State]string{svc.Stopped: "stopped", svc.StartPending: "starting", svc.StopPending: "stopping",
		svc.Running: "running", svc.ContinuePending: "resuming", svc.PausePending: "pausing", svc.Paused: "paused"}[st.State]
	return fmt.Sprintf("service %s: %s (pid %d)\ncommand: %s\n", serviceName, state, st.ProcessId, command), nil
}

func serviceCommand(s *mgr.Service) (string, error) {
	n := uint32(1024)
	for {
		b := make([]uint64, (n+7)/8) // aligned for the struct
		p := (*windows.QUERY_SERVICE_CONFIG)(unsafe.Pointer(&b[0]))
		err := windows.QueryServiceConfig(s.Handle, p, n, &n)
		if err == nil {
			return windows.UTF16PtrToString(p.BinaryPathName), nil
		}
		if err != windows.ERROR_INSUFFICIENT_BUFFER || n <= uint32(len(b)*8) {
			return "", err
		}
	}
}

// monitorService runs the monitor under the SCM: a stop or shutdown
// request cancels it as Ctrl-C would, so the final report is written.
type monitorService struct {
	args, environ []string
	log           *os.File
}

func (ms *monitorService) Execute(_ []string, req <-chan svc.ChangeRequest, changes chan<- svc.Status) (bool, uint32) {
	changes <- svc.Status{State: svc.StartPending}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- runContext(ctx, append([]string{"monitor", "--windows-event-log"}, ms.args...), ms.log, ms.log, ms.environ)
	}()
	changes <- svc.Status{State: svc.Running, Accepts: svc.AcceptStop | svc.AcceptShutdown}
	for {
		select {
		case c := <-req:
			switch c.Cmd {
			case svc.Interrogate:
				changes <- c.CurrentStatus
			case svc.Stop, svc.Shutdown:
				changes <- svc.Status{State: svc.StopPending}
				cancel()
				return false, uint32(<-done)
			}
		case code := <-done:
			// The monitor ended by itself (--duration, or an error):
			// findings and a short observation are answers, not
			// failures; any other status is a service failure.
			if code <= exitFindings || code == exitInconclusive {
				return false, 0
			}
			return false, uint32(code)
		}
	}
}

func serviceRun(args, environ []string) error {
	dir := filepath.Join(os.Getenv("ProgramData"), serviceName)
	os.MkdirAll(dir, 0o700)
	log, err := os.OpenFile(filepath.Join(dir, serviceName+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer log.Close()
	if el, err := eventlog.Open(serviceName); err == nil {
		el.Info(eventLogStarted, "flowverify monitor started: "+strings.Join(args, " "))
		defer func() { el.Info(eventLogStopped, "flowverify monitor stopped"); el.Close() }()
	}
	err = svc.Run(serviceName, &monitorService{args: args, environ: environ, log: log})
	if errors.Is(err, windows.ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
		return errors.New("'service run' is what the Service Control Manager starts; use 'flowverify monitor' in a console")
	}
	return err
}

// openEventLog sends findings to the Windows Event Log through a queue,
// so that a slow Event Log never holds up the capture.
func openEventLog() (func(report.Event), func(), error) {
	el, err := eventlog.Open(serviceName)
	if err != nil {
		return nil, nil, fmt.Errorf("opening the Event Log source %s ('flowverify service install' registers it): %w", serviceName, err)
	}
	q := make(chan report.Event, 256)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range q {
			id := eventLogIDs[ev.Type]
			switch ev.Type {
			case report.EventRuleMissing, report.EventRuleBlocked:
				el.Error(id, eventLogText(ev))
			case report.EventRuleRecovered:
				el.Info(id, eventLogText(ev))
			default:
				el.Warning(id, eventLogText(ev))
			}
		}
	}()
	add := func(ev report.Event) {
		if _, ok := eventLogIDs[ev.Type]; !ok {
			return
		}
		select {
		case q <- ev:
		default: // full: the event is in the events file and the report
		}
	}
	return add, func() { close(q); <-done; el.Close() }, nil
}
