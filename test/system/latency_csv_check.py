#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Checks one pnvme_perf run's --latency-csv file against its --json report,
# and the SVG that --plot drew from it (test/system/fused_run.sh).
#
#   latency_csv_check.py PERF.json LATENCY.csv LATENCY.svg TITLE
import json
import sys
import xml.etree.ElementTree as ET

report, csv_path, svg_path, title = sys.argv[1:5]
perf = json.load(open(report))
total = perf["total"]
meta, rows = {}, {}
with open(csv_path) as f:
    for line in f:
        line = line.rstrip("\n")
        if line.startswith("# ") and "=" in line:
            key, value = line[2:].split("=", 1)
            meta[key] = value
        elif not line.startswith("#") and not line.startswith("job,"):
            job, lower, upper, count, cum = line.split(",")
            rows.setdefault(job, []).append((float(lower), float(upper), int(count), float(cum)))

ios = int(meta["ios"])
assert ios > 0 and "all" in rows, meta
assert abs(float(meta["iops"]) - total["iops"]) <= 0.001 * total["iops"], (meta["iops"], total["iops"])
for p in ("50", "90", "99", "99.9", "99.99"):
    assert abs(float(meta["p%s_us" % p]) - total["p" + p]) < 0.01, (p, meta, total)
jobs = [j for j in rows if j != "all"]
assert len(jobs) == int(meta["jobs"]) == len(perf["workers"]), jobs
for job, buckets in rows.items():
    assert buckets[-1][3] == 1.0, (job, buckets[-1])
    last_upper, last_cum = 0.0, 0.0
    for lower, upper, count, cum in buckets:
        assert last_upper <= lower < upper and count > 0 and cum > last_cum, (job, lower, upper)
        last_upper, last_cum = upper, cum
assert sum(b[2] for b in rows["all"]) == ios
assert sum(b[2] for j in jobs for b in rows[j]) == ios
for j in jobs:
    assert sum(b[2] for b in rows[j]) > 0, j

# The plot: well-formed SVG, the workload in its title, every mark labelled.
text = " ".join("".join(e.itertext()) for e in ET.parse(svg_path).getroot().iter()
                if e.tag.endswith("text"))
for want in (title, "IOPS", "p50", "p90", "p99", "p99.9", "latency (µs", "cumulative"):
    assert want in text, (want, text)
print("# %d I/Os in %d buckets, %d jobs; p50 %s us, p99.9 %s us" %
      (ios, len(rows["all"]), len(jobs), meta["p50_us"], meta["p99.9_us"]))
