package server

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are one node's Prometheus metrics, served at /metrics. Each node has its own
// registry (several nodes can live in one test process).
type metrics struct {
	reg *prometheus.Registry

	checkpoints        *prometheus.CounterVec
	checkpointTotal    prometheus.Histogram
	checkpointSync     prometheus.Histogram
	checkpointBytes    prometheus.Gauge
	checkpointNew      prometheus.Gauge
	checkpointIndex    prometheus.Gauge
	checkpointInterval prometheus.Gauge

	recoverySeconds prometheus.Gauge
	recoveryEntries prometheus.Gauge

	// ingestCommit is how long a source's ingest command took from proposal to applied, by
	// whether a checkpoint was being written when it was proposed: what checkpoints cost the
	// pipeline, measured within one run.
	ingestCommit *prometheus.HistogramVec
}

// ingestBuckets resolve the few milliseconds a checkpoint may add to a commit.
var ingestBuckets = []float64{0.0005, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.006, 0.008, 0.010, 0.0125,
	0.015, 0.0175, 0.020, 0.025, 0.030, 0.040, 0.050, 0.075, 0.100, 0.150, 0.250, 0.500, 1, 2.5}

// checkpointBuckets span a sub-millisecond hand-off up to checkpoints of large states.
var checkpointBuckets = prometheus.ExponentialBuckets(0.0001, 4, 11) // 100µs .. ~105s

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.checkpoints = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "eddy_checkpoints_total",
		Help: "Checkpoints taken, by outcome (ok or failed)."}, []string{"status"})
	m.checkpointTotal = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "eddy_checkpoint_duration_seconds",
		Help: "Time to take a checkpoint, writing it to disk included.", Buckets: checkpointBuckets})
	m.checkpointSync = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "eddy_checkpoint_sync_seconds",
		Help: "How long a checkpoint paused the apply pipeline (the in-memory hand-off).", Buckets: checkpointBuckets})
	m.checkpointBytes = prometheus.NewGauge(prometheus.GaugeOpts{Name: "eddy_checkpoint_state_bytes",
		Help: "Bytes of state in the latest checkpoint."})
	m.checkpointNew = prometheus.NewGauge(prometheus.GaugeOpts{Name: "eddy_checkpoint_new_bytes",
		Help: "Bytes the latest checkpoint did not share with the one before it."})
	m.checkpointIndex = prometheus.NewGauge(prometheus.GaugeOpts{Name: "eddy_checkpoint_log_index",
		Help: "Log index the latest checkpoint covers."})
	m.checkpointInterval = prometheus.NewGauge(prometheus.GaugeOpts{Name: "eddy_checkpoint_interval_seconds",
		Help: "The checkpoint_interval in force (0: the log's own schedule)."})
	m.recoverySeconds = prometheus.NewGauge(prometheus.GaugeOpts{Name: "eddy_recovery_seconds",
		Help: "Time from opening the data directory to having replayed the log at startup."})
	m.recoveryEntries = prometheus.NewGauge(prometheus.GaugeOpts{Name: "eddy_recovery_replayed_entries",
		Help: "Log entries applied at startup beyond what the state on disk held."})
	m.ingestCommit = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "eddy_ingest_commit_seconds",
		Help:    "Time from proposing a source's ingest command to having applied it (views included), by whether a checkpoint was being written when it was proposed (running or idle).",
		Buckets: ingestBuckets}, []string{"checkpoint"})
	m.reg.MustRegister(m.ingestCommit, m.checkpoints, m.checkpointTotal, m.checkpointSync, m.checkpointBytes, m.checkpointNew,
		m.checkpointIndex, m.checkpointInterval, m.recoverySeconds, m.recoveryEntries,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.checkpoints.WithLabelValues("ok")
	m.checkpoints.WithLabelValues("failed")
	return m
}

func (m *metrics) observeCheckpoint(r checkpointRecord) {
	m.checkpoints.WithLabelValues("ok").Inc()
	m.checkpointTotal.Observe(r.Total.Seconds())
	m.checkpointSync.Observe(r.Handoff.Seconds())
	m.checkpointBytes.Set(float64(r.Bytes))
	m.checkpointNew.Set(float64(r.NewBytes))
	m.checkpointIndex.Set(float64(r.Index))
}

// gaugeFunc registers a gauge read at scrape time.
func (m *metrics) gaugeFunc(name, help string, f func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
}
