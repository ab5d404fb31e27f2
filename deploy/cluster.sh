#!/usr/bin/env bash
# Starts a 3-node eddy cluster on loopback (what `make cluster` runs) and stops it on Ctrl-C.
#   node  PostgreSQL        HTTP              Raft
#   n1    127.0.0.1:4566    127.0.0.1:8080    127.0.0.1:7001
#   n2    127.0.0.1:4567    127.0.0.1:8081    127.0.0.1:7002
#   n3    127.0.0.1:4568    127.0.0.1:8082    127.0.0.1:7003
# Data lives in ${EDDY_CLUSTER_DIR:-./eddy-cluster}/n1..n3 and survives restarts.
set -euo pipefail
bin=${EDDY_BIN:-./bin/eddy}
dir=${EDDY_CLUSTER_DIR:-./eddy-cluster}
peers="n1=127.0.0.1:7001,n2=127.0.0.1:7002,n3=127.0.0.1:7003"
pids=()
stop() {
	trap - INT TERM EXIT
	kill -TERM "${pids[@]}" 2>/dev/null || true
	wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT
for i in 1 2 3; do
	mkdir -p "$dir/n$i"
	"$bin" serve --node-id "n$i" --data-dir "$dir/n$i" --peers "$peers" \
		--raft-listen "127.0.0.1:700$i" --pg-listen "127.0.0.1:456$((5 + i))" \
		--http-listen "127.0.0.1:808$((i - 1))" >"$dir/n$i.log" 2>&1 &
	pids+=($!)
done
for i in 1 2 3; do
	for _ in $(seq 1 100); do
		if curl -fsS "http://127.0.0.1:808$((i - 1))/readyz" >/dev/null 2>&1; then break; fi
		if ! kill -0 "${pids[$((i - 1))]}" 2>/dev/null; then
			echo "n$i exited; its log:" >&2
			cat "$dir/n$i.log" >&2
			exit 1
		fi
		sleep 0.1
	done
done
echo "eddy cluster ready: psql -h 127.0.0.1 -p 4566 (n1), 4567 (n2), 4568 (n3); SHOW CLUSTER; logs in $dir/n*.log"
echo "Ctrl-C stops all three nodes."
wait -n "${pids[@]}" || true
echo "a node exited; stopping the others (see $dir/n*.log)" >&2
