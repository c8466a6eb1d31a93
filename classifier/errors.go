package classifier

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/flowverify/flowverify/internal/words"
)

// NoServerError is why the server's addresses could not be inferred:
// two or more addresses of a family tie (Tied, of equal weight and rows),
// or none shows any evidence (missing says what none showed). It names no
// flag: the caller says what to pass instead.
type NoServerError struct {
	Tied         []netip.Addr
	weight, rows int
	// rivals: each both serves and opens the matrix's traffic, as only a
	// server does.
	rivals bool
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
	if e.rivals {
		return fmt.Sprintf("%s each both serve and open the matrix's traffic, as only a server does: two servers, no strongest candidate", strings.Join(tied, ", "))
	}
	return fmt.Sprintf("%s show evidence of the same weight (%d, from %s each): no strongest candidate",
		strings.Join(tied, ", "), e.weight, words.Count(e.rows, "row"))
}
