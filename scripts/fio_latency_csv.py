#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Turn one fio job's completion latency histogram (--output-format=json+,
clat_ns.bins) into the CSV that pnvme_perf --latency-csv writes, so that
scripts/latency_plot.sh draws it the same way.

  scripts/fio_latency_csv.py FIO.json OUT.csv TRANSPORT [DDIR]

FIO.json: fio's json+ output (warning lines before the document are
skipped); its first job is used. TRANSPORT names the point in the plot's
title ("PCIe, fio + pnvme engine"). DDIR: read (default), write or trim.

fio's histogram is log-linear (stat.h, FIO_IO_U_PLAT_BITS = 6): a latency
below 128 ns has a bucket of its own, 1 ns wide; above, each power of two
is cut into 64 buckets, 2^(floor(log2(v)) - 6) ns wide. json+ names each
bucket by plat_idx_to_val() (stat.c): the value itself below 128 ns, the
bucket's midpoint above. The percentiles are fio's own (clat_ns.percentile).
"""
import json
import re
import sys


def bucket_ns(value):
    """The [lower, upper) bounds in ns of the bucket fio names VALUE."""
    if value < 128:
        return value, value + 1
    width = 1 << (value.bit_length() - 1 - 6)
    return value - width // 2, value + width // 2


def size_bytes(text):
    """fio's size option ("4k", "4096", "1m"; powers of two) in bytes."""
    m = re.fullmatch(r"(\d+)([kmgt]?)i?b?", str(text).strip().lower())
    if not m:
        raise ValueError("cannot read the block size %r" % text)
    return int(m.group(1)) << (10 * " kmgt".index(m.group(2) or " "))


def main(argv):
    if len(argv) not in (4, 5):
        sys.stderr.write("usage: %s FIO.json OUT.csv TRANSPORT [DDIR]\n" % argv[0])
        return 2
    path, out, transport = argv[1:4]
    ddir = argv[4] if len(argv) > 4 else "read"
    text = open(path).read()
    # fio may put warning lines before the document.
    doc = json.loads(re.search(r"^\{.*", text, re.M | re.S).group(0))
    job = doc["jobs"][0]
    opts = dict(doc.get("global options", {}), **job.get("job options", {}))
    side = job[ddir]
    clat = side["clat_ns"]
    if "bins" not in clat:
        sys.stderr.write("fio_latency_csv: %s has no clat_ns.bins (run fio with "
                         "--output-format=json+)\n" % path)
        return 1
    bins = sorted((int(k), v) for k, v in clat["bins"].items() if v)
    ios = sum(v for _, v in bins)
    pcts = {float(k): v / 1000.0 for k, v in clat.get("percentile", {}).items()}
    with open(out, "w") as f:
        f.write("# fio latency histogram (completion latency, clat_ns.bins)\n")
        f.write("# rw=%s\n" % opts.get("rw", opts.get("readwrite", ddir)))
        if "rwmixread" in opts:
            f.write("# rwmix_read=%s\n" % opts["rwmixread"])
        f.write("# bs=%d\n" % size_bytes(opts.get("bs", opts.get("blocksize", 4096))))
        f.write("# qd=%s\n" % opts.get("iodepth", 1))
        f.write("# transport=%s\n" % transport)
        f.write("# jobs=%d\n" % len(doc["jobs"]))
        f.write("# seconds=%.3f\n" % (side["runtime"] / 1000.0))
        f.write("# ios=%d\n" % ios)
        f.write("# iops=%.1f\n" % side["iops"])
        for p in (50, 90, 99, 99.9, 99.99):
            if float(p) in pcts:
                f.write("# p%g_us=%.9g\n" % (p, pcts[float(p)]))
        f.write("job,lower_us,upper_us,count,cumulative\n")
        cum = 0
        for value, count in bins:
            lower, upper = bucket_ns(value)
            cum += count
            f.write("all,%.9g,%.9g,%d,%.9g\n" % (lower / 1000.0, upper / 1000.0, count,
                                                  1.0 if cum == ios else cum / ios))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
