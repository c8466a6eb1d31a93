package report

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
)

// writeRulesCSV writes one row per rule.
func writeRulesCSV(w io.Writer, r *Report) error {
	c := csv.NewWriter(w)
	c.Write(csvRow([]string{"rule", "direction", "transport", "ports", "role", "required", "status", "reason", "flows", "allowed", "blocked", "mismatch", "peers", "missing_peers", "packets", "bytes", "protocols"}))
	for _, rule := range r.Rules {
		var peers []string
		for _, p := range rule.Peers {
			peers = append(peers, csvPeer(p.Key(), p.Addresses)+"="+string(p.Status))
		}
		var protos []string
		for p, n := range rule.Protocols {
			protos = append(protos, p+"="+strconv.Itoa(n))
		}
		sortStrings(protos)
		c.Write(csvRow([]string{rule.ID, rule.Direction.String(), rule.Transport, rule.Ports, rule.Role, strconv.FormatBool(rule.Required), string(rule.Status), rule.Reason,
			strconv.Itoa(rule.Flows), strconv.Itoa(rule.Allowed), strconv.Itoa(rule.BlockedN), strconv.Itoa(rule.Mismatch),
			strings.Join(peers, " "), r.csvMissing(rule), strconv.FormatUint(rule.Packets, 10), strconv.FormatUint(rule.Bytes, 10), strings.Join(protos, " ")}))
	}
	// A scan is a row of its own after the rules: rule "scan", status
	// scan, its line as the reason, its folded flows, the scanner as peer
	// (written as the rules' peers are, scanner[172.16.0.8] when named).
	for _, sc := range r.Scans {
		peer := sc.Scanner
		if sc.ScannerHost != "" {
			peer = csvPeer(sc.ScannerHost, []string{sc.Scanner})
		}
		c.Write(csvRow([]string{"scan", "", sc.Transport, sc.PortList, "", "false", "scan", sc.Line(), strconv.Itoa(sc.Folded), "0", "0", "0",
			peer, "", "0", "0", ""}))
	}
	c.Flush()
	return c.Error()
}

// writeFlowsCSV writes one row per flow (analyze --flows). The ends'
// host names come last, after the columns older readers know by
// position.
func writeFlowsCSV(w io.Writer, r *Report) error {
	c := csv.NewWriter(w)
	c.Write(csvRow([]string{"transport", "initiator", "responder", "guessed", "direction", "state", "conn_state", "history", "protocol", "confidence",
		"verdict", "reason", "rule", "packets_initiator", "packets_responder", "bytes_initiator", "bytes_responder", "first", "last", "input",
		"initiator_host", "responder_host"}))
	names := r.hostNames()
	err := r.Flows.Each(func(f *Flow) error {
		return c.Write(csvRow([]string{f.Transport, f.Initiator, f.Responder, strconv.FormatBool(f.Guessed), f.Direction.String(), f.State, f.ConnState, f.History,
			f.Protocol, f.Confidence, f.Verdict.String(), f.Reason, f.Rule, strconv.FormatUint(f.Packets.Initiator, 10), strconv.FormatUint(f.Packets.Responder, 10),
			strconv.FormatUint(f.Bytes.Initiator, 10), strconv.FormatUint(f.Bytes.Responder, 10), f.First, f.Last, f.Input,
			endHost(names, f.Initiator), endHost(names, f.Responder)}))
	})
	c.Flush()
	if err != nil {
		return err
	}
	return c.Error()
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
