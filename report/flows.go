package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/flowverify/flowverify/internal/spill"
)

// FlowList holds a report's flows (--flows) in time order without holding
// them all in memory (package spill): a stable sort by start time, flows
// that start together ordered by their ends, then as they were added.
type FlowList = spill.List[Flow, *Flow]

// FlowListError is a flow list that could not keep or give back its
// flows (its spill file could not be made, written or read).
type FlowListError = spill.Error

// What a FlowListError failed at.
const (
	FlowListCreate = spill.Create
	flowListWrite  = spill.Write
	flowListRead   = spill.Read
)

// NewFlowList returns an empty list.
func NewFlowList() *FlowList { return spill.New[Flow](0) }

// SortKey is the key a flow is listed by: its first packet's time.
func (f *Flow) SortKey() (int64, error) {
	t, err := time.Parse(time.RFC3339Nano, f.First)
	if err != nil {
		return 0, fmt.Errorf("first: %q is not an RFC 3339 time", f.First)
	}
	return t.UnixNano(), nil
}

// SortTie orders flows that start together by their ends, the order the
// report has always listed them in.
func (f *Flow) SortTie(o *Flow) int {
	return strings.Compare(f.Initiator+f.Responder, o.Initiator+o.Responder)
}
