#!/usr/bin/env bash
# Whole-program ingest benchmark: synthesizes a capture, then alternately times
# a full `honeyscope ingest` into a fresh store and tcpdump with the Mirai
# filter on the same file, for several rounds. Prints packets/s of both, their
# ratio and honeyscope's peak RSS. Uses public tools only (tcpdump, GNU time).
#
#   bench/ingest.sh                # 10 million packets, 3 rounds
#   PACKETS=1000000 ROUNDS=5 bench/ingest.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PACKETS=${PACKETS:-10000000}
ROUNDS=${ROUNDS:-3}
DAYS=${DAYS:-7}
OUT=${OUT:-bench/out}
FILTER='tcp[13]&0x12==2 and tcp[4:4]==ip[16:4]'

for tool in tcpdump /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "need $tool (apt-get install tcpdump time)" >&2; exit 1; }
done
mkdir -p "$OUT"
go build -o "$OUT/honeyscope" ./cmd/honeyscope
CAP="$OUT/bench-$PACKETS.pcap"
if [ ! -s "$CAP" ]; then
	"$OUT/honeyscope" synth --out "$CAP" --packets "$PACKETS" --days "$DAYS" --seed 1
fi
SIZE=$(stat -c %s "$CAP")
echo "capture: $CAP ($PACKETS packets, $SIZE bytes); $(nproc) CPUs"
cat "$CAP" >/dev/null # page cache

measure() { # prints "seconds maxrss_kib"
	/usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$@" >/dev/null 2>"$OUT/stderr.txt" || {
		cat "$OUT/stderr.txt" >&2
		exit 1
	}
	cat "$OUT/time.txt"
}

printf "%-6s %-10s %12s %14s %10s\n" round tool seconds packets/s rss_MiB
sum_h=0
sum_t=0
for r in $(seq 1 "$ROUNDS"); do
	rm -f "$OUT/bench.duckdb" "$OUT/bench.duckdb.wal"
	read -r hs hrss < <(measure "$OUT/honeyscope" ingest --quiet --db "$OUT/bench.duckdb" "$CAP")
	read -r ts trss < <(measure tcpdump -nr "$CAP" -w /dev/null "$FILTER")
	printf "%-6s %-10s %12s %14.0f %10.0f\n" "$r" honeyscope "$hs" "$(echo "$PACKETS / $hs" | bc -l)" "$(echo "$hrss / 1024" | bc -l)"
	printf "%-6s %-10s %12s %14.0f %10.0f\n" "$r" tcpdump "$ts" "$(echo "$PACKETS / $ts" | bc -l)" "$(echo "$trss / 1024" | bc -l)"
	sum_h=$(echo "$sum_h + $hs" | bc -l)
	sum_t=$(echo "$sum_t + $ts" | bc -l)
done
printf "mean: honeyscope %.0f packets/s, tcpdump %.0f packets/s, ratio honeyscope/tcpdump %.2f\n" \
	"$(echo "$PACKETS * $ROUNDS / $sum_h" | bc -l)" "$(echo "$PACKETS * $ROUNDS / $sum_t" | bc -l)" "$(echo "$sum_t / $sum_h" | bc -l)"
