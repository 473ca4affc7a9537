#!/usr/bin/env bash
# Ingest at darknet scale: synthesizes (once, kept in $OUT) captures of
# PACKETS packets in DAYS day(s) with 1, 4 and 10 million distinct sources
# (`synth --sources`), then for each alternately times a full `honeyscope
# ingest` into a fresh store and tcpdump with the Mirai filter on the same
# file, for ROUNDS rounds. Prints wall and CPU seconds, packets/s and peak RSS
# of both, and per capture the mean and honeyscope's CPU per million sources.
# Uses public tools only (tcpdump, GNU time).
#
#   bench/sources.sh                               # 10 M packets, 1 M, 4 M, 10 M sources
#   PACKETS=2000000 SOURCES="200000 800000 2000000" ROUNDS=3 bench/sources.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PACKETS=${PACKETS:-10000000}
SOURCES=${SOURCES:-1000000 4000000 10000000}
PORTS=${PORTS:-1}
ROUNDS=${ROUNDS:-2}
DAYS=${DAYS:-1}
OUT=${OUT:-bench/out}
FILTER='tcp[13]&0x12==2 and tcp[4:4]==ip[16:4]'

for tool in tcpdump /usr/bin/time bc; do
	command -v "$tool" >/dev/null || { echo "need $tool (apt-get install tcpdump time bc)" >&2; exit 1; }
done
mkdir -p "$OUT"
go build -o "$OUT/honeyscope" ./cmd/honeyscope

measure() { # prints "wall_s cpu_s maxrss_kib"
	/usr/bin/time -f "%e %U %S %M" -o "$OUT/time.txt" "$@" >/dev/null 2>"$OUT/stderr.txt" || {
		cat "$OUT/stderr.txt" >&2
		exit 1
	}
	read -r w u s m <"$OUT/time.txt"
	echo "$w $(echo "$u + $s" | bc -l) $m"
}

row() { # sources round tool wall cpu rss_kib
	printf "%-9s %-5s %-10s %8.2f %8.2f %12.0f %8.0f\n" "$1" "$2" "$3" "$4" "$5" "$(echo "$PACKETS / $4" | bc -l)" "$(echo "$6 / 1024" | bc -l)"
}

echo "$PACKETS packets in $DAYS day(s), $PORTS port(s) per swarm source; $(nproc) CPUs"
printf "%-9s %-5s %-10s %8s %8s %12s %8s\n" sources round tool wall_s cpu_s packets/s rss_MiB
summary=()
for n in $SOURCES; do
	CAP="$OUT/sources-$PACKETS-$DAYS-$n-$PORTS.pcap"
	if [ ! -s "$CAP" ] || [ ! -s "$CAP.truth.json" ]; then
		"$OUT/honeyscope" synth --out "$CAP" --packets "$PACKETS" --days "$DAYS" --seed 1 \
			--sources "$n" --ports-per-source "$PORTS" >/dev/null 2>&1
	fi
	cat "$CAP" >/dev/null # page cache
	hw=0 hc=0 hr=0 tw=0 tc=0
	for r in $(seq 1 "$ROUNDS"); do
		rm -f "$OUT/sources.duckdb" "$OUT/sources.duckdb.wal"
		read -r w c m < <(measure "$OUT/honeyscope" ingest --quiet --db "$OUT/sources.duckdb" "$CAP")
		row "$n" "$r" honeyscope "$w" "$c" "$m"
		hw=$(echo "$hw + $w" | bc -l) hc=$(echo "$hc + $c" | bc -l)
		[ "$m" -gt "$hr" ] && hr=$m
		read -r w c m < <(measure tcpdump -nr "$CAP" -w /dev/null "$FILTER")
		row "$n" "$r" tcpdump "$w" "$c" "$m"
		tw=$(echo "$tw + $w" | bc -l) tc=$(echo "$tc + $c" | bc -l)
	done
	summary+=("$(printf "%-9s %8.2f %8.2f %8.0f %8.2f %8.2f %6.2f %8.2f" "$n" \
		"$(echo "$hw / $ROUNDS" | bc -l)" "$(echo "$hc / $ROUNDS" | bc -l)" "$(echo "$hr / 1024" | bc -l)" \
		"$(echo "$tw / $ROUNDS" | bc -l)" "$(echo "$tc / $ROUNDS" | bc -l)" "$(echo "$tw / $hw" | bc -l)" \
		"$(echo "$hc / $ROUNDS / ($n / 1000000)" | bc -l)")")
done
rm -f "$OUT/sources.duckdb" "$OUT/sources.duckdb.wal"
echo
echo "means over $ROUNDS rounds (ratio: honeyscope's packets/s over tcpdump's; last column: honeyscope CPU-s per million sources)"
printf "%-9s %8s %8s %8s %8s %8s %6s %8s\n" sources hs_wall hs_cpu hs_MiB td_wall td_cpu ratio cpu/Msrc
printf "%s\n" "${summary[@]}"
