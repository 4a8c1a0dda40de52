#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Host side of scripts/bench.sh: when the guest asks (it writes a label to
# JOB/sample-request), measure how busy each QEMU thread is for SECONDS and
# append "label<TAB>thread<TAB>percent of one host core" lines to
# JOB/threads.tsv. Ends with QEMU.
#
#   test/bench/qemu_threads.sh JOB [SECONDS]
set -u
job=$1
secs=${2:-4}
hz=$(getconf CLK_TCK)

pid=
for _ in $(seq 600); do
	pid=$(cat "$job/.rig/qemu.pid" 2>/dev/null) && [[ -d /proc/$pid ]] && break
	pid=
	sleep 0.2
done
[[ -n $pid ]] || exit 0

# tid name utime+stime (ticks), one line per thread.
snapshot() {
	local t
	for t in /proc/"$pid"/task/*; do
		# Fields after the ")" that ends the name: utime is 14th, stime 15th overall.
		awk -v tid="${t##*/}" -v name="$(cat "$t/comm" 2>/dev/null)" \
			'{ sub(/^.*\) /, ""); print tid "\t" name "\t" ($12 + $13) }' "$t/stat" 2>/dev/null
	done
}

while [[ -d /proc/$pid ]]; do
	if [[ -f $job/sample-request ]]; then
		label=$(cat "$job/sample-request")
		rm -f "$job/sample-request"
		before=$(snapshot)
		sleep "$secs"
		after=$(snapshot)
		LC_ALL=C join -t $'\t' <(LC_ALL=C sort <<<"$before") <(LC_ALL=C sort <<<"$after") |
			awk -F'\t' -v label="$label" -v hz="$hz" -v secs="$secs" \
				'{ pct = ($5 - $3) * 100.0 / hz / secs; if (pct >= 1) printf "%s\t%s\t%.0f\n", label, $2, pct }' \
				>>"$job/threads.tsv"
	fi
	sleep 0.2
done
