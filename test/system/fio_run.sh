#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# fio through the pnvme engine (build/fio/pnvme_fio_engine.so, make
# fio-engine) against QEMU's emulated controller in the rig guest, UIO mode:
# verified runs over several job and depth combinations, trim, refusals,
# a namespace with protection information (fio_guest.sh). fio and the engine built on the host run in the guest
# over 9p. Prints "fio: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
. test/system/tap_count.sh

# The guest's output stays here for a look after a failure.
log=$(pwd)/.cache/fio-test.log
mkdir -p .cache
if [ ! -f build/fio/pnvme_fio_engine.so ]; then
	not_ok "the fio engine is built (make fio-engine)"
else
	# The second controller's namespaces: 8 bytes of protection information
	# (type 1, interleaved), and 16 bytes of metadata apart.
	test/rig/guest_run.sh --mode uio --ctrl PNVMEFIO001:1G \
		--ctrl PNVMEFIOPI01:64M/ms=8/mset=1/pi=1,64M/ms=16/mset=0/pi=1/pil=1 --timeout 1500 -- \
		sh test/system/fio_guest.sh >"$log" 2>&1
	count "fio over PCIe" $? "$log"
fi

# fio's latency histogram in the plots' CSV (scripts/fio_latency_csv.py, as
# scripts/bench.sh fio uses it), from a second of fio's null engine here.
tmp=$(mktemp -d)
if timeout 120 fio --name=hist --ioengine=null --size=64M --bs=4k --rw=randread --iodepth=4 \
	--time_based --runtime=1 --output-format=json+ --output="$tmp/fio.json" >"$tmp/fio.log" 2>&1 &&
	scripts/fio_latency_csv.py "$tmp/fio.json" "$tmp/latency.csv" "fio null engine" &&
	scripts/latency_plot.sh "$tmp/latency.csv" "$tmp/latency.svg" &&
	test/system/fio_latency_csv_check.py "$tmp/fio.json" "$tmp/latency.csv" "$tmp/latency.svg"; then
	ok "fio's json+ histogram as a latency CSV: every completion in one of fio's buckets, fio's percentiles and IOPS, plotted with its marks"
else
	cat "$tmp/fio.log"
	not_ok "fio's json+ histogram as a latency CSV (scripts/fio_latency_csv.py)"
fi
rm -rf "$tmp"
echo "fio: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
