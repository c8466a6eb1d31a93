package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/flowverify/flowverify/classifier/publish"
	"github.com/flowverify/flowverify/report"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// What a running monitor serves over HTTP: Prometheus metrics on
// --metrics-listen, and the live page on --http. Both bind a bare port to
// loopback.

// maxPageEvents is how many recent events the live page keeps.
const maxPageEvents = 500

// livePage serves what a running monitor knows, for a server at a
// customer's site that has a browser and no Prometheus: the report as
// analyze renders it in HTML (refreshing every interval), /report.json,
// /events (the recent ones, newest first) and /metrics. Read-only, and
// metadata only, as every report is.
type livePage struct {
	mu      sync.Mutex
	report  *report.Report
	events  []report.Event
	refresh time.Duration
	window  time.Duration
	metrics *publish.Metrics
}

func (lp *livePage) setReport(r *report.Report) {
	lp.mu.Lock()
	defer lp.mu.Unlock()
	lp.report = r
}

func (lp *livePage) addEvent(e report.Event) {
	lp.mu.Lock()
	defer lp.mu.Unlock()
	if len(lp.events) == maxPageEvents {
		copy(lp.events, lp.events[1:])
		lp.events = lp.events[:maxPageEvents-1]
	}
	lp.events = append(lp.events, e)
}

func (lp *livePage) current() (*report.Report, []report.Event) {
	lp.mu.Lock()
	defer lp.mu.Unlock()
	evs := make([]report.Event, len(lp.events))
	for i, e := range lp.events {
		evs[len(evs)-1-i] = e // newest first
	}
	return lp.report, evs
}

func (lp *livePage) handler() http.Handler {
	mux := http.NewServeMux()
	get := func(path string, h http.HandlerFunc) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				w.Header().Set("Allow", "GET, HEAD")
				http.Error(w, "read-only", http.StatusMethodNotAllowed)
				return
			}
			h(w, r)
		})
	}
	get("/{$}", lp.page)
	get("/report.json", func(w http.ResponseWriter, _ *http.Request) {
		r, _ := lp.current()
		if r == nil {
			http.Error(w, "no evaluation yet", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		writeReport(w, r, report.FormatJSON)
	})
	get("/events", func(w http.ResponseWriter, _ *http.Request) {
		_, evs := lp.current()
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(evs)
	})
	if lp.metrics != nil {
		mux.Handle("/metrics", promhttp.HandlerFor(lp.metrics.Registry, promhttp.HandlerOpts{}))
	}
	return mux
}

// page is the report's HTML with a refresh every interval; before the
// first evaluation, a page that says so and refreshes too.
func (lp *livePage) page(w http.ResponseWriter, _ *http.Request) {
	r, _ := lp.current()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
	refresh := fmt.Sprintf(`<meta http-equiv="refresh" content="%d">`, max(1, int(lp.refresh.Seconds())))
	if r == nil {
		fmt.Fprintf(w, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">%s<title>flowverify</title></head><body><p>flowverify is observing: the first evaluation comes after one interval (%s), and no verdict but observing before one full window (%s) has been watched.</p></body></html>\n", refresh, lp.refresh, lp.window)
		return
	}
	var b bytes.Buffer
	if err := writeReport(&b, r, report.FormatHTML); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	io.WriteString(w, strings.Replace(b.String(), "<head>", "<head>\n"+refresh, 1))
}

// serveLivePage listens on addr (a bare port binds to loopback).
func serveLivePage(stderr io.Writer, addr string, lp *livePage) (func(), error) {
	ln, err := net.Listen("tcp", metricsAddr(addr))
	if err != nil {
		return nil, fmt.Errorf("--http: %w", err)
	}
	srv := &http.Server{Handler: lp.handler(), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	fmt.Fprintf(stderr, "flowverify: live page on http://%s/\n", ln.Addr())
	return func() { srv.Close() }, nil
}

// serveMetrics serves Prometheus metrics on --metrics-listen until stop.
func serveMetrics(stderr io.Writer, listen string) (*publish.Metrics, func(), error) {
	metrics := publish.NewMetrics()
	ln, err := net.Listen("tcp", metricsAddr(listen))
	if err != nil {
		return nil, nil, fmt.Errorf("--metrics-listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(metrics.Registry, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	fmt.Fprintf(stderr, "flowverify: metrics on http://%s/metrics\n", ln.Addr())
	return metrics, func() { srv.Close() }, nil
}

// metricsAddr binds a bare port to loopback: the metrics stay local
// unless the operator names another address.
func metricsAddr(s string) string {
	if !strings.Contains(s, ":") {
		return "127.0.0.1:" + s
	}
	if strings.HasPrefix(s, ":") {
		return "127.0.0.1" + s
	}
	return s
}
