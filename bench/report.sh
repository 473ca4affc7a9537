#!/usr/bin/env bash
# The whole `report` of a period by two builds of honeyscope, alternating,
# each on its own copy of the store (the original is only read): CPU
# seconds (user + sys), wall seconds, peak RSS and the load average before
# each run, the wall time of each store question from -v (summed over its
# calls; questions run side by side, so these overlap), and whether the
# two builds wrote the same folder apart from its generation time.
#
#   bench/report.sh OLD_BINARY NEW_BINARY STORE FROM TO [ROUNDS] [WORKDIR]
#
# Needs GNU time (/usr/bin/time). Prints Markdown tables.
set -euo pipefail
old=${1:?usage: bench/report.sh OLD_BINARY NEW_BINARY STORE FROM TO [ROUNDS] [WORKDIR]}
new=${2:?NEW_BINARY}
store=${3:?STORE}
from=${4:?FROM}
to=${5:?TO}
rounds=${6:-2}
work=${7:-$(mktemp -d)}
mkdir -p "$work"
cp "$store" "$work/old.duckdb"
cp "$store" "$work/new.duckdb"

echo "| run | load (1 min) | wall s | CPU s (user + sys) | peak RSS KiB |"
echo "|---|---:|---:|---:|---:|"
for r in $(seq "$rounds"); do
	for b in old new; do
		bin=$old
		[ "$b" = new ] && bin=$new
		load=$(cut -d' ' -f1 /proc/loadavg)
		rm -rf "$work/out-$b"
		/usr/bin/time -o "$work/time-$b-$r" -f '%e %U %S %M' "$bin" report --db "$work/$b.duckdb" \
			--from "$from" --to "$to" --out "$work/out-$b" -v >"$work/log-$b-$r" 2>&1
		read -r wall user sys rss <"$work/time-$b-$r"
		cpu=$(echo "$user + $sys" | bc)
		echo "| $b $r | $load | $wall | $cpu ($user + $sys) | $rss |"
	done
done

echo
echo "| question | calls | old s (round 1) | new s (round 1) |"
echo "|---|---:|---:|---:|"
sum() {
	sed -n 's/.*msg="store question" q=\([A-Za-z]*\) took=\(.*\)$/\1 \2/p' "$1" |
		awk '{ v = $2; if (v ~ /ms$/) { sub(/ms$/, "", v); v /= 1000 } else if (v ~ /µs$/) { sub(/µs$/, "", v); v /= 1e6 } else { sub(/s$/, "", v) }
			n[$1]++; t[$1] += v } END { for (q in n) printf "%s %d %.3f\n", q, n[q], t[q] }' | sort
}
join -a1 -a2 -e0 -o 0,1.2,1.3,2.3 <(sum "$work/log-old-1") <(sum "$work/log-new-1") |
	sort -k3 -nr | awk '{ printf "| `%s` | %s | %s | %s |\n", $1, $2, $3, $4 }'

echo
if diff -r -I 'Generated' -I '"generated"' "$work/out-old" "$work/out-new" >/dev/null; then
	echo "The folders are identical apart from the generation time."
else
	echo "The folders DIFFER: diff -r $work/out-old $work/out-new"
fi
