package classifier

import (
	"fmt"
	"net/netip"
	"strings"
)

// NoServerError is why the server's addresses could not be inferred:
// two or more addresses of a family tie (Tied, Kinds kinds of evidence
// each), or none shows any evidence (Missing says what none showed). It
// names no flag: the caller says what to pass instead.
type NoServerError struct {
	Tied  []netip.Addr
	kinds int
	// missing is what no address showed, in words: the evidence that
	// would have counted.
	missing string
}

func (e *NoServerError) Error() string { return "cannot infer the server: " + e.reason() }

// reason is the error without its lead, as a report gives it beside
// "Server: not found".
func (e *NoServerError) reason() string {
	if len(e.Tied) < 2 {
		return e.missing
	}
	tied := make([]string, len(e.Tied))
	for i, a := range e.Tied {
		tied[i] = a.String()
	}
	return fmt.Sprintf("%s show the same evidence (%d kinds each)", strings.Join(tied, ", "), e.kinds)
}
