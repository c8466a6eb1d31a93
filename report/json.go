package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
)

// writeJSON writes the v1 JSON document.
func writeJSON(w io.Writer, r *Report) error {
	if r.Flows.Len() == 0 {
		c := *r
		c.Flows = nil
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(&c)
	}
	// The flows are the report's last key: the rest is encoded whole and
	// the flows streamed into place, one at a time, as the encoder would
	// have indented them.
	c := *r
	c.Flows = nil
	var head bytes.Buffer
	enc := json.NewEncoder(&head)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&c); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(bytes.TrimSuffix(head.Bytes(), []byte("\n}\n")))
	bw.WriteString(",\n  \"flows\": [")
	first := true
	names := r.hostNames()
	err := r.Flows.Each(func(f *Flow) error {
		js, err := json.MarshalIndent(f.withHosts(names), "    ", "  ")
		if err != nil {
			return err
		}
		if !first {
			bw.WriteByte(',')
		}
		first = false
		bw.WriteString("\n    ")
		_, err = bw.Write(js)
		return err
	})
	if err != nil {
		return err
	}
	bw.WriteString("\n  ]\n}\n")
	return bw.Flush()
}
