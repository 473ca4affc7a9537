#!/usr/bin/env bash
# Ingest with the built-in rules only against ingest with a whole rule set
# loaded too (--rules), on the same synthetic capture, alternately for
# several rounds. Prints packets/s of both and their ratio.
#
#   RULES=path/to/et-open-2025-08-17 bench/rules.sh
#   PACKETS=2000000 ROUNDS=5 RULES=... bench/rules.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PACKETS=${PACKETS:-10000000}
ROUNDS=${ROUNDS:-3}
DAYS=${DAYS:-7}
OUT=${OUT:-bench/out}
: "${RULES:?set RULES to a rule file or directory}"
mkdir -p "$OUT"
go build -o "$OUT/honeyscope" ./cmd/honeyscope
CAP="$OUT/bench-$PACKETS.pcap"
if [ ! -s "$CAP" ]; then
	"$OUT/honeyscope" synth --out "$CAP" --packets "$PACKETS" --days "$DAYS" --seed 1
fi
echo "capture: $CAP ($PACKETS packets); rules: $RULES; $(nproc) CPUs"
cat "$CAP" >/dev/null # page cache

measure() { # prints seconds
	local t0 t1
	rm -f "$OUT/rules.duckdb" "$OUT/rules.duckdb.wal"
	t0=$(date +%s.%N)
	"$OUT/honeyscope" ingest --quiet --db "$OUT/rules.duckdb" "$@" "$CAP" >/dev/null 2>"$OUT/rules-stderr.txt" || {
		cat "$OUT/rules-stderr.txt" >&2
		exit 1
	}
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc -l
}

printf "%-6s %-10s %12s %14s\n" round rules seconds packets/s
sum_b=0
sum_r=0
for r in $(seq 1 "$ROUNDS"); do
	b=$(measure)
	x=$(measure --rules "$RULES")
	printf "%-6s %-10s %12.2f %14.0f\n" "$r" built-in "$b" "$(echo "$PACKETS / $b" | bc -l)"
	printf "%-6s %-10s %12.2f %14.0f\n" "$r" loaded "$x" "$(echo "$PACKETS / $x" | bc -l)"
	sum_b=$(echo "$sum_b + $b" | bc -l)
	sum_r=$(echo "$sum_r + $x" | bc -l)
done
printf "mean: built-in %.0f packets/s, with %s %.0f packets/s, ratio %.2f\n" \
	"$(echo "$PACKETS * $ROUNDS / $sum_b" | bc -l)" "$RULES" "$(echo "$PACKETS * $ROUNDS / $sum_r" | bc -l)" "$(echo "$sum_b / $sum_r" | bc -l)"
