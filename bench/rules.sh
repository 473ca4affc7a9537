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

measure() { # prints wall seconds and CPU (user + system) seconds
	local t0 t1 cpu
	rm -f "$OUT/rules.duckdb" "$OUT/rules.duckdb.wal"
	t0=$(date +%s.%N)
	cpu=$( { TIMEFORMAT='%U %S'; time "$OUT/honeyscope" ingest --quiet --db "$OUT/rules.duckdb" "$@" "$CAP" >/dev/null 2>"$OUT/rules-stderr.txt"; } 2>&1) || {
		cat "$OUT/rules-stderr.txt" >&2
		exit 1
	}
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc -l
	echo "$cpu" | awk '{print $1 + $2}'
}

# Other jobs on a shared machine move single runs by 2x: besides the mean
# of the wall times the script prints each round's ratio, their median, and
# the ratio of CPU seconds (user + system), which waiting for a core does
# not inflate.
printf "%-6s %-10s %12s %14s %10s %8s\n" round rules seconds packets/s cpu-s ratio
sum_b=0
sum_r=0
sum_cb=0
sum_cr=0
ratios=()
for r in $(seq 1 "$ROUNDS"); do
	mapfile -t mb < <(measure)
	mapfile -t mx < <(measure --rules "$RULES")
	b=${mb[0]} cb=${mb[1]} x=${mx[0]} cx=${mx[1]}
	ratio=$(echo "$b / $x" | bc -l)
	ratios+=("$ratio")
	printf "%-6s %-10s %12.2f %14.0f %10.2f\n" "$r" built-in "$b" "$(echo "$PACKETS / $b" | bc -l)" "$cb"
	printf "%-6s %-10s %12.2f %14.0f %10.2f %8.2f\n" "$r" loaded "$x" "$(echo "$PACKETS / $x" | bc -l)" "$cx" "$ratio"
	sum_b=$(echo "$sum_b + $b" | bc -l)
	sum_r=$(echo "$sum_r + $x" | bc -l)
	sum_cb=$(echo "$sum_cb + $cb" | bc -l)
	sum_cr=$(echo "$sum_cr + $cx" | bc -l)
done
median=$(printf "%s\n" "${ratios[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}')
printf "mean: built-in %.0f packets/s, with %s %.0f packets/s, ratio %.2f\n" \
	"$(echo "$PACKETS * $ROUNDS / $sum_b" | bc -l)" "$RULES" "$(echo "$PACKETS * $ROUNDS / $sum_r" | bc -l)" "$(echo "$sum_b / $sum_r" | bc -l)"
printf "median of the rounds' ratios %.2f; CPU seconds: built-in %.2f, loaded %.2f per run, ratio %.2f\n" \
	"$median" "$(echo "$sum_cb / $ROUNDS" | bc -l)" "$(echo "$sum_cr / $ROUNDS" | bc -l)" "$(echo "$sum_cb / $sum_cr" | bc -l)"
