#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Runs inside the rig guest (see scripts/bench.sh): the same points with
# pnvme_perf, then with the kernel driver on the same controller (fio:
# io_uring polled, io_uring with interrupts, libaio). One JSON line per
# result goes to $PNVME_RIG_JOB/results.jsonl, and pnvme's latency histogram
# of each point to latency-RW-qdN.csv beside it (the host draws them).
set -u
SECS=${BENCH_SECONDS:-8}
OUT=$PNVME_RIG_JOB/results.jsonl
: >"$OUT"
# name rw depth
POINTS="randread:1 randread:32 randread:128 randwrite:32"

# Ask the host (test/bench/qemu_threads.sh) to measure QEMU's threads two
# seconds into the run that starts now.
sample() {
	(sleep 2 && echo "$1" >"$PNVME_RIG_JOB/sample-request") &
}

bdf=$(basename "$(dirname "$(grep -l 0x010802 /sys/bus/pci/devices/*/class | head -n 1)")")
HUGEMEM=512 scripts/setup.sh config >/dev/null || exit 1

for p in $POINTS; do
	rw=${p%%:*} qd=${p##*:}
	echo "# pnvme_perf $rw QD$qd"
	sample "pnvme $rw QD$qd"
	build/bin/pnvme_perf -r "trtype:PCIe traddr:$bdf" -q "$qd" -o 4096 -w "$rw" -t "$SECS" -L \
		--json --latency-csv "$PNVME_RIG_JOB/latency-$rw-qd$qd.csv" \
		>"$PNVME_RIG_JOB/perf.json" 2>"$PNVME_RIG_JOB/perf.err" || {
		cat "$PNVME_RIG_JOB/perf.err"
		exit 1
	}
	python3 - "$rw" "$qd" "$PNVME_RIG_JOB/perf.json" >>"$OUT" <<'PY'
import json, sys
t = json.load(open(sys.argv[3]))["total"]
print(json.dumps({"driver": "pnvme", "rw": sys.argv[1], "qd": int(sys.argv[2]),
                  "iops": t["iops"], "mean_us": t["avg_us"], "p99_us": t["p99"],
                  "sq_db": t["sq_doorbells_per_io"], "cq_db": t["cq_doorbells_per_io"],
                  "shadow": t["shadow_doorbells"]}))
PY
done

# The same controller to the kernel driver, with polled queues.
echo "$bdf" >"/sys/bus/pci/devices/$bdf/driver/unbind"
modprobe nvme poll_queues=2 || exit 1
echo nvme >"/sys/bus/pci/devices/$bdf/driver_override"
echo "$bdf" >/sys/bus/pci/drivers_probe
for i in $(seq 100); do
	[ -b /dev/nvme0n1 ] && break
	sleep 0.1
done
[ -b /dev/nvme0n1 ] || { echo "kernel driver did not bring up /dev/nvme0n1"; exit 1; }

for p in $POINTS; do
	rw=${p%%:*} qd=${p##*:}
	for engine in io_uring_poll io_uring libaio; do
		case $engine in
		io_uring_poll) args="--ioengine=io_uring --hipri=1" ;;
		io_uring) args="--ioengine=io_uring" ;;
		libaio) args="--ioengine=libaio" ;;
		esac
		echo "# fio $engine $rw QD$qd"
		[ "$engine" = io_uring_poll ] && sample "kernel $engine $rw QD$qd"
		# shellcheck disable=SC2086
		fio --name=bench --filename=/dev/nvme0n1 --direct=1 --rw="$rw" --bs=4k \
			--iodepth="$qd" --numjobs=1 --time_based --runtime="$SECS" --norandommap \
			--randrepeat=0 $args --output-format=json >"$PNVME_RIG_JOB/fio.json" 2>&1 || {
			cat "$PNVME_RIG_JOB/fio.json"
			exit 1
		}
		python3 - "$engine" "$rw" "$qd" "$PNVME_RIG_JOB/fio.json" >>"$OUT" <<'PY'
import json, sys
job = json.load(open(sys.argv[4]))["jobs"][0]
side = job["read"] if "read" in sys.argv[2] else job["write"]
lat = side["clat_ns"]
print(json.dumps({"driver": "kernel " + sys.argv[1], "rw": sys.argv[2], "qd": int(sys.argv[3]),
                  "iops": side["iops"], "mean_us": lat["mean"] / 1000.0,
                  "p99_us": lat["percentile"]["99.000000"] / 1000.0}))
PY
	done
done
echo "# done"
