#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Benchmark: one guest boot with the kernel's NVMe-oF target on memory-backed
# null_blk, served over NVMe/RDMA (soft-RoCE) and NVMe/TCP; 4 KiB random
# reads and writes at QD1 and QD32 with pnvme over RDMA, pnvme over TCP and
# the kernel's own NVMe/RDMA host (fio io_uring), all measured in that boot.
# Prints IOPS, mean and p99 latency and pnvme RDMA / kernel host, and
# writes the table to docs/performance.md, with a latency plot of each
# pnvme RDMA point (nice 0 and nice 19) in docs/img/.
#
#   test/bench/rdma.sh     (through scripts/bench.sh rdma; BENCH_SECONDS=8 per point)
set -euo pipefail
cd "$(dirname "$0")/../.."

job=$(pwd)/.cache/bench/rdma
NQN=nqn.2026-12.io.pnvme:bench
rm -rf "$job"
mkdir -p "$job"
command -v nvme >/dev/null || { echo "bench: needs nvme-cli (scripts/pkgdep.sh)" >&2; exit 1; }
make -j2 >/dev/null

cp test/bench/rdma_guest.sh "$job/guest_check.sh"
test/rig/guest_run.sh --job "$job" --hostfwd "${BENCH_RDMA_PORT:-24431}:4420" --timeout 1800 -- \
	env NVMET_TRTYPE=rdma NVMET_EXIT_AFTER_CHECK=1 BENCH_NQN="$NQN" \
	BENCH_SECONDS="${BENCH_SECONDS:-8}" sh test/rig/nvmet_target.sh "$NQN" >"$job/rig.log" 2>&1 || true
if [ "$(cat "$job/guest_check.rc" 2>/dev/null)" != 0 ]; then
	cat "$job/rig.log" "$job/guest_check.log" 2>/dev/null
	echo "bench rdma: the guest part failed" >&2
	exit 1
fi

# pnvme's RDMA latency at each point, at both priorities, drawn next to the
# doc (the guest also leaves the TCP runs' histograms in the job folder).
mkdir -p docs/img
for csv in "$job"/latency-rdma-*.csv; do
	[ -e "$csv" ] || continue
	point=$(basename "$csv" .csv)
	point=${point#latency-}
	label="RDMA (soft-RoCE), kernel target"
	[[ $point == rdma-nice19-* ]] && label+=", nice 19"
	scripts/latency_plot.sh --label "$label" "$csv" "docs/img/$point.svg"
done

python3 - "$job/results.jsonl" docs/performance.md <<'PY'
import datetime, json, os, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
points = []
for r in rows:
    if (r["rw"], r["qd"]) not in points:
        points.append((r["rw"], r["qd"]))
lines = ["| 4 KiB point | initiator | IOPS | mean (us) | p99 (us) |", "|---|---|---:|---:|---:|"]
summary = ["| 4 KiB point | pnvme RDMA | IOPS | kernel RDMA host IOPS | pnvme / kernel | "
           "mean (us) pnvme / kernel |", "|---|---|---:|---:|---:|---:|"]
for rw, qd in points:
    group = {r["driver"]: r for r in rows if (r["rw"], r["qd"]) == (rw, qd)}
    for name in ("pnvme RDMA", "pnvme RDMA, nice 19", "pnvme TCP", "pnvme TCP, nice 19",
                 "kernel RDMA host"):
        if name in group:
            r = group[name]
            lines.append("| %s QD%d | %s | %.0f | %.1f | %.1f |" % (
                rw, qd, name, r["iops"], r["mean_us"], r["p99_us"]))
    for name, label in (("pnvme RDMA", "nice 0"), ("pnvme RDMA, nice 19", "nice 19")):
        if name in group and "kernel RDMA host" in group:
            a, b = group[name], group["kernel RDMA host"]
            summary.append("| %s QD%d | %s | %.0f | %.0f | **%.2fx** | %.1f / %.1f |" % (
                rw, qd, label, a["iops"], b["iops"], a["iops"] / b["iops"], a["mean_us"],
                b["mean_us"]))
ratio, table = "\n".join(summary), "\n".join(lines)
# The plots drawn above, nice 0 then nice 19 for each point.
plots = []
for rw, qd in points:
    for slug, name in (("rdma", "pnvme RDMA"), ("rdma-nice19", "pnvme RDMA, nice 19")):
        if os.path.exists(os.path.join(os.path.dirname(sys.argv[1]),
                                       "latency-%s-%s-qd%d.csv" % (slug, rw, qd))):
            plots.append("![%s latency, 4 KiB %s QD%d: histogram, CDF, p50/p90/p99/p99.9]"
                         "(img/%s-%s-qd%d.svg)" % (name, rw, qd, slug, rw, qd))
print(ratio)
print()
print(table)
doc = open(sys.argv[2]).read()
start, end = "<!-- bench:rdma:start -->", "<!-- bench:rdma:end -->"
block = "%s\nMeasured %s with `scripts/bench.sh rdma`, all in one guest boot.\n\n%s\n\n%s\n%s%s" % (
    start, datetime.date.today().isoformat(), ratio, table,
    ("\npnvme's latency over RDMA at each point, at normal priority and at nice 19 "
     "(`pnvme_perf --latency-csv`, drawn by `scripts/latency_plot.sh`):\n\n%s\n" %
     "\n\n".join(plots)) if plots else "", end)
if start in doc and end in doc:
    doc = doc[:doc.index(start)] + block + doc[doc.index(end) + len(end):]
else:
    doc += "\n" + block + "\n"
open(sys.argv[2], "w").write(doc)
PY
