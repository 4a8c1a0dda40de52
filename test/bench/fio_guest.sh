#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Runs inside the rig guest (test/bench/fio.sh): 4 KiB random reads at QD1
# and QD32 on one controller, by fio through the pnvme engine, by
# pnvme_perf, then by fio with io_uring on the kernel driver (polled
# queues). One JSON line per result goes to $PNVME_RIG_JOB/results.jsonl.
set -u
SECS=${BENCH_SECONDS:-8}
OUT=$PNVME_RIG_JOB/results.jsonl
: >"$OUT"
DEPTHS="1 32"

bdf=$(basename "$(dirname "$(grep -l 0x010802 /sys/bus/pci/devices/*/class | head -n 1)")")
HUGEMEM=512 scripts/setup.sh config >/dev/null || exit 1

# fio_point DRIVER QD FIO-ARGS...: one fio run, its read side as a line.
fio_point() {
	_driver=$1 _qd=$2
	shift 2
	echo "# $_driver QD$_qd"
	fio --name=bench --direct=1 --rw=randread --bs=4k --iodepth="$_qd" --numjobs=1 \
		--time_based --runtime="$SECS" --norandommap --randrepeat=0 \
		--output-format=json --output="$PNVME_RIG_JOB/fio.json" "$@" \
		>"$PNVME_RIG_JOB/fio.log" 2>&1 || {
		cat "$PNVME_RIG_JOB/fio.log" "$PNVME_RIG_JOB/fio.json"
		exit 1
	}
	python3 - "$_driver" "$_qd" "$PNVME_RIG_JOB/fio.json" >>"$OUT" <<'PY'
import json, re, sys
# fio may put warning lines before the document.
job = json.loads(re.search(r"^\{.*", open(sys.argv[3]).read(), re.M | re.S).group(0))["jobs"][0]
assert job["error"] == 0, job["error"]
side, lat = job["read"], job["read"]["clat_ns"]
print(json.dumps({"driver": sys.argv[1], "qd": int(sys.argv[2]), "iops": side["iops"],
                  "mean_us": lat["mean"] / 1000.0,
                  "p99_us": lat["percentile"]["99.000000"] / 1000.0}))
PY
}

for qd in $DEPTHS; do
	fio_point "fio + pnvme engine" "$qd" --thread=1 \
		--ioengine=external:"$(pwd)/build/fio/pnvme_fio_engine.so" \
		--filename="trtype=PCIe traddr=$(echo "$bdf" | tr : .) ns=1"
	echo "# pnvme_perf QD$qd"
	build/bin/pnvme_perf -r "trtype:PCIe traddr:$bdf" -q "$qd" -o 4096 -w randread -t "$SECS" -L \
		--json >"$PNVME_RIG_JOB/perf.json" 2>"$PNVME_RIG_JOB/perf.err" || {
		cat "$PNVME_RIG_JOB/perf.err"
		exit 1
	}
	python3 - "$qd" "$PNVME_RIG_JOB/perf.json" >>"$OUT" <<'PY'
import json, sys
t = json.load(open(sys.argv[2]))["total"]
print(json.dumps({"driver": "pnvme_perf", "qd": int(sys.argv[1]), "iops": t["iops"],
                  "mean_us": t["avg_us"], "p99_us": t["p99"]}))
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
for qd in $DEPTHS; do
	fio_point "fio + kernel io_uring (polled)" "$qd" --filename=/dev/nvme0n1 \
		--ioengine=io_uring --hipri=1
done
echo "# done"
