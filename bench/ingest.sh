#!/usr/bin/env bash
# Whole-program ingest benchmark: synthesizes a capture, then alternately times
# a full `honeyscope ingest` into a fresh store and tcpdump with the Mirai
# filter on the same file, for several rounds. Prints wall seconds, CPU
# seconds (user + system), packets/s of both, their ratio and honeyscope's
# peak RSS. Uses public tools only (tcpdump, GNU time).
#
#   bench/ingest.sh                # 10 million packets, 3 rounds
#   PACKETS=1000000 ROUNDS=5 bench/ingest.sh
#   BASE=/tmp/honeyscope-main bench/ingest.sh   # also time another build, alternating (A/B)
set -euo pipefail
cd "$(dirname "$0")/.."
PACKETS=${PACKETS:-10000000}
ROUNDS=${ROUNDS:-3}
DAYS=${DAYS:-7}
OUT=${OUT:-bench/out}
BASE=${BASE:-}
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
echo "capture: $CAP ($PACKETS packets, $SIZE bytes); $(nproc) CPUs; $(uptime)"
cat "$CAP" >/dev/null # page cache

measure() { # prints "seconds cpu_seconds maxrss_kib"
	/usr/bin/time -f "%e %U %S %M" -o "$OUT/time.txt" "$@" >/dev/null 2>"$OUT/stderr.txt" || {
		cat "$OUT/stderr.txt" >&2
		exit 1
	}
	read -r e u s m <"$OUT/time.txt"
	echo "$e $(echo "$u + $s" | bc -l) $m"
}

tools=(honeyscope)
[ -n "$BASE" ] && tools=(base honeyscope)
printf "%-6s %-10s %10s %10s %14s %10s\n" round tool seconds cpu_s packets/s rss_MiB
declare -A sum
sum[tcpdump]=0
for t in "${tools[@]}"; do sum[$t]=0; done
for r in $(seq 1 "$ROUNDS"); do
	for t in "${tools[@]}"; do
		bin="$OUT/honeyscope"
		[ "$t" = base ] && bin="$BASE"
		rm -f "$OUT/bench.duckdb" "$OUT/bench.duckdb.wal"
		read -r s c rss < <(measure "$bin" ingest --quiet --db "$OUT/bench.duckdb" "$CAP")
		printf "%-6s %-10s %10s %10.2f %14.0f %10.0f\n" "$r" "$t" "$s" "$c" "$(echo "$PACKETS / $s" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
		sum[$t]=$(echo "${sum[$t]} + $s" | bc -l)
	done
	read -r s c rss < <(measure tcpdump -nr "$CAP" -w /dev/null "$FILTER")
	printf "%-6s %-10s %10s %10.2f %14.0f %10.0f\n" "$r" tcpdump "$s" "$c" "$(echo "$PACKETS / $s" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
	sum[tcpdump]=$(echo "${sum[tcpdump]} + $s" | bc -l)
done
for t in "${tools[@]}"; do
	printf "mean: %s %.0f packets/s, tcpdump %.0f packets/s, ratio %s/tcpdump %.2f\n" "$t" \
		"$(echo "$PACKETS * $ROUNDS / ${sum[$t]}" | bc -l)" "$(echo "$PACKETS * $ROUNDS / ${sum[tcpdump]}" | bc -l)" "$t" "$(echo "${sum[tcpdump]} / ${sum[$t]}" | bc -l)"
done
echo "load after: $(uptime)"
