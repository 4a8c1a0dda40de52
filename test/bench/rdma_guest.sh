#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Runs inside the rig guest (see test/bench/rdma.sh), next to the kernel's
# NVMe-oF target that test/rig/nvmet_target.sh serves over NVMe/RDMA
# (soft-RoCE) on 10.0.2.15:4420. The same subsystem also gets an NVMe/TCP
# port (4421). Each 4 KiB point runs with pnvme over RDMA and over TCP (at
# normal priority and at nice 19), then the kernel's own NVMe/RDMA host (nvme-cli connect, fio io_uring on
# the block device). One JSON line per result goes to
# $PNVME_RIG_JOB/results.jsonl, and each pnvme run's latency histogram to
# latency-TRANSPORT[-nice19]-RW-qdN.csv beside it (the host draws them).
set -u
SECS=${BENCH_SECONDS:-8}
OUT=$PNVME_RIG_JOB/results.jsonl
CFG=/sys/kernel/config/nvmet
NQN=$BENCH_NQN
POINTS="randread:1 randread:32 randwrite:1 randwrite:32"
: >"$OUT"

HUGEMEM=512 scripts/setup.sh config >/dev/null || exit 1
modprobe nvmet-tcp || exit 1
mkdir "$CFG/ports/2" || exit 1
echo tcp >"$CFG/ports/2/addr_trtype"
echo ipv4 >"$CFG/ports/2/addr_adrfam"
echo 10.0.2.15 >"$CFG/ports/2/addr_traddr"
echo 4421 >"$CFG/ports/2/addr_trsvcid"
ln -s "$CFG/subsystems/$NQN" "$CFG/ports/2/subsystems/$NQN" || exit 1

perf_point() { # driver trid rw qd [nice]
	echo "# $1 $3 QD$4"
	# "pnvme RDMA, nice 19" -> rdma-nice19
	csv=$PNVME_RIG_JOB/latency-$(echo "$1" | sed 's/^pnvme //; s/, nice /-nice/' |
		tr '[:upper:]' '[:lower:]')-$3-qd$4.csv
	# On core 1. The target's kernel work shares the guest's two vCPUs
	# with the polling initiator: at nice 19 it runs before the poll loop
	# wherever it lands (a real target has CPUs of its own).
	nice -n "${5:-0}" build/bin/pnvme_perf -r "$2" -q "$4" -o 4096 -w "$3" -t "$SECS" -c 0x2 -L --json \
		--latency-csv "$csv" >"$PNVME_RIG_JOB/perf.json" 2>"$PNVME_RIG_JOB/perf.err" || {
		cat "$PNVME_RIG_JOB/perf.err"
		exit 1
	}
	python3 - "$1" "$3" "$4" "$PNVME_RIG_JOB/perf.json" >>"$OUT" <<'PY'
import json, sys
t = json.load(open(sys.argv[4]))["total"]
print(json.dumps({"driver": sys.argv[1], "rw": sys.argv[2], "qd": int(sys.argv[3]),
                  "iops": t["iops"], "mean_us": t["avg_us"], "p99_us": t["p99"]}))
PY
}

for p in $POINTS; do
	rw=${p%%:*} qd=${p##*:}
	for n in 0 19; do
		suffix=
		[ $n = 0 ] || suffix=", nice $n"
		perf_point "pnvme RDMA$suffix" \
			"trtype:RDMA adrfam:IPv4 traddr:10.0.2.15 trsvcid:4420 subnqn:$NQN" "$rw" "$qd" $n
		perf_point "pnvme TCP$suffix" \
			"trtype:TCP adrfam:IPv4 traddr:10.0.2.15 trsvcid:4421 subnqn:$NQN" "$rw" "$qd" $n
	done
done

# The kernel's NVMe/RDMA host on the same target and namespace.
modprobe nvme-rdma || exit 1
nvme connect -t rdma -a 10.0.2.15 -s 4420 -n "$NQN" \
	--hostnqn=nqn.2014-08.org.nvmexpress:uuid:5b1e0c5e-6a1d-4c8b-9d1a-0b2c3d4e5f60 ||
	exit 1
dev=
for i in $(seq 100); do
	dev=$(ls /dev/nvme*n1 2>/dev/null | head -n 1)
	[ -n "$dev" ] && break
	sleep 0.1
done
[ -n "$dev" ] || { echo "the kernel host made no block device"; exit 1; }
for p in $POINTS; do
	rw=${p%%:*} qd=${p##*:}
	echo "# kernel RDMA host, fio io_uring $rw QD$qd"
	fio --name=bench --filename="$dev" --direct=1 --rw="$rw" --bs=4k --iodepth="$qd" \
		--numjobs=1 --time_based --runtime="$SECS" --norandommap --randrepeat=0 \
		--ioengine=io_uring --cpus_allowed=1 --output-format=json >"$PNVME_RIG_JOB/fio.json" 2>&1 || {
		cat "$PNVME_RIG_JOB/fio.json"
		exit 1
	}
	python3 - "$rw" "$qd" "$PNVME_RIG_JOB/fio.json" >>"$OUT" <<'PY'
import json, sys
job = json.load(open(sys.argv[3]))["jobs"][0]
side = job["read"] if "read" in sys.argv[1] else job["write"]
lat = side["clat_ns"]
print(json.dumps({"driver": "kernel RDMA host", "rw": sys.argv[1], "qd": int(sys.argv[2]),
                  "iops": side["iops"], "mean_us": lat["mean"] / 1000.0,
                  "p99_us": lat["percentile"]["99.000000"] / 1000.0}))
PY
done
nvme disconnect -n "$NQN" >/dev/null
