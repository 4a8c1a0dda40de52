#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Runs inside the rig guest (test/bench/fio.sh): 4 KiB random reads at QD1
# and QD32 on one controller, by fio with its null engine (no device: fio's
# own ceiling), by fio through the pnvme engine, by pnvme_perf, then by fio
# with io_uring on the kernel driver (polled queues). One JSON line per
# result goes to $PNVME_RIG_JOB/results.jsonl, and each device fio point's
# latency histogram to latency-NAME-qdN.csv beside it (the host draws them).
# The engine's QD32 run is then repeated under `perf record` (CPU profile:
# profile-dso.txt and profile-sym.txt, one JSON line per shared object).
set -u
SECS=${BENCH_SECONDS:-8}
OUT=$PNVME_RIG_JOB/results.jsonl
: >"$OUT"
DEPTHS="1 32"

bdf=$(basename "$(dirname "$(grep -l 0x010802 /sys/bus/pci/devices/*/class | head -n 1)")")
HUGEMEM=512 scripts/setup.sh config >/dev/null || exit 1

# fio_job QD FIO-ARGS...: the options every fio run here shares ($WRAP, when
# set, is the command fio runs under).
WRAP=
fio_job() {
	_depth=$1
	shift
	# shellcheck disable=SC2086
	$WRAP fio --name=bench --direct=1 --rw=randread --bs=4k --iodepth="$_depth" --numjobs=1 \
		--time_based --runtime="$SECS" --norandommap --randrepeat=0 "$@"
}

# fio_point DRIVER QD CSV FIO-ARGS...: one fio run, its read side as a
# line; CSV (a name, or -): its latency histogram as latency-CSV-qdQD.csv.
fio_point() {
	_driver=$1 _qd=$2 _csv=$3
	shift 3
	echo "# $_driver QD$_qd"
	fio_job "$_qd" --output-format=json+ --output="$PNVME_RIG_JOB/fio.json" "$@" \
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
	[ "$_csv" = - ] || python3 scripts/fio_latency_csv.py "$PNVME_RIG_JOB/fio.json" \
		"$PNVME_RIG_JOB/latency-$_csv-qd$_qd.csv" "PCIe, $_driver" || exit 1
}

ENGINE="--thread=1 --ioengine=external:$(pwd)/build/fio/pnvme_fio_engine.so"
ENGINE_FILE="trtype=PCIe traddr=$(echo "$bdf" | tr : .) ns=1"

# fio's own ceiling: the same job on its null engine, no device at all.
for qd in $DEPTHS; do
	fio_point "fio, null engine (no device)" "$qd" - --thread=1 --ioengine=null --size=1G
done

for qd in $DEPTHS; do
	# shellcheck disable=SC2086
	fio_point "fio + pnvme engine" "$qd" pnvme-engine $ENGINE --filename="$ENGINE_FILE"
	# The same with fio's clock on the TSC instead of clock_gettime (the
	# guest's clock source is an emulated HPET: see the profile below).
	# shellcheck disable=SC2086
	fio_point "fio + pnvme engine, clocksource=cpu" "$qd" - $ENGINE --filename="$ENGINE_FILE" \
		--clocksource=cpu
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

# Where the engine's QD32 run spends its CPU time: the same run again (the
# measured one above is not slowed), with perf attached for $SECS s once its
# I/O has started (fio's status line shows the job running, "[r(1)]"), so
# that fio's start-up (loading its libraries, the engine's attach and
# hugepage set-up) is left out; then the share of samples per shared object
# and per symbol. The run lasts well past the $SECS s perf records: perf's
# own start in the emulated guest can take seconds.
echo "# perf record: fio + pnvme engine QD32"
WRAP="exec"
# shellcheck disable=SC2086
fio_job 32 $ENGINE --filename="$ENGINE_FILE" --runtime=$((SECS * 2 + 30)) --eta=always \
	--eta-newline=1 --eta-interval=250ms --output-format=json \
	--output="$PNVME_RIG_JOB/fio-profiled.json" >"$PNVME_RIG_JOB/fio-profiled.log" 2>&1 &
fio_pid=$!
WRAP=
for i in $(seq 600); do
	grep -q '\[r(1)\]' "$PNVME_RIG_JOB/fio-profiled.log" && break
	kill -0 "$fio_pid" 2>/dev/null || break
	sleep 0.5
done
if grep -q '\[r(1)\]' "$PNVME_RIG_JOB/fio-profiled.log" &&
	perf record -e cpu-clock -F 999 -g --no-buildid-cache -p "$fio_pid" \
		-o "$PNVME_RIG_JOB/perf.data" -- sleep "$SECS" >"$PNVME_RIG_JOB/perf-record.log" 2>&1 &&
	wait "$fio_pid"; then
	perf report -i "$PNVME_RIG_JOB/perf.data" --stdio --no-children -g none --sort dso \
		>"$PNVME_RIG_JOB/profile-dso.txt" 2>"$PNVME_RIG_JOB/perf-report.log"
	perf report -i "$PNVME_RIG_JOB/perf.data" --stdio --no-children -g none --sort dso,sym \
		>"$PNVME_RIG_JOB/profile-sym.txt" 2>>"$PNVME_RIG_JOB/perf-report.log"
	# The samples with clock_gettime anywhere in their call chain (the
	# library and the engine never call it: their clock is the TSC).
	perf report -i "$PNVME_RIG_JOB/perf.data" --stdio --no-children -g none --sort parent \
		-p clock_gettime >"$PNVME_RIG_JOB/profile-clock.txt" 2>>"$PNVME_RIG_JOB/perf-report.log"
	python3 - "$PNVME_RIG_JOB/profile-dso.txt" "$PNVME_RIG_JOB/profile-sym.txt" \
		"$PNVME_RIG_JOB/fio-profiled.json" "$PNVME_RIG_JOB/profile-clock.txt" >>"$OUT" <<'PY'
import json, re, sys
shares, symbols, clock = {}, [], 0.0
for line in open(sys.argv[4]):
    m = re.match(r"^\s+([\d.]+)%\s+(\S.*?)\s*$", line)
    if m and m.group(2) != "[other]":
        clock += float(m.group(1))
for line in open(sys.argv[1]):
    m = re.match(r"^\s+([\d.]+)%\s+(\S.*?)\s*$", line)
    if m:
        shares[m.group(2)] = float(m.group(1))
for line in open(sys.argv[2]):
    m = re.match(r"^\s+([\d.]+)%\s+(\S+)\s+\[.\]\s+(\S.*?)\s*$", line)
    if m and len(symbols) < 12:
        symbols.append([float(m.group(1)), m.group(2), m.group(3)])
samples = re.search(r"^# Samples: (\S+)", open(sys.argv[1]).read(), re.M)
job = json.loads(re.search(r"^\{.*", open(sys.argv[3]).read(), re.M | re.S).group(0))["jobs"][0]
print(json.dumps({"profile": "dso", "qd": 32, "shares": shares, "symbols": symbols,
                  "clock_gettime": clock,
                  "samples": samples.group(1) if samples else None,
                  "iops": job["read"]["iops"]}))
PY
else
	wait "$fio_pid"
	echo "perf record failed:"
	cat "$PNVME_RIG_JOB/fio-profiled.log" "$PNVME_RIG_JOB/perf-record.log"
	echo '{"profile": "dso", "error": "perf record failed in the guest"}' >>"$OUT"
fi

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
	fio_point "fio + kernel io_uring (polled)" "$qd" io_uring --filename=/dev/nvme0n1 \
		--ioengine=io_uring --hipri=1
done
echo "# done"
