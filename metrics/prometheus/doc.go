// Package prometheus exports runlets' statistics as Prometheus metrics.
package prometheus
