// Package words holds the small English the reports are written in.
package words

import "strconv"

// Count writes n with the word in the right number: "1 flow", "2 flows",
// "0 flows". Words whose plural is not word+"s" pass it as plural.
func Count[N ~int | ~int64 | ~uint64 | ~uint32 | ~uint16](n N, word string, plural ...string) string {
	s := strconv.FormatInt(int64(n), 10) + " "
	if n == 1 {
		return s + word
	}
	if len(plural) > 0 {
		return s + plural[0]
	}
	return s + word + "s"
}

// Closest is the known name nearest to a misspelt one (an edit distance
// of at most two, or one of them a prefix of the other), or "". On a tie
// a name that one of them begins (a plural, a word cut short) wins over
// an edit: "port" is "ports" rather than "part".
func Closest(name string, known []string) string {
	best, bestScore := "", 6
	for _, k := range known {
		d, prefix := distance(name, k), false
		switch {
		case len(name) >= 3 && len(k) > len(name) && k[:len(name)] == name:
			d, prefix = min(d, 1), true // cut short
		case len(name) > len(k) && len(k) >= 3 && name[:len(k)] == k:
			d, prefix = min(d, 2), true // something added
		}
		score := 2 * d
		if !prefix {
			score++
		}
		if d <= 2 && score < bestScore {
			best, bestScore = k, score
		}
	}
	return best
}

// DidYouMean is "; did you mean X?" for the closest known name, or "".
func DidYouMean(name string, known []string) string {
	if c := Closest(name, known); c != "" && c != name {
		return "; did you mean " + c + "?"
	}
	return ""
}

// distance is the Levenshtein distance between a and b, in bytes (names
// here are ASCII).
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
