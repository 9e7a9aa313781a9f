package httpapi

import (
	"fmt"
	"math"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// gatherJSON gathers g into Consul's JSON shape. A partial gather (one
// collector failing) still yields what the others returned; only a gather
// that returns nothing at all is an error. Values JSON cannot carry (NaN,
// ±Inf, gauges beyond float32's range, which Consul's shape uses) are left
// out.
func gatherJSON(g prometheus.Gatherer, now time.Time) (Metrics, error) {
	mfs, err := g.Gather()
	if err != nil && len(mfs) == 0 {
		return Metrics{}, fmt.Errorf("gather metrics: %w", err)
	}
	out := Metrics{
		Timestamp: now.UTC().Round(time.Second).String(),
		Gauges:    []GaugeValue{},
		Points:    []PointValue{},
		Counters:  []SampledValue{},
		Samples:   []SampledValue{},
	}
	for _, mf := range mfs {
		name := mf.GetName()
		for _, m := range mf.GetMetric() {
			labels := make(map[string]string, len(m.GetLabel()))
			for _, lp := range m.GetLabel() {
				labels[lp.GetName()] = lp.GetValue()
			}
			switch mf.GetType() {
			case dto.MetricType_GAUGE, dto.MetricType_UNTYPED:
				v := m.GetGauge().GetValue()
				if mf.GetType() == dto.MetricType_UNTYPED {
					v = m.GetUntyped().GetValue()
				}
				if finite(v) && math.Abs(v) <= math.MaxFloat32 {
					out.Gauges = append(out.Gauges, GaugeValue{Name: name, Value: float32(v), Labels: labels})
				}
			case dto.MetricType_COUNTER:
				v := m.GetCounter().GetValue()
				if !finite(v) {
					continue
				}
				c := SampledValue{Name: name, Sum: v, Labels: labels}
				if v == math.Trunc(v) && v < math.MaxInt64 {
					c.Count = int64(v)
				}
				out.Counters = append(out.Counters, c)
			case dto.MetricType_SUMMARY:
				out.Samples = appendSample(out.Samples, name, labels, m.GetSummary().GetSampleCount(), m.GetSummary().GetSampleSum())
			case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
				out.Samples = appendSample(out.Samples, name, labels, m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum())
			}
		}
	}
	return out, nil
}

// appendSample adds a histogram or summary as a sample: count, sum, mean.
func appendSample(to []SampledValue, name string, labels map[string]string, count uint64, sum float64) []SampledValue {
	if !finite(sum) || count > math.MaxInt64 {
		return to
	}
	s := SampledValue{Name: name, Count: int64(count), Sum: sum, Labels: labels}
	if count > 0 {
		s.Mean = sum / float64(count)
	}
	return append(to, s)
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
