#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Benchmark: one guest boot with QEMU's emulated controller on the null-co
# backend (no host disk I/O); pnvme_perf, then the kernel driver on the same
# controller. Prints IOPS, mean and p99 latency and pnvme / best kernel
# engine, and writes the table to docs/performance.md, with a latency plot
# of each pnvme point in docs/img/.
#
#   test/bench/pcie.sh     (through scripts/bench.sh; BENCH_SECONDS=8 per point)
set -euo pipefail
cd "$(dirname "$0")/../.."

job=$(pwd)/.cache/bench/pcie
rm -rf "$job"
mkdir -p "$job"
command -v valgrind >/dev/null || { echo "bench: needs valgrind (scripts/pkgdep.sh)" >&2; exit 1; }
make -j2 >/dev/null

test/bench/qemu_threads.sh "$job" 4 &
monitor=$!
test/rig/guest_run.sh --job "$job" --ctrl PNVMEBENCH1:null1G --mem 2048 --timeout 1800 -- \
	env BENCH_SECONDS="${BENCH_SECONDS:-8}" sh test/bench/pcie_guest.sh
wait "$monitor" || true

# The driver's own instructions per 4 KiB read (submission + completion),
# with no device: counted only inside the two library calls.
: >"$job/path_cost.tsv"
for depth in 1 32 128; do
	valgrind --tool=callgrind --callgrind-out-file="$job/callgrind.$depth" \
		--toggle-collect=pnvme_ns_cmd_read --toggle-collect=pnvme_qpair_process_completions \
		build/test/bench/pnvme_pcie_path_cost "$depth" 100000 shadow >"$job/path_cost.$depth" \
		2>"$job/path_cost.$depth.err"
	ir=$(sed -n 's/^==[0-9]*== Collected : \([0-9]*\)$/\1/p' "$job/path_cost.$depth.err")
	printf '%s\t%s\t%s\n' "$depth" "$ir" "$(cat "$job/path_cost.$depth")" >>"$job/path_cost.tsv"
done

# pnvme's latency at each point, drawn next to the doc it goes into.
mkdir -p docs/img
for csv in "$job"/latency-*.csv; do
	point=$(basename "$csv" .csv)
	scripts/latency_plot.sh "$csv" "docs/img/pcie-${point#latency-}.svg"
done

python3 - "$job/results.jsonl" docs/performance.md "$job/threads.tsv" "$job/path_cost.tsv" <<'PY'
import datetime, json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
points = []
for r in rows:
    key = (r["rw"], r["qd"])
    if key not in points:
        points.append(key)
lines = []
lines.append("| 4 KiB point | driver | IOPS | mean (us) | p99 (us) | doorbell MMIO writes / I/O (SQ + CQ) |")
lines.append("|---|---|---:|---:|---:|---:|")
summary = []
for rw, qd in points:
    group = [r for r in rows if (r["rw"], r["qd"]) == (rw, qd)]
    for r in group:
        db = "%.3f + %.3f" % (r["sq_db"], r["cq_db"]) if "sq_db" in r else "-"
        lines.append("| %s QD%d | %s | %.0f | %.1f | %.1f | %s |" % (
            rw, qd, r["driver"], r["iops"], r["mean_us"], r["p99_us"], db))
    ours = [r for r in group if r["driver"] == "pnvme"]
    kernel = [r for r in group if r["driver"] != "pnvme"]
    if ours and kernel:
        best = max(kernel, key=lambda r: r["iops"])
        summary.append("| %s QD%d | %.0f | %.0f (%s) | **%.1fx** |" % (
            rw, qd, ours[0]["iops"], best["iops"], best["driver"], ours[0]["iops"] / best["iops"]))
table = "\n".join(lines)
threads = ["| run | QEMU thread | busy (% of one host core) |", "|---|---|---:|"]
try:
    for l in open(sys.argv[3]):
        label, name, pct = l.rstrip("\n").split("\t")
        threads.append("| %s | %s | %s |" % (label, name, pct))
except FileNotFoundError:
    pass
threads = "\n".join(threads)
cost = ["| queue depth | instructions per I/O | SQ + CQ doorbell writes per I/O |", "|---:|---:|---:|"]
for l in open(sys.argv[4]):
    depth, ir, out = l.rstrip("\n").split("\t")
    f = out.split()
    ios = int(f[f.index("ios") + 1])
    cost.append("| %s | %.0f | %.3f |" % (depth, int(ir) / ios,
                (int(f[f.index("sq_mmio") + 1]) + int(f[f.index("cq_mmio") + 1])) / ios))
cost = "\n".join(cost)
ratio = "\n".join(["| 4 KiB point | pnvme IOPS | best kernel IOPS (engine) | pnvme / kernel |",
                   "|---|---:|---:|---:|"] + summary)
# The latency plots scripts/latency_plot.sh drew, one per pnvme point.
plots = "\n\n".join("![pnvme latency, 4 KiB %s QD%d: histogram, CDF, p50/p90/p99/p99.9]"
                     "(img/pcie-%s-qd%d.svg)" % (rw, qd, rw, qd) for rw, qd in points)
print(table)
print()
print(ratio)
print()
print(threads)
print()
print(cost)
doc = open(sys.argv[2]).read() if len(sys.argv) > 2 else ""
start, end = "<!-- bench:pcie:start -->", "<!-- bench:pcie:end -->"
block = ("%s\nMeasured %s with `scripts/bench.sh`.\n\n%s\n\n%s\n\n"
         "pnvme's latency at each point (`pnvme_perf --latency-csv`, drawn by "
         "`scripts/latency_plot.sh`): the share of I/Os in each histogram bucket, the CDF, "
         "and the percentiles.\n\n%s\n\n"
         "Where the host's time went (QEMU's threads, sampled for 4 s inside each run):\n\n%s\n\n"
         "pnvme's own cost per 4 KiB read with no device (`build/test/bench/pnvme_pcie_path_cost`, "
         "instructions counted inside `pnvme_ns_cmd_read` and `pnvme_qpair_process_completions`):\n\n"
         "%s\n%s") % (start, datetime.date.today().isoformat(), ratio, table, plots, threads, cost,
                      end)
if start in doc and end in doc:
    doc = doc[:doc.index(start)] + block + doc[doc.index(end) + len(end):]
else:
    doc += "\n" + block + "\n"
open(sys.argv[2], "w").write(doc)
PY
