package matrix

import "fmt"

// LearnMode says how a rule learns its ports at run time (learn: in the
// matrix file).
type LearnMode uint8

// Learn modes. LearnNone, the zero value, is a rule whose ports are the
// ones it lists.
const (
	LearnNone LearnMode = iota
	// LearnEPM: the ports the endpoint mapper (tcp/135) names, within
	// the listed range or, unless strict_range, outside it.
	LearnEPM
)

var learnNames = [...]string{LearnNone: "", LearnEPM: "epm"}

func (l LearnMode) String() string {
	if int(l) < len(learnNames) {
		return learnNames[l]
	}
	return fmt.Sprintf("learn(%d)", uint8(l))
}

// MarshalText writes the mode as the matrix file does.
func (l LearnMode) MarshalText() ([]byte, error) {
	if int(l) >= len(learnNames) {
		return nil, fmt.Errorf("no learn mode %d", uint8(l))
	}
	return []byte(learnNames[l]), nil
}

// UnmarshalText reads a mode as the matrix file writes it.
func (l *LearnMode) UnmarshalText(b []byte) error {
	for k, name := range learnNames {
		if name == string(b) {
			*l = LearnMode(k)
			return nil
		}
	}
	return fmt.Errorf("%q is not a known learner (epm)", b)
}
