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
