#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Benchmark: in one guest boot, QEMU's controller on the null-co backend,
# 4 KiB random reads at QD1 and QD32 by fio through the pnvme engine, by
# pnvme_perf, and by fio with io_uring (polled) on the kernel driver.
# Prints IOPS, mean and p99 latency and the ratios, and writes the table to
# docs/performance.md.
#
#   test/bench/fio.sh     (through scripts/bench.sh fio; BENCH_SECONDS=8 per point)
set -euo pipefail
cd "$(dirname "$0")/../.."

job=$(pwd)/.cache/bench/fio
rm -rf "$job"
mkdir -p "$job"
make -j2 >/dev/null
make fio-engine >/dev/null

test/rig/guest_run.sh --job "$job" --ctrl PNVMEBENCH1:null1G --mem 2048 --timeout 1800 -- \
	env BENCH_SECONDS="${BENCH_SECONDS:-8}" sh test/bench/fio_guest.sh

python3 - "$job/results.jsonl" docs/performance.md <<'PY'
import datetime, json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
engine, perf, kernel = "fio + pnvme engine", "pnvme_perf", "fio + kernel io_uring (polled)"
lines = ["| 4 KiB randread | driver | IOPS | mean (us) | p99 (us) |", "|---|---|---:|---:|---:|"]
ratio = ["| 4 KiB randread | fio + pnvme engine / pnvme_perf | fio + pnvme engine / fio + kernel io_uring |",
         "|---|---:|---:|"]
for qd in sorted({r["qd"] for r in rows}):
    got = {r["driver"]: r for r in rows if r["qd"] == qd}
    for d in (engine, perf, kernel):
        if d in got:
            r = got[d]
            lines.append("| QD%d | %s | %.0f | %.1f | %.1f |" % (qd, d, r["iops"], r["mean_us"], r["p99_us"]))
    if engine in got and perf in got and kernel in got:
        ratio.append("| QD%d | %.2f | **%.1fx** |" % (qd, got[engine]["iops"] / got[perf]["iops"],
                                                       got[engine]["iops"] / got[kernel]["iops"]))
table, ratio = "\n".join(lines), "\n".join(ratio)
print(table)
print()
print(ratio)
doc = open(sys.argv[2]).read()
start, end = "<!-- bench:fio:start -->", "<!-- bench:fio:end -->"
block = "%s\nMeasured %s with `scripts/bench.sh fio`, all in one guest boot.\n\n%s\n\n%s\n%s" % (
    start, datetime.date.today().isoformat(), ratio, table, end)
if start in doc and end in doc:
    doc = doc[:doc.index(start)] + block + doc[doc.index(end) + len(end):]
else:
    doc += "\n" + block + "\n"
open(sys.argv[2], "w").write(doc)
PY
