package report

import (
	"bufio"
	"encoding/json"
	"io"
)

// writeJSONL writes one flow object per line (with --flows), else one
// line per rule, one per scan and a closing summary line, so the stream is never empty.
func writeJSONL(w io.Writer, r *Report) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	if r.Flows.Len() > 0 {
		names := r.hostNames()
		if err := r.Flows.Each(func(f *Flow) error { return enc.Encode(f.withHosts(names)) }); err != nil {
			return err
		}
	} else {
		for i := range r.Rules {
			if err := enc.Encode(struct {
				Type string `json:"type"`
				*Rule
			}{"rule", &r.Rules[i]}); err != nil {
				return err
			}
		}
		for i := range r.Scans {
			if err := enc.Encode(struct {
				Type string `json:"type"`
				*Scan
			}{"scan", &r.Scans[i]}); err != nil {
				return err
			}
		}
		if err := enc.Encode(struct {
			Type string `json:"type"`
			*Summary
		}{"summary", &r.Summary}); err != nil {
			return err
		}
	}
	return bw.Flush()
}
