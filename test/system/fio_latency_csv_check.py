#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Checks scripts/fio_latency_csv.py on one fio run (test/system/fio_run.sh):
# every completion fio counted lands in exactly one bucket, the buckets are
# fio's log-linear ones (1 ns below 128 ns; 64 per power of two above,
# touching, each holding the value fio names it by), fio's percentiles and
# IOPS come through, and latency_plot.sh draws the CSV with its marks.
#
#   fio_latency_csv_check.py FIO.json LATENCY.csv LATENCY.svg
import json
import re
import sys
import xml.etree.ElementTree as ET

fio_path, csv_path, svg_path = sys.argv[1:4]
doc = json.loads(re.search(r"^\{.*", open(fio_path).read(), re.M | re.S).group(0))
side = doc["jobs"][0]["read"]
clat = side["clat_ns"]
meta, rows = {}, []
for line in open(csv_path):
    line = line.rstrip("\n")
    if line.startswith("# ") and "=" in line:
        key, value = line[2:].split("=", 1)
        meta[key] = value
    elif not line.startswith("#") and not line.startswith("job,"):
        job, lower, upper, count, cum = line.split(",")
        assert job == "all", job
        rows.append((float(lower) * 1000, float(upper) * 1000, int(count), float(cum)))

assert int(meta["ios"]) == clat["N"] == sum(r[2] for r in rows) > 0, (meta["ios"], clat["N"])
assert abs(float(meta["iops"]) - side["iops"]) < 0.1, (meta["iops"], side["iops"])
assert meta["rw"] == "randread" and meta["bs"] == "4096" and meta["qd"] == "4", meta
for p in ("50", "90", "99", "99.9"):
    assert abs(float(meta["p%s_us" % p]) * 1000 - clat["percentile"]["%f" % float(p)]) < 1, p
named = sorted(int(v) for v, n in clat["bins"].items() if n)
assert len(named) == len(rows)
last_upper, last_cum = 0.0, 0.0
for value, (lower, upper, count, cum) in zip(named, rows):
    width = 1 if value < 128 else 1 << (value.bit_length() - 7)
    assert upper - lower == width and lower <= value < upper, (value, lower, upper)
    # fio's buckets start on a multiple of their width.
    assert round(lower) % width == 0, (value, lower, width)
    assert last_upper <= lower and count == clat["bins"][str(value)] and cum > last_cum
    last_upper, last_cum = upper, cum
assert rows[-1][3] == 1.0

text = " ".join("".join(e.itertext()) for e in ET.parse(svg_path).getroot().iter()
                if e.tag.endswith("text"))
for want in ("randread, 4 KiB, QD4", "IOPS", "p50", "p90", "p99", "p99.9", "latency (µs",
             "cumulative"):
    assert want in text, (want, text)
print("# %d completions in %d buckets; p50 %s us, p99.9 %s us" %
      (clat["N"], len(rows), meta["p50_us"], meta["p99.9_us"]))
