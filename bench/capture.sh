#!/usr/bin/env bash
# Live capture benchmark: replays a synthesized capture into a veth pair in
# a network namespace made for it, at increasing rates, with `honeyscope
# serve --interface` capturing the other end. For each rate it prints what
# was sent, counted, dropped by the kernel and by the pipeline, the CPU
# serve spent per packet and its peak RSS; then the CPU per packet of
# `honeyscope ingest` on the same file, for the ratio. Needs root (netns,
# veth) and nft; traffic never leaves the namespace.
#
#   bench/capture.sh                              # 10 M packets, 300k..700k pps
#   PACKETS=1000000 RATES="200000 400000" bench/capture.sh
#   SERVE_FLAGS="--cpuprofile /tmp/serve.prof" RATES=300000 bench/capture.sh   # profile serve
#   REPLAY_FLAGS="-mode mmsg" bench/capture.sh     # the sendmmsg sender instead of the TX ring
#   HONEYSCOPE=/tmp/hs-b INGEST=0 RATES=0 bench/capture.sh  # another build, no file ingest
#   LOOPS=3 RATES=500000 bench/capture.sh          # the capture sent 3 times over (more intervals)
#
# The sender's CPU per packet (snd_ns/pkt) includes the kernel's veth
# receive path, which runs in its context: the copy into serve's ring too.
set -euo pipefail
cd "$(dirname "$0")/.."
PACKETS=${PACKETS:-10000000}
RATES=${RATES:-"300000 400000 500000 600000 700000"}
OUT=${OUT:-bench/out}
NS=hscapbench$$
SENSOR_NET=192.0.2.0/24,2001:db8:4e:100::/64

[ "$(id -u)" = 0 ] || { echo "bench/capture.sh needs root (network namespace, veth)" >&2; exit 1; }
for tool in ip nft /usr/bin/time bc; do
	command -v "$tool" >/dev/null || { echo "need $tool (apt-get install iproute2 nftables time bc)" >&2; exit 1; }
done
mkdir -p "$OUT"
if [ -n "${HONEYSCOPE:-}" ]; then # a binary built elsewhere (A/B runs)
	cp "$HONEYSCOPE" "$OUT/honeyscope"
else
	go build -o "$OUT/honeyscope" ./cmd/honeyscope
fi
go build -o "$OUT/replay" ./bench/replay
CAP="$OUT/bench-$PACKETS.pcap"
if [ ! -s "$CAP" ]; then
	"$OUT/honeyscope" synth --out "$CAP" --packets "$PACKETS" --days 7 --seed 1 >/dev/null
fi
cat "$CAP" >/dev/null # page cache

cleanup() {
	[ -n "${SERVE:-}" ] && kill "$SERVE" 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" link add va type veth peer name vb
ip -n "$NS" link set va up
ip -n "$NS" link set vb up
# Dropped after the capture taps have seen them (the netdev ingress hook
# runs after AF_PACKET), as a darknet sensor's firewall drops them: the
# IP stack's cost of refusing to route 10 M packets is not the capture's.
ip netns exec "$NS" nft -f - <<'NFT'
table netdev hscapbench {
	chain in { type filter hook ingress device "vb" priority 0; policy drop; }
}
NFT

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)

printf "%-9s %10s %11s %10s %10s %10s %11s %9s %11s\n" rate sent sent/s counted kdrops qdrops cpu_ns/pkt rss_MiB snd_ns/pkt
for rate in $RATES; do
	rm -f "$OUT/cap.duckdb" "$OUT/cap.duckdb.wal"
	ip netns exec "$NS" "$OUT/honeyscope" ${SERVE_FLAGS:-} serve --db "$OUT/cap.duckdb" --listen 127.0.0.1:18099 \
		--interface vb --sensor bench --sensor-net "$SENSOR_NET" ${CAPTURE_FLAGS:-} 2>"$OUT/serve.log" &
	SERVE=$!
	for _ in $(seq 100); do grep -q '"serving"\|msg=serving' "$OUT/serve.log" && break; sleep 0.1; done
	c0=$(cpu_ticks "$SERVE")
	ip netns exec "$NS" "$OUT/replay" ${REPLAY_FLAGS:-} -loop "${LOOPS:-1}" -i va -pps "$rate" "$CAP" >"$OUT/replay.txt"
	sent=$(awk 'NR == 1 {print $2}' "$OUT/replay.txt")
	achieved=$(awk 'NR == 1 {print $(NF-1)}' "$OUT/replay.txt")
	sndcpu=$(awk '$1 == "sender" {print $3}' "$OUT/replay.txt")
	sleep 0.5
	rss=$(awk '/VmHWM/ {print $2}' "/proc/$SERVE/status")
	kill -TERM "$SERVE" # commits the interval in progress
	c1=$c0
	while [ -e "/proc/$SERVE/stat" ]; do c1=$(cpu_ticks "$SERVE" 2>/dev/null || echo "$c1"); sleep 0.05; done
	wait "$SERVE" || true
	SERVE=
	counted=$("$OUT/honeyscope" --db "$OUT/cap.duckdb" stats --format csv | tail -1 | cut -d, -f1)
	drops() { "$OUT/honeyscope" --db "$OUT/cap.duckdb" coverage --sensor bench --format json | awk -v k="\"$1\":" '$1 == k {gsub(/,/, "", $2); s += $2} END {printf "%d\n", s}'; }
	kd=$(drops kernel_drops)
	qd=$(drops queue_drops)
	printf "%-9s %10s %11.0f %10s %10s %10s %11.0f %9.0f %11s\n" "$rate" "$sent" "$achieved" "$counted" "$kd" "$qd" \
		"$(echo "($c1 - $c0) * 1000000000 / $HZ / $sent" | bc -l)" "$(echo "$rss / 1024" | bc -l)" "$sndcpu"
done

[ "${INGEST:-1}" = 0 ] && exit 0 # INGEST=0: no file ingest for the ratio
rm -f "$OUT/cap.duckdb" "$OUT/cap.duckdb.wal"
/usr/bin/time -f "%U %S" -o "$OUT/time.txt" "$OUT/honeyscope" ingest --quiet --db "$OUT/cap.duckdb" --sensor bench "$CAP" >/dev/null
read -r u s <"$OUT/time.txt"
printf "file ingest of the same capture: %.0f ns CPU per packet\n" "$(echo "($u + $s) * 1000000000 / $PACKETS" | bc -l)"
