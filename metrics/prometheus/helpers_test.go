package prometheus_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"
)

// gather scrapes c in a pedantic registry (which checks every metric
// against the descriptors) and returns the families by name.
func gather(t *testing.T, c prometheus.Collector) map[string]*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(c))
	mfs, err := reg.Gather()
	require.NoError(t, err)
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

func label(ls []*dto.LabelPair, name string) string {
	for _, l := range ls {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// value returns the gauge or counter of family name whose labels match the
// pairs kv (name, value, ...); it fails unless exactly one series matches.
func value(t *testing.T, mfs map[string]*dto.MetricFamily, name string, kv ...string) float64 {
	t.Helper()
	mf, ok := mfs[name]
	require.True(t, ok, "no metric %s", name)
	var found []float64
	for _, m := range mf.GetMetric() {
		match := true
		for i := 0; i+1 < len(kv); i += 2 {
			match = match && label(m.GetLabel(), kv[i]) == kv[i+1]
		}
		if !match {
			continue
		}
		switch {
		case m.GetCounter() != nil:
			found = append(found, m.GetCounter().GetValue())
		case m.GetGauge() != nil:
			found = append(found, m.GetGauge().GetValue())
		}
	}
	require.Len(t, found, 1, "%s%v", name, kv)
	return found[0]
}
