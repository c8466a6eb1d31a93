package classifier

// histogram counts events over time without knowing the span in advance:
// 512 bins whose width doubles (merging neighbours) whenever an event falls
// past the last one. The report re-buckets it into the timeline's slices.
type histogram struct {
	start int64
	width int64 // ns per bin; 0 until the first event
	bins  [512]uint32
	last  int64
}

func (h *histogram) add(t int64) {
	if h.width == 0 {
		h.start, h.width = t, 1e9 // one second to begin with
	}
	if t < h.start {
		t = h.start // out-of-order starts land in the first bin
	}
	for (t-h.start)/h.width >= int64(len(h.bins)) {
		for i := 0; i < len(h.bins)/2; i++ {
			h.bins[i] = h.bins[2*i] + h.bins[2*i+1]
		}
		clear(h.bins[len(h.bins)/2:])
		h.width *= 2
	}
	h.bins[(t-h.start)/h.width]++
	h.last = max(h.last, t)
}

// span widens [lo, hi] to cover this histogram's events.
func (h *histogram) span(lo, hi int64) (int64, int64) {
	if h.width == 0 {
		return lo, hi
	}
	if lo == 0 || h.start < lo {
		lo = h.start
	}
	return lo, max(hi, h.last)
}

// buckets spreads the counts into n equal slices of [lo, hi], each bin by
// its midpoint.
func (h *histogram) buckets(lo, hi int64, n int) []int {
	out := make([]int, n)
	if h.width == 0 {
		return out
	}
	for i, c := range h.bins {
		if c == 0 {
			continue
		}
		mid := h.start + int64(i)*h.width + h.width/2
		mid = min(max(mid, h.start), h.last)
		b := 0
		if hi > lo {
			b = int((mid - lo) * int64(n) / (hi - lo + 1))
		}
		out[min(max(b, 0), n-1)] += int(c)
	}
	return out
}
