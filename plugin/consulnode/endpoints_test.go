package consulnode

import "testing"

// TestOrder: every index exactly once, dense and sparse.
func TestOrder(t *testing.T) {
	for _, n := range []int{0, 1, 3, maxDenseOrder, maxDenseOrder + 1, 5000} {
		var o order
		for round := range 2 { // reused memory starts afresh
			o.reset(n)
			seen := make([]bool, n)
			count := 0
			for i, ok := o.next(); ok; i, ok = o.next() {
				if i < 0 || i >= n || seen[i] {
					t.Fatalf("n %d round %d: index %d out of range or twice", n, round, i)
				}
				seen[i] = true
				count++
			}
			if count != n {
				t.Fatalf("n %d round %d: %d indexes; want %d", n, round, count, n)
			}
		}
	}
}
