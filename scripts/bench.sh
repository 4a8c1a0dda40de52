#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Benchmark: one guest boot with QEMU's emulated controller on the null-co
# backend (no host disk I/O); pnvme_perf, then the kernel driver on the same
# controller. Prints IOPS, mean and p99 latency and pnvme / best kernel
# engine, and writes the table to docs/performance.md.
#
#   scripts/bench.sh            (BENCH_SECONDS=8 per point by default)
set -euo pipefail
cd "$(dirname "$0")/.."

job=$(pwd)/.cache/bench/pcie
rm -rf "$job"
mkdir -p "$job"
test/rig/guest_run.sh --job "$job" --ctrl PNVMEBENCH1:null1G --mem 2048 --timeout 1800 -- \
	env BENCH_SECONDS="${BENCH_SECONDS:-8}" sh test/bench/pcie_guest.sh

python3 - "$job/results.jsonl" docs/performance.md <<'PY'
import datetime, json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
points = []
for r in rows:
    key = (r["rw"], r["qd"])
    if key not in points:
        points.append(key)
lines = []
lines.append("| 4 KiB point | driver | IOPS | mean (us) | p99 (us) |")
lines.append("|---|---|---:|---:|---:|")
summary = []
for rw, qd in points:
    group = [r for r in rows if (r["rw"], r["qd"]) == (rw, qd)]
    for r in group:
        lines.append("| %s QD%d | %s | %.0f | %.1f | %.1f |" % (rw, qd, r["driver"], r["iops"],
                                                           r["mean_us"], r["p99_us"]))
    ours = [r for r in group if r["driver"] == "pnvme"]
    kernel = [r for r in group if r["driver"] != "pnvme"]
    if ours and kernel:
        best = max(kernel, key=lambda r: r["iops"])
        summary.append("| %s QD%d | %.0f | %.0f (%s) | **%.1fx** |" % (
            rw, qd, ours[0]["iops"], best["iops"], best["driver"], ours[0]["iops"] / best["iops"]))
table = "\n".join(lines)
ratio = "\n".join(["| 4 KiB point | pnvme IOPS | best kernel IOPS (engine) | pnvme / kernel |",
                   "|---|---:|---:|---:|"] + summary)
print(table)
print()
print(ratio)
doc = open(sys.argv[2]).read() if len(sys.argv) > 2 else ""
start, end = "<!-- bench:pcie:start -->", "<!-- bench:pcie:end -->"
block = "%s\nMeasured %s with `scripts/bench.sh`.\n\n%s\n\n%s\n%s" % (
    start, datetime.date.today().isoformat(), ratio, table, end)
if start in doc and end in doc:
    doc = doc[:doc.index(start)] + block + doc[doc.index(end) + len(end):]
else:
    doc += "\n" + block + "\n"
open(sys.argv[2], "w").write(doc)
PY
