// Package runtimestats reads the Go runtime's own counters (runtime/metrics)
// in a benchmark server, so that a run can be explained: how many garbage
// collections it caused, how long goroutines waited to be scheduled, and
// how many heap objects each query allocated.
//
// A server takes a Snapshot before and after a measured run; Delta turns
// the two into a Summary, which is small and JSON-friendly so the server
// can hand it to the orchestrating process over a pipe.
package runtimestats

import (
	"math"
	"runtime/metrics"
)

// The runtime/metrics names read. All exist since Go 1.22.
const (
	nameGCCycles   = "/gc/cycles/total:gc-cycles"
	nameGCPauses   = "/sched/pauses/total/gc:seconds"
	nameSchedLat   = "/sched/latencies:seconds"
	nameAllocObjs  = "/gc/heap/allocs:objects"
	nameAllocBytes = "/gc/heap/allocs:bytes"
	nameGCCPU      = "/cpu/classes/gc/total:cpu-seconds"
	nameUserCPU    = "/cpu/classes/user:cpu-seconds"
	nameHeapLive   = "/gc/heap/live:bytes"
	nameGoroutines = "/sched/goroutines:goroutines"
	nameStackStart = "/gc/stack/starting-size:bytes"
	nameStackBytes = "/memory/classes/heap/stacks:bytes"
)

var names = []string{nameGCCycles, nameGCPauses, nameSchedLat, nameAllocObjs, nameAllocBytes, nameGCCPU, nameUserCPU, nameHeapLive, nameGoroutines, nameStackStart, nameStackBytes}

// Snapshot is the runtime's cumulative counters at one moment.
type Snapshot struct {
	samples []metrics.Sample
}

// Take reads the counters now.
func Take() Snapshot {
	s := make([]metrics.Sample, len(names))
	for i, n := range names {
		s[i].Name = n
	}
	metrics.Read(s)
	return Snapshot{samples: s}
}

func (s Snapshot) value(name string) metrics.Value {
	for _, x := range s.samples {
		if x.Name == name {
			return x.Value
		}
	}
	return metrics.Value{}
}

func (s Snapshot) uint(name string) uint64 {
	v := s.value(name)
	if v.Kind() == metrics.KindUint64 {
		return v.Uint64()
	}
	return 0
}

func (s Snapshot) float(name string) float64 {
	v := s.value(name)
	if v.Kind() == metrics.KindFloat64 {
		return v.Float64()
	}
	return 0
}

func (s Snapshot) hist(name string) *metrics.Float64Histogram {
	v := s.value(name)
	if v.Kind() == metrics.KindFloat64Histogram {
		return v.Float64Histogram()
	}
	return nil
}

// Summary is what happened in a process between two snapshots. Durations
// are in microseconds; latencies read from histograms are the upper bound
// of their bucket, so they are accurate to the runtime's bucket width
// (about 12% at these magnitudes).
type Summary struct {
	// GCs is the number of completed garbage collection cycles.
	GCs uint64 `json:"gcs"`
	// GCPauseTotalUS and GCPauseMaxUS are the stop-the-world pauses of
	// those cycles, summed and the longest.
	GCPauseTotalUS float64 `json:"gc_pause_total_us"`
	GCPauseMaxUS   float64 `json:"gc_pause_max_us"`
	// GCCPUFraction is GC CPU time over GC plus user-code CPU time (the
	// runtime's own estimates, /cpu/classes/...).
	GCCPUFraction float64 `json:"gc_cpu_fraction"`
	// SchedP50US, SchedP99US and SchedMaxUS are how long goroutines waited
	// runnable before they ran.
	SchedP50US float64 `json:"sched_p50_us"`
	SchedP99US float64 `json:"sched_p99_us"`
	SchedMaxUS float64 `json:"sched_max_us"`
	// Allocs and AllocBytes are heap allocations (objects and bytes).
	Allocs     uint64 `json:"allocs"`
	AllocBytes uint64 `json:"alloc_bytes"`
	// HeapLiveBytes is the live heap after the last GC, at the end.
	HeapLiveBytes uint64 `json:"heap_live_bytes"`
	// Goroutines is the goroutine count at the end.
	Goroutines uint64 `json:"goroutines"`
	// StackStartBytes is the stack size new goroutines start with at the
	// end (the runtime adapts it at each GC to the average stack it
	// scanned): a per-query goroutine whose stack outgrows it pays a
	// stack growth, a copy.
	StackStartBytes uint64 `json:"stack_start_bytes"`
	// StackBytes is the memory held by goroutine stacks at the end.
	StackBytes uint64 `json:"stack_bytes"`
}

// Delta summarises what happened between before and after.
func Delta(before, after Snapshot) Summary {
	s := Summary{
		GCs:           after.uint(nameGCCycles) - before.uint(nameGCCycles),
		Allocs:        after.uint(nameAllocObjs) - before.uint(nameAllocObjs),
		AllocBytes:    after.uint(nameAllocBytes) - before.uint(nameAllocBytes),
		HeapLiveBytes: after.uint(nameHeapLive),
		Goroutines:    after.uint(nameGoroutines),

		StackStartBytes: after.uint(nameStackStart),
		StackBytes:      after.uint(nameStackBytes),
	}
	gc := after.float(nameGCCPU) - before.float(nameGCCPU)
	if cpu := gc + after.float(nameUserCPU) - before.float(nameUserCPU); cpu > 0 {
		s.GCCPUFraction = gc / cpu
	}
	if counts, buckets := histDelta(before.hist(nameGCPauses), after.hist(nameGCPauses)); counts != nil {
		s.GCPauseTotalUS = histSum(counts, buckets) * 1e6
		s.GCPauseMaxUS = histQuantile(counts, buckets, 1) * 1e6
	}
	if counts, buckets := histDelta(before.hist(nameSchedLat), after.hist(nameSchedLat)); counts != nil {
		s.SchedP50US = histQuantile(counts, buckets, 0.50) * 1e6
		s.SchedP99US = histQuantile(counts, buckets, 0.99) * 1e6
		s.SchedMaxUS = histQuantile(counts, buckets, 1) * 1e6
	}
	return s
}

// histDelta returns after's counts minus before's, and the bucket bounds.
func histDelta(before, after *metrics.Float64Histogram) ([]uint64, []float64) {
	if after == nil {
		return nil, nil
	}
	counts := make([]uint64, len(after.Counts))
	copy(counts, after.Counts)
	if before != nil && len(before.Counts) == len(counts) {
		for i := range counts {
			counts[i] -= before.Counts[i]
		}
	}
	return counts, after.Buckets
}

// histQuantile returns the upper bound of the bucket holding quantile q
// (0 < q ≤ 1), or 0 for an empty histogram. An infinite upper bound is
// replaced by the bucket's lower bound.
func histQuantile(counts []uint64, buckets []float64, q float64) float64 {
	var total uint64
	for _, c := range counts {
		total += c
	}
	if total == 0 {
		return 0
	}
	want := uint64(math.Ceil(q * float64(total)))
	var seen uint64
	for i, c := range counts {
		seen += c
		if c > 0 && seen >= want {
			return bucketTop(buckets, i)
		}
	}
	return bucketTop(buckets, len(counts)-1)
}

// histSum estimates the sum of the values in a histogram from bucket
// midpoints.
func histSum(counts []uint64, buckets []float64) float64 {
	sum := 0.0
	for i, c := range counts {
		if c == 0 {
			continue
		}
		lo, hi := buckets[i], bucketTop(buckets, i)
		if math.IsInf(lo, -1) {
			lo = 0
		}
		sum += float64(c) * (lo + hi) / 2
	}
	return sum
}

// bucketTop is bucket i's upper bound, or its lower bound when that is
// infinite.
func bucketTop(buckets []float64, i int) float64 {
	hi := buckets[i+1]
	if math.IsInf(hi, 1) {
		return buckets[i]
	}
	return hi
}
