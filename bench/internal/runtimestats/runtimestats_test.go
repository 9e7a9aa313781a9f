package runtimestats

import (
	"runtime"
	"testing"
)

var sink [][]byte

func TestDelta(t *testing.T) {
	before := Take()
	for range 1000 {
		sink = append(sink, make([]byte, 1024))
	}
	runtime.GC()
	s := Delta(before, Take())
	if s.Allocs < 1000 || s.AllocBytes < 1000*1024 {
		t.Errorf("Delta counted %d allocations, %d bytes; want at least 1000 and 1 MiB", s.Allocs, s.AllocBytes)
	}
	if s.GCs < 1 {
		t.Errorf("Delta counted %d GCs after runtime.GC; want at least 1", s.GCs)
	}
	if s.Goroutines < 1 {
		t.Errorf("Goroutines = %d; want at least 1", s.Goroutines)
	}
	sink = nil
}

func TestHistQuantile(t *testing.T) {
	buckets := []float64{0, 1, 2, 3, 4}
	counts := []uint64{0, 98, 1, 1}
	if got := histQuantile(counts, buckets, 0.5); got != 2 {
		t.Errorf("p50 = %v; want 2 (upper bound of the bucket [1,2))", got)
	}
	if got := histQuantile(counts, buckets, 1); got != 4 {
		t.Errorf("max = %v; want 4", got)
	}
	if got := histQuantile([]uint64{0, 0, 0, 0}, buckets, 0.99); got != 0 {
		t.Errorf("empty p99 = %v; want 0", got)
	}
}
