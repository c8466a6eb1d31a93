package classifier

import (
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/classifier/matrix"
)

// The group table finds every group put, finds no other, and its filter
// spares the map lookup for nearly every absent key once the table holds
// maxGroups groups: a scan asks about an absent key with every flow.
func TestGroupTableFindsExactlyWhatWasPut(t *testing.T) {
	key := func(i int) unexpKey {
		var k unexpKey
		k.proto, k.dir, k.port = []uint8{6, 17}[i%2], matrix.Outbound, uint16(1+i%60000)
		k.peer = capture.AddrFrom4([]byte{10, byte(30 + i>>16), byte(i >> 8), byte(i)})
		return k
	}
	tab := newGroupTable()
	for i := 0; i < maxGroups; i++ {
		k := key(i)
		if tab.getHashed(&k, k.hash()) != nil {
			t.Fatalf("key %d found before it was put", i)
		}
		tab.put(&groupAgg{key: k, flows: i})
	}
	for i := 0; i < maxGroups; i++ {
		k := key(i)
		g := tab.getHashed(&k, k.hash())
		if g == nil || g.flows != i || !g.key.equal(&k) {
			t.Fatalf("key %d: got %+v", i, g)
		}
	}
	passed := 0
	const absent = 200000
	for i := maxGroups; i < maxGroups+absent; i++ {
		k := key(i)
		h := k.hash()
		if w, b := seenBits(h); tab.seen[w]&b == b {
			passed++
		}
		if g := tab.getHashed(&k, h); g != nil {
			t.Fatalf("absent key %d found as %+v", i, g.key)
		}
	}
	// Two bits a key let about 1 in 180 absent keys through; one bit let
	// 1 in 25.
	if passed > absent/100 {
		t.Errorf("the filter let %d of %d absent keys through to the map", passed, absent)
	}
	if tab.n != maxGroups {
		t.Errorf("n = %d, want %d", tab.n, maxGroups)
	}
}
