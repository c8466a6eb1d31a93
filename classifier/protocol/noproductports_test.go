package protocol

import "testing"

// The protocol package holds "no product's ports" (docs/
// architecture.md), yet syslog.go, amqp.go and postgres.go list Threat
// Manager's agent ports (udp/10000, tcp/10001) and its PostgreSQL ports
// (5435, 5439) as the protocols' usual ports: a matrix that moves its
// agents elsewhere still gets these tie-breaks and server ends. The
// matrix's rows (classifier/facts.go adds m.ServicePorts already) are
// the place for them.
func TestNoProductPorts(t *testing.T) {
	for _, p := range []struct {
		tr   Transport
		port uint16
	}{{UDP, 10000}, {TCP, 10001}, {TCP, 5435}, {TCP, 5439}} {
		for _, k := range wellKnownPorts() {
			if k.transport == p.tr && k.number == p.port {
				t.Errorf("%v/%d is in wellKnownPorts as %v: a product's port, not the protocol's", p.tr, p.port, k.usual)
			}
		}
	}
}
