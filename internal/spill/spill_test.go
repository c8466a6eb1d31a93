package spill

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// rec is a record ordered by At, then by Tie's text; N tells records of
// equal order apart, so that a test sees whether the sort is stable.
type rec struct {
	At  string `json:"at"`
	Tie string `json:"tie"`
	N   int    `json:"n"`
}

func (r *rec) SortKey() (int64, error) {
	k, err := strconv.ParseInt(r.At, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("at: %q is not a number", r.At)
	}
	return k, nil
}

func (r *rec) SortTie(o *rec) int { return strings.Compare(r.Tie, o.Tie) }

func testRecs(n int, seed uint64) []rec {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]rec, n)
	for i := range out {
		// Few distinct keys and ties, so that equal records are common.
		out[i] = rec{At: fmt.Sprint(rng.IntN(50) * 100), Tie: fmt.Sprint(rng.IntN(3)), N: i}
	}
	return out
}

func key(r *rec) int64 { k, _ := r.SortKey(); return k }

// TestSpillsInOrder: whether the records stay in memory or go to sorted
// runs on disk, they come back as one stable sort by key then tie (by
// number: 900 before 1000, which sort the other way as text), and they
// can be read more than once.
func TestSpillsInOrder(t *testing.T) {
	recs := testRecs(1000, 7)
	want := slices.Clone(recs)
	slices.SortStableFunc(want, func(a, b rec) int { return compare[rec](key(&a), &a, key(&b), &b) })
	for _, run := range []int{0, 1, 7, 64, 999, 1000} {
		t.Run(fmt.Sprint("run", run), func(t *testing.T) {
			l := New[rec](run)
			defer l.Close()
			for _, r := range recs {
				l.Add(r, key(&r))
			}
			if l.Len() != len(recs) {
				t.Fatalf("Len %d, want %d", l.Len(), len(recs))
			}
			for pass := 0; pass < 2; pass++ {
				if got := l.All(); !reflect.DeepEqual(got, want) {
					t.Fatalf("pass %d: order differs from a stable sort (first %v, want %v)", pass, got[0], want[0])
				}
			}
			if run > 0 && run < len(recs) && len(l.runs) == 0 {
				t.Errorf("no run was spilled with runs of %d", run)
			}
		})
	}
	if a, b := (rec{At: "900"}), (rec{At: "1000"}); compare[rec](key(&a), &a, key(&b), &b) >= 0 {
		t.Errorf("%s ordered after %s", a.At, b.At)
	}
}

// TestJSON: a list round-trips through JSON, spilled or not, and a
// record whose key cannot be read is an error naming its index.
func TestJSON(t *testing.T) {
	recs := testRecs(50, 3)
	l := New[rec](8)
	defer l.Close()
	for _, r := range recs {
		l.Add(r, key(&r))
	}
	js, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	var back List[rec, *rec]
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.All(), l.All()) {
		t.Error("records differ after a round trip")
	}
	err = json.Unmarshal([]byte(`[{"at":"1"},{"at":"yesterday"}]`), &List[rec, *rec]{})
	var re *RecordError
	if !errors.As(err, &re) || re.index != 1 || !strings.Contains(err.Error(), `at: "yesterday"`) {
		t.Errorf("bad key: %v", err)
	}
	if err := json.Unmarshal([]byte(`{"at":"1"}`), &List[rec, *rec]{}); err == nil {
		t.Error("an object read as a list")
	}
}
