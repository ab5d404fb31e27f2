package server

import (
	"encoding/json"
	"net/http"
	"time"
)

// The REST API under /api/v1 serves what the SHOW statements show, as JSON.

// checkpointJSON is one checkpoint in GET /api/v1/checkpoints; the fields are SHOW CHECKPOINTS'
// columns.
type checkpointJSON struct {
	ID          int64     `json:"id"`
	SnapshotID  string    `json:"snapshot_id,omitempty"`
	LogIndex    uint64    `json:"log_index"`
	StartedAt   time.Time `json:"started_at"`
	SyncMs      float64   `json:"sync_ms"`
	TotalMs     float64   `json:"total_ms"`
	StateBytes  int64     `json:"state_bytes"`
	NewBytes    int64     `json:"new_bytes"`
	SharedFiles int       `json:"shared_files"`
	Status      string    `json:"status"`
}

// apiCheckpoints answers GET /api/v1/checkpoints: the interval in force and the remembered
// checkpoints, newest first.
func (n *Node) apiCheckpoints(w http.ResponseWriter, r *http.Request) {
	out := struct {
		Interval    string           `json:"interval"`
		Checkpoints []checkpointJSON `json:"checkpoints"`
	}{Interval: formatInterval(n.eng.checkpointInterval()), Checkpoints: []checkpointJSON{}}
	if c := n.eng.ckpt; c != nil {
		for _, rec := range c.records() {
			out.Checkpoints = append(out.Checkpoints, checkpointJSON{ID: rec.Seq, SnapshotID: rec.ID, LogIndex: rec.Index,
				StartedAt: rec.Start.UTC(), SyncMs: millis(rec.Handoff), TotalMs: millis(rec.Total), StateBytes: rec.Bytes,
				NewBytes: rec.NewBytes, SharedFiles: rec.SharedFiles, Status: rec.Status})
		}
	}
	writeJSON(w, out)
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // a client gone away is not our error
}

// registerGauges adds the metrics read from the node's state at scrape time.
func (n *Node) registerGauges() {
	n.met.gaugeFunc("eddy_applied_index", "Index of the last log entry applied to the state.",
		func() float64 { return float64(n.eng.store.AppliedIndex()) })
	n.met.gaugeFunc("eddy_savepoint_create_apply_seconds", "How long the last SAVEPOINT held up the apply pipeline on this node.",
		func() float64 { c, _ := n.eng.store.LastSavepointApply(); return c.Seconds() })
	n.met.gaugeFunc("eddy_savepoint_rollback_apply_seconds", "How long the last ROLLBACK TO SAVEPOINT held up the apply pipeline on this node.",
		func() float64 { _, r := n.eng.store.LastSavepointApply(); return r.Seconds() })
	n.met.gaugeFunc("eddy_disk_free_bytes", "Bytes free on the disk of the data directory.",
		func() float64 { return float64(n.eng.disk.free.Load()) })
	n.met.gaugeFunc("eddy_disk_reserve_bytes", "Free disk space below which new data is refused (--min-free-disk).",
		func() float64 { return float64(n.eng.disk.reserve) })
	n.met.gaugeFunc("eddy_state_cache_bytes", "Memory the caches of view operator state hold (--state-cache-size bounds it).",
		func() float64 { used, _ := n.views.StateCache(); return float64(used) })
	n.met.gaugeFunc("eddy_state_cache_limit_bytes", "The --state-cache-size budget.",
		func() float64 { _, limit := n.views.StateCache(); return float64(limit) })
	n.met.gaugeFunc("eddy_raft_is_leader", "1 on the node that leads the cluster, 0 elsewhere.",
		func() float64 {
			if n.eng.raft.IsLeader() {
				return 1
			}
			return 0
		})
	n.met.gaugeFunc("eddy_raft_log_entries", "Entries held in the Raft log (checkpoints truncate it).",
		func() float64 {
			first, last, err := n.eng.raft.LogBounds()
			if err != nil || last == 0 {
				return 0
			}
			return float64(last - first + 1)
		})
	n.met.gaugeFunc("eddy_raft_log_first_index", "The oldest index the Raft log still holds.",
		func() float64 {
			first, _, err := n.eng.raft.LogBounds()
			if err != nil {
				return 0
			}
			return float64(first)
		})
	n.met.gaugeFunc("eddy_raft_commit_index", "The highest log index this node knows to be committed.",
		func() float64 { return float64(n.eng.raft.Status().CommitIndex) })
	n.met.gaugeFunc("eddy_raft_term", "The node's current Raft term.",
		func() float64 { return float64(n.eng.raft.Status().Term) })
}
