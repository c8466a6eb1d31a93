package protocol

import (
	"testing"

	"github.com/flowverify/flowverify/internal/synth"
)

// TestDCERPCAnswered: only an answer PDU from the server marks the flow
// answered; a bind_nak (type 13) or a fault (3) does not.
func TestDCERPCAnswered(t *testing.T) {
	withType := func(b []byte, ty byte) []byte {
		b = append([]byte(nil), b...)
		b[2] = ty
		return b
	}
	ack := synth.DCERPCBindAck(1)
	cases := []struct {
		name   string
		server []byte
		want   bool
	}{
		{"bind_ack", ack, true},
		{"response", synth.DCERPCEptMapResponse(1, 49670, [4]byte{10, 0, 0, 1}), true},
		{"bind_nak", withType(ack, 13), false},
		{"fault", withType(ack, 3), false},
		{"no answer", nil, false},
	}
	for _, c := range cases {
		res := Recognise(Input{Transport: TCP, Client: synth.DCERPCBindEPM(1), Server: c.server, Port: 135})
		if res.ID != DCERPC || res.Answered != c.want {
			t.Errorf("%s: %v answered=%v, want dcerpc answered=%v", c.name, res.ID, res.Answered, c.want)
		}
	}
}
