#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# NVMe/TCP benchmark: pnvme_perf on the host against the Linux kernel's
# target (nvmet-tcp on memory-backed null_blk) in the rig guest, through
# QEMU's loopback port forward; 4 KiB random read and write at QD1 and QD32,
# digests off and on. Prints IOPS and latency with the reference initiator's
# figures on this path, and writes the table to docs/performance.md.
#
#   test/bench/tcp.sh      (through scripts/bench.sh; BENCH_SECONDS=8 per point)
set -euo pipefail
cd "$(dirname "$0")/../.."

SECS=${BENCH_SECONDS:-8}
NQN=nqn.2026-11.io.pnvme:bench
PORT=${BENCH_TCP_PORT:-24421}
job=$(pwd)/.cache/bench/tcp
rm -rf "$job"
mkdir -p "$job"
make -j2 >/dev/null
HUGEMEM=256 scripts/setup.sh config >/dev/null

test/rig/guest_run.sh --job "$job" --hostfwd "$PORT:4420" --timeout 1800 -- \
	sh test/rig/nvmet_tcp_target.sh "$NQN" >"$job.rig.log" 2>&1 &
rig=$!
trap 'echo stop >"$job/target.cmd" 2>/dev/null; sleep 3; kill $rig 2>/dev/null || true' EXIT
for _ in $(seq 300); do
	[ -f "$job/target.ready" ] && break
	sleep 1
done
[ -f "$job/target.ready" ] || { cat "$job.rig.log"; exit 1; }

: >"$job/results.jsonl"
for digests in off on; do
	dargs=()
	[ "$digests" = on ] && dargs=(--header-digest --data-digest)
	for point in randread:1 randread:32 randwrite:1 randwrite:32; do
		rw=${point%%:*} qd=${point##*:}
		echo "# pnvme_perf TCP $rw QD$qd digests $digests"
		build/bin/pnvme_perf -r "trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:$PORT subnqn:$NQN" \
			-q "$qd" -o 4096 -w "$rw" -t "$SECS" -L --json "${dargs[@]}" >"$job/perf.json" \
			2>"$job/perf.err" || { cat "$job/perf.err"; exit 1; }
		python3 - "$rw" "$qd" "$digests" "$job/perf.json" >>"$job/results.jsonl" <<'PY'
import json, sys
t = json.load(open(sys.argv[4]))["total"]
print(json.dumps({"rw": sys.argv[1], "qd": int(sys.argv[2]), "digests": sys.argv[3],
                  "iops": t["iops"], "mean_us": t["avg_us"], "p99_us": t["p99"]}))
PY
	done
done

python3 - "$job/results.jsonl" docs/performance.md <<'PY'
import datetime, json, sys
# The mature userspace initiator on this same path (digests off).
ref = {("randread", 1): 2350, ("randread", 32): 10000, ("randwrite", 1): 2270,
       ("randwrite", 32): 10200}
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
lines = ["| 4 KiB point | digests | IOPS | mean (us) | p99 (us) | reference IOPS | pnvme / reference |",
         "|---|---|---:|---:|---:|---:|---:|"]
for r in rows:
    k = (r["rw"], r["qd"])
    lines.append("| %s QD%d | %s | %.0f | %.1f | %.1f | %s | %s |" % (
        r["rw"], r["qd"], r["digests"], r["iops"], r["mean_us"], r["p99_us"],
        "%d" % ref[k] if r["digests"] == "off" else "-",
        "**%.2fx**" % (r["iops"] / ref[k]) if r["digests"] == "off" else "-"))
table = "\n".join(lines)
print(table)
start, end = "<!-- bench:tcp:start -->", "<!-- bench:tcp:end -->"
block = "%s\nMeasured %s with `scripts/bench.sh tcp`.\n\n%s\n%s" % (
    start, datetime.date.today().isoformat(), table, end)
doc = open(sys.argv[2]).read()
if start in doc and end in doc:
    doc = doc[:doc.index(start)] + block + doc[doc.index(end) + len(end):]
else:
    doc += "\n## NVMe/TCP\n\n" + block + "\n"
open(sys.argv[2], "w").write(doc)
PY
