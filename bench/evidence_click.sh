#!/usr/bin/env bash
# What keeping the evidence costs an ingest into ClickHouse: synthesizes
# (once, kept in $OUT) a capture of PACKETS packets over DAYS days, then
# for ROUNDS rounds alternately ingests it into a fresh database with
# evidence and with --no-evidence. Prints per run the wall and CPU seconds
# of honeyscope (GNU time), the CPU seconds the server spent meanwhile
# (from /proc of SERVER_PID, when given: the server must serve this
# benchmark alone) and peak RSS; after a run with evidence, the evidence
# tables' rows and bytes on disk (system.parts).
#
#   STORE=clickhouse://127.0.0.1:19000 SERVER_PID=$(pgrep -n clickhouse-server) bench/evidence_click.sh
#   PACKETS=2000000 ROUNDS=3 STORE=clickhouse://127.0.0.1:19000 bench/evidence_click.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PACKETS=${PACKETS:-1000000}
DAYS=${DAYS:-7}
ROUNDS=${ROUNDS:-3}
OUT=${OUT:-bench/out}
STORE=${STORE:?set STORE=clickhouse://HOST:PORT (databases bench_ev_* are created and dropped)}
SERVER_PID=${SERVER_PID:-}
HTTP=${HTTP:-}  # http://HOST:PORT of the server's HTTP interface, for the table sizes (default: native port + 1)

for tool in /usr/bin/time bc curl; do
	command -v "$tool" >/dev/null || { echo "need $tool" >&2; exit 1; }
done
mkdir -p "$OUT"
go build -o "$OUT/honeyscope" ./cmd/honeyscope
cap="$OUT/ev-$PACKETS-$DAYS.pcap"
[ -f "$cap" ] || "$OUT/honeyscope" synth --out "$cap" --packets "$PACKETS" --days "$DAYS" --seed 1 >/dev/null
if [ -z "$HTTP" ]; then
	hp=${STORE#clickhouse://}
	hp=${hp%%/*}
	HTTP="http://${hp%:*}:$((${hp##*:} + 1))"
fi
sql() { curl -sS "$HTTP/" --data-binary "$1"; }
ticks=$(getconf CLK_TCK)
server_cpu() { # user+system seconds of SERVER_PID so far (0 without one)
	if [ -z "$SERVER_PID" ]; then echo 0; return; fi
	awk -v t="$ticks" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$SERVER_PID/stat"
}

printf "%-5s %-11s %8s %8s %10s %9s\n" round evidence wall_s cpu_s server_s rss_mib
for r in $(seq 1 "$ROUNDS"); do
	for mode in on off; do
		db="bench_ev_${r}_$mode"
		flags=()
		[ "$mode" = off ] && flags=(--no-evidence)
		sql "DROP DATABASE IF EXISTS $db" >/dev/null
		s0=$(server_cpu)
		/usr/bin/time -f "%e %U %S %M" -o "$OUT/time.txt" \
			"$OUT/honeyscope" --store "$STORE/$db" ingest -q "${flags[@]}" "$cap" >/dev/null 2>"$OUT/stderr.txt" || {
			cat "$OUT/stderr.txt" >&2
			exit 1
		}
		s1=$(server_cpu)
		read -r w u s m <"$OUT/time.txt"
		printf "%-5s %-11s %8.2f %8.2f %10.2f %9.0f\n" "$r" "$mode" "$w" "$(echo "$u + $s" | bc -l)" "$(echo "$s1 - $s0" | bc -l)" "$(echo "$m / 1024" | bc -l)"
		if [ "$mode" = on ] && [ "$r" = 1 ]; then
			sql "SELECT table, sum(rows), sum(bytes_on_disk), sum(data_uncompressed_bytes) FROM system.parts
				WHERE database = '$db' AND active AND table IN ('payloads', 'evidence_counts', 'evidence_ingests')
				GROUP BY table ORDER BY table FORMAT TSV" >"$OUT/ev-sizes.tsv"
		fi
		sql "DROP DATABASE IF EXISTS $db" >/dev/null
	done
done
echo
echo "evidence tables after one ingest (rows, bytes on disk, uncompressed bytes):"
cat "$OUT/ev-sizes.tsv"
