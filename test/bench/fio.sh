#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Benchmark: in one guest boot, QEMU's controller on the null-co backend,
# 4 KiB random reads at QD1 and QD32 by fio through the pnvme engine, by
# pnvme_perf, and by fio with io_uring (polled) on the kernel driver; fio's
# null engine (no device) for fio's own ceiling; a CPU profile of the
# engine's QD32 run. Prints IOPS, mean and p99 latency and the ratios, and
# writes the tables to docs/performance.md, with a latency plot of each fio
# device point in docs/img/.
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

# The latency of each fio device point, drawn next to the doc it goes into.
mkdir -p docs/img
for csv in "$job"/latency-*.csv; do
	point=$(basename "$csv" .csv)
	scripts/latency_plot.sh "$csv" "docs/img/fio-${point#latency-}.svg"
done

python3 - "$job/results.jsonl" docs/performance.md <<'PY'
import datetime, json, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rows = [r for r in runs if "driver" in r]
profile = next((r for r in runs if r.get("profile") == "dso"), None)
engine, perf, kernel = "fio + pnvme engine", "pnvme_perf", "fio + kernel io_uring (polled)"
null = "fio, null engine (no device)"
tsc = "fio + pnvme engine, clocksource=cpu"
lines = ["| 4 KiB randread | driver | IOPS | mean (us) | p99 (us) |", "|---|---|---:|---:|---:|"]
ratio = ["| 4 KiB randread | fio + pnvme engine / pnvme_perf | fio + pnvme engine / fio + kernel io_uring | "
         "share of fio's own ceiling (engine / null engine) |", "|---|---:|---:|---:|"]
# The plots fio.sh drew: the CSV name of each driver that has one.
plotted = ((engine, "pnvme-engine"), (kernel, "io_uring"))
plots = []
for qd in sorted({r["qd"] for r in rows}):
    got = {r["driver"]: r for r in rows if r["qd"] == qd}
    for d in (null, engine, tsc, perf, kernel):
        if d in got:
            r = got[d]
            lines.append("| QD%d | %s | %.0f | %.1f | %.1f |" % (qd, d, r["iops"], r["mean_us"], r["p99_us"]))
    if engine in got and perf in got and kernel in got:
        ratio.append("| QD%d | %.2f | **%.1fx** | %s |" % (
            qd, got[engine]["iops"] / got[perf]["iops"], got[engine]["iops"] / got[kernel]["iops"],
            "%.0f%%" % (100 * got[engine]["iops"] / got[null]["iops"]) if null in got else "-"))
    for d, name in plotted:
        if d in got:
            plots.append("![%s latency, 4 KiB randread QD%d: histogram, CDF, p50/p90/p99/p99.9]"
                         "(img/fio-%s-qd%d.svg)" % (d, qd, name, qd))
table, ratio = "\n".join(lines), "\n".join(ratio)
print(table)
print()
print(ratio)

# The profile: the share of samples in fio, in the engine's shared object
# (the engine and the library, linked into it statically), in libc, in the
# kernel, and in everything else.
prof = ""
if profile and "shares" in profile:
    groups = [("fio itself", lambda d: d == "fio"),
              ("pnvme engine + library (`pnvme_fio_engine.so`)", lambda d: d == "pnvme_fio_engine.so"),
              ("libc", lambda d: d.startswith("libc.so") or d.startswith("libc-")),
              ("kernel", lambda d: d.startswith("[kernel")),
              ("vDSO (clock reads)", lambda d: d == "[vdso]")]
    left = dict(profile["shares"])
    split = []
    for name, match in groups:
        split.append((name, sum(v for d, v in profile["shares"].items() if match(d))))
        left = {d: v for d, v in left.items() if not match(d)}
    others = ", ".join("%s %.1f%%" % (d, v) for d, v in sorted(left.items(), key=lambda x: -x[1]) if v >= 0.1)
    split.append(("other" + (" (%s)" % others if others else ""), sum(left.values())))
    if "clock_gettime" in profile:
        split.append(("across all of the above: samples with `clock_gettime` in their call chain "
                      "(fio's time stamps: the engine and the library read the TSC)",
                      profile["clock_gettime"]))
    prof = "\n".join(["| where (fio + pnvme engine, QD32, %s samples) | share of CPU samples |" %
                      profile.get("samples", "?"), "|---|---:|"] +
                     ["| %s | %.1f%% |" % (n, v) for n, v in split])
    if profile.get("symbols"):
        prof += "\n\n" + "\n".join(["| top symbols | shared object | share |", "|---|---|---:|"] +
                                     ["| `%s` | %s | %.1f%% |" % (sym, dso, pct)
                                      for pct, dso, sym in profile["symbols"][:10]])
    prof = ("Where the engine's QD32 run spends its CPU time: the same run again, with "
            "`perf record -e cpu-clock -g` attached in the guest once its I/O had started "
            "(the profiled run: %.0f IOPS), split by shared object (`perf report --sort dso`, "
            "self time):\n\n%s" % (profile["iops"], prof))
elif profile:
    prof = "No CPU profile: %s." % profile.get("error", "perf failed")
if prof:
    print()
    print(prof)
doc = open(sys.argv[2]).read()
start, end = "<!-- bench:fio:start -->", "<!-- bench:fio:end -->"
block = ("%s\nMeasured %s with `scripts/bench.sh fio`, all in one guest boot.\n\n%s\n\n%s\n\n"
         "%s\n\nfio's completion latency (`clat`) at each device point, from fio's own histogram "
         "(`--output-format=json+`, converted by `scripts/fio_latency_csv.py`, drawn by "
         "`scripts/latency_plot.sh`; percentiles are fio's):\n\n%s\n%s") % (
    start, datetime.date.today().isoformat(), ratio, table, prof, "\n\n".join(plots), end)
if start in doc and end in doc:
    doc = doc[:doc.index(start)] + block + doc[doc.index(end) + len(end):]
else:
    doc += "\n" + block + "\n"
open(sys.argv[2], "w").write(doc)
PY
