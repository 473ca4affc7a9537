#!/usr/bin/env bash
# Dashboard reads through a running `honeyscope serve`: the API calls a
# dashboard page needs, each repeated, with median and p95 of the time the
# answer took (curl's time_total on loopback: server time plus well under a
# millisecond), then the whole `report` of the period through the owner.
#
#   bench/serve.sh STORE FROM TO [RUNS]
#
# STORE is an existing store (bench/ingest.sh or `honeyscope ingest` make
# one); FROM/TO the period (YYYY-MM-DD). Needs curl. Prints a Markdown table.
set -euo pipefail
store=${1:?usage: bench/serve.sh STORE FROM TO [RUNS]}
from=${2:?FROM}
to=${3:?TO}
runs=${4:-21}
hs=${HONEYSCOPE:-honeyscope}
port=${PORT:-18088}
base="http://127.0.0.1:$port/api/v1"

"$hs" --db "$store" serve --listen "127.0.0.1:$port" 2>serve.log &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "$base/health" >/dev/null 2>&1 && break; sleep 0.2; done

# A source to ask for: the one with most Mirai packets over the period.
src=$(curl -sf "$base/stats?by=src&class=mirai&top=1&from=$from&to=$to" | sed -n 's/.*"src": *"\([^"]*\)".*/\1/p' | head -1)

p="from=$from&to=$to"
calls=(
	"series?class=mirai&by=country&top=10&$p"
	"series?class=mirai&by=country&top=10&unit=sources&$p"
	"series?class=mirai&by=port&top=10&$p"
	"series?class=mirai&by=port&top=10&unit=sources&$p"
	"series?class=mirai&by=asn&top=10&$p"
	"series?class=mirai&by=asn&top=10&unit=sources&$p"
	"top?class=mirai&by=country&top=20&$p"
	"top?class=mirai&by=port&top=20&$p"
	"top?class=mirai&by=asn&top=20&$p"
	"totals?$p"
	"source/$src?$p"
	"coverage?$p"
	"spikes?class=mirai&$p"
)
echo "| call | median ms | p95 ms |"
echo "|---|---:|---:|"
for c in "${calls[@]}"; do
	curl -sf "$base/$c" >/dev/null || { echo "| \`$c\` | failed | |"; continue; }
	ts=$(for _ in $(seq "$runs"); do curl -s -o /dev/null -w '%{time_total}\n' "$base/$c"; done | sort -n)
	med=$(echo "$ts" | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]*1000}')
	p95=$(echo "$ts" | awk '{a[NR]=$1} END {i=int(NR*0.95+0.999); if (i>NR) i=NR; printf "%.1f", a[i]*1000}')
	echo "| \`${c%%&from=*}\` | $med | $p95 |"
done
out=$(mktemp -d)
s=$(date +%s.%N)
"$hs" --db "$store" report --from "$from" --to "$to" --out "$out" >/dev/null 2>&1
e=$(date +%s.%N)
echo
echo "report $from – $to through serve: $(echo "$e - $s" | bc) s"
rm -rf "$out"
