// Package publish holds what the monitor publishes as it runs: the event
// stream (JSON lines, with taps for the live page and the alert sinks) and
// the Prometheus series. The events' schema is report.Event.
package publish

import (
	"github.com/flowverify/flowverify/classifier/matrix"
	"github.com/flowverify/flowverify/report"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the monitor's Prometheus series, on a registry of their own
// (no global state).
type Metrics struct {
	Registry    *prometheus.Registry
	packets     *prometheus.GaugeVec
	bytes       *prometheus.GaugeVec
	drops       *prometheus.GaugeVec
	ruleFlows   *prometheus.GaugeVec
	ruleStatus  *prometheus.GaugeVec
	unexpected  *prometheus.GaugeVec
	blocked     *prometheus.GaugeVec
	tableSize   prometheus.Gauge
	evictions   prometheus.Gauge
	lastUpdated prometheus.Gauge
	verdict     *prometheus.GaugeVec
	observed    prometheus.Gauge
	alerts      *prometheus.CounterVec
}

// NewMetrics registers every series.
func NewMetrics() *Metrics {
	m := &Metrics{Registry: prometheus.NewRegistry()}
	g := func(name, help string, labels ...string) *prometheus.GaugeVec {
		v := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "flowverify", Name: name, Help: help}, labels)
		m.Registry.MustRegister(v)
		return v
	}
	// Counters that libpcap and the flow table keep are exported as gauges
	// holding their running totals, named *_total as Prometheus expects
	// for counter semantics.
	m.packets = g("captured_packets_total", "Packets captured per interface.", "interface")
	m.bytes = g("captured_bytes_total", "Bytes on the wire captured per interface.", "interface")
	m.drops = g("kernel_drops_total", "Packets dropped by the kernel or interface (pcap_stats).", "interface")
	m.ruleFlows = g("rule_flows", "Flows per rule and verdict in the evaluation window.", "rule", "verdict")
	m.ruleStatus = g("rule_status", "1 for a rule's current status over the window, 0 for the others.", "rule", "status")
	m.unexpected = g("unexpected_flows", "Unexpected flows in the window by transport, direction and port.", "transport", "direction", "port")
	m.blocked = g("blocked_flows", "Failed attempts at documented connections in the window by rule and port.", "rule", "port")
	m.tableSize = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "flowverify", Name: "flow_table_size", Help: "Flows held in the flow table."})
	m.evictions = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "flowverify", Name: "flow_table_evictions_total", Help: "Flows evicted by the flow-table cap."})
	// The summary verdict, one series per outcome, so that a dashboard
	// never shows a monitor that is still observing as conforming, and
	// how much of its first window it has watched.
	m.verdict = g("verdict", "1 for the summary verdict of the last evaluation (conforms, findings, inconclusive, observing, not-judged), 0 for the others.", "verdict")
	m.observed = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "flowverify", Name: "window_observed_ratio",
		Help: "How much of one full window the monitor has observed, 0 to 1; below 1 the verdict is at best observing and no rule is called missing."})
	m.lastUpdated = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "flowverify", Name: "last_evaluation_timestamp_seconds", Help: "Wall-clock time of the last evaluation."})
	m.alerts = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "flowverify", Name: "alerts_total",
		Help: "Finding events handed to the alert sinks (webhook, syslog), by sink and outcome (sent, failed, dropped)."}, []string{"sink", "outcome"})
	m.Registry.MustRegister(m.tableSize, m.evictions, m.lastUpdated, m.observed, m.alerts)
	// The process's own memory and goroutines, so a soak can be watched.
	m.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Interface sets one interface's capture counters.
func (m *Metrics) Interface(name string, packets, bytes, drops uint64) {
	m.packets.WithLabelValues(name).Set(float64(packets))
	m.bytes.WithLabelValues(name).Set(float64(bytes))
	m.drops.WithLabelValues(name).Set(float64(drops))
}

// Table sets the flow-table gauges.
func (m *Metrics) Table(size int, evicted uint64) {
	m.tableSize.Set(float64(size))
	m.evictions.Set(float64(evicted))
}

// Evaluation publishes a window's report.
func (m *Metrics) Evaluation(r *report.Report, unixSeconds float64) {
	m.ruleFlows.Reset()
	m.ruleStatus.Reset()
	m.unexpected.Reset()
	m.blocked.Reset()
	for _, rr := range r.Rules {
		for _, st := range matrix.Statuses() {
			v := 0.0
			if st == rr.Status {
				v = 1
			}
			m.ruleStatus.WithLabelValues(rr.ID, string(st)).Set(v)
		}
		m.ruleFlows.WithLabelValues(rr.ID, "allowed").Set(float64(rr.Allowed))
		m.ruleFlows.WithLabelValues(rr.ID, "blocked").Set(float64(rr.BlockedN))
		m.ruleFlows.WithLabelValues(rr.ID, "mismatch").Set(float64(rr.Mismatch))
	}
	for _, u := range r.Unexpected {
		m.unexpected.WithLabelValues(u.Transport, u.Direction.String(), u.Service()).Add(float64(u.Flows))
	}
	for _, b := range r.Blocked {
		port := b.Responder[lastColon(b.Responder)+1:]
		m.blocked.WithLabelValues(b.Rule, port).Add(1)
	}
	for _, o := range matrix.Outcomes() {
		v := 0.0
		if o == r.Summary.Verdict {
			v = 1
		}
		m.verdict.WithLabelValues(string(o)).Set(v)
	}
	ratio := 1.0 // a report over a whole input observed all of it
	if r.Window.Length > 0 {
		ratio = min(r.Window.Observed/r.Window.Length, 1)
	}
	m.observed.Set(ratio)
	m.lastUpdated.Set(unixSeconds)
}

func lastColon(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == ':' {
			return i
		}
	}
	return -1
}

// Alert counts one event a sink sent, failed to send or dropped.
func (m *Metrics) Alert(sink, outcome string) { m.alerts.WithLabelValues(sink, outcome).Inc() }
