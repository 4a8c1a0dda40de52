#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# System tests: boot the QEMU rig once per mode (UIO with IOVA=PA, VFIO
# with a vIOMMU and IOVA=VA) and run the guest-side checks against QEMU's
# emulated NVMe controllers, its asynchronous events (SMART warnings set
# through QMP) and pnvme_manage (manage_run.sh), hot remove under pnvme_perf
# and hot insert seen by pnvme_hotplug_poll (hotplug_run.sh), fio through
# the pnvme engine (fio_run.sh); then the
# environment's memory region notifications on the host; the NVMe/TCP
# checks against the kernel's
# target (tcp_run.sh), the NVMe/RDMA checks against its RDMA target over
# soft-RoCE (rdma_run.sh), and fused compare-and-write against the test target
# on the host's loopback (fused_run.sh). Prints "system: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."

RIG=test/rig/guest_run.sh
CTRLS=(--ctrl PNVMEA0001:256M --ctrl PNVMEB0002:64M,128M)
EXPECT="PNVMEA0001=268435456 PNVMEB0002=67108864,134217728"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
. test/system/tap_count.sh

# The I/O and reset checks run against the first NVMe controller of the
# guest; metadata and protection information against the second, whose
# namespaces are formatted with them (interleaved and apart, types 1-3, the
# protection information first in 16 bytes of metadata). The data checks
# of pnvme_io_test run on each of those too, under VFIO (an IOMMU, so a
# wrong metadata pointer faults instead of landing somewhere).
PI_CTRL=PNVMEPI0001:128M/ms=8/mset=1/pi=1,128M/ms=8/mset=0/pi=2,128M/ms=8/mset=1/pi=3,128M/ms=16/mset=0/pi=1/pil=1
IO_CMD='HUGEMEM=512 scripts/setup.sh config >/dev/null &&
	set -- $(for c in $(grep -l 0x010802 /sys/bus/pci/devices/*/class | sort); do
		basename "$(dirname "$c")"; done) && bdf=$1 &&
	{ build/test/system/pnvme_io_test -r "trtype:PCIe traddr:$bdf"; rc=$?;
	build/test/system/pnvme_reset_test -r "trtype:PCIe traddr:$bdf" || rc=1;
	build/bin/pnvme_perf -r "trtype:PCIe traddr:$bdf" -q 16 -o 4096 -w randrw -t 4 -c 2 -P 4 \
		--verify --reset-every 1 >/tmp/perf.out 2>&1 &&
		grep -q "^I/O errors: 0, verify mismatches: 0" /tmp/perf.out &&
		grep -Eq "^Resets: [3-9]" /tmp/perf.out &&
		grep -q "^Poll groups: 2 threads" /tmp/perf.out &&
		echo "ok - perf --verify --reset-every 1, 2 qpairs per thread in a poll group: no errors, no mismatches across the resets" ||
		{ cat /tmp/perf.out; rc=1; echo "not ok - perf --verify --reset-every 1"; };
	build/test/system/pnvme_pi_test -r "trtype:PCIe traddr:$2" || rc=1;
	if [ "$MODE" = vfio ]; then for n in 1 2 3 4; do
		build/test/system/pnvme_io_test -r "trtype:PCIe traddr:$2" --ns $n || rc=1; done; fi;
	build/bin/pnvme_perf -r "trtype:PCIe traddr:$2" -q 8 -o 4096 -w randrw -t 3 --verify --pi host \
		>/tmp/perf.out 2>&1 && grep -q "^I/O errors: 0, verify mismatches: 0" /tmp/perf.out &&
		echo "ok - perf --verify --pi host over every metadata format: no errors, no mismatches, the host protection checked by both" ||
		{ cat /tmp/perf.out; rc=1; echo "not ok - perf --verify --pi host"; };
	build/bin/pnvme_identify -r "trtype:PCIe traddr:$2" --json >/tmp/identify.json &&
		python3 -c "import json, sys
ns = json.load(open(sys.argv[1]))[\"controllers\"][0][\"namespaces\"]
got = [(n[\"metadata_size\"], n[\"extended_lba\"], n[\"pi_type\"], n[\"pi_first\"]) for n in ns]
assert got == [(8, True, 1, False), (8, False, 2, False), (8, True, 3, False), (16, False, 1, True)], got" \
		/tmp/identify.json &&
		echo "ok - identify shows each namespace metadata size, where it lives, and its protection type and place" ||
		{ cat /tmp/identify.json; rc=1; echo "not ok - identify shows metadata and protection information"; };
	[ $rc -eq 0 ]; }'

for mode in uio vfio; do
	echo "== system: identify, $mode mode"
	"$RIG" --mode "$mode" --kernel-nvme "${CTRLS[@]}" --timeout 900 -- \
		env EXPECT="$EXPECT" sh test/system/identify_guest.sh >"$log" 2>&1
	count "identify ($mode)" $? "$log"

	echo "== system: I/O, reset, metadata and protection information, $mode mode"
	"$RIG" --mode "$mode" --ctrl PNVMEIO0001:1G --ctrl "$PI_CTRL" --timeout 900 -- \
		env MODE="$mode" sh -c "$IO_CMD" >"$log" 2>&1
	count "I/O ($mode)" $? "$log"
done

echo "== system: fio through the pnvme engine, QEMU's controller (UIO)"
test/system/fio_run.sh >"$log" 2>&1
count "fio" $? "$log"

echo "== system: events (SMART warnings set through QMP) and pnvme_manage, QEMU's controller"
test/system/manage_run.sh >"$log" 2>&1
count "events and management" $? "$log"

echo "== system: hot remove under pnvme_perf and hot insert (QMP device_del / device_add), UIO"
test/system/hotplug_run.sh >"$log" 2>&1
count "hot plug" $? "$log"

echo "== system: DMA memory region notifications, host hugepages"
{ HUGEMEM=256 PCI_ALLOWED=none scripts/setup.sh config >/dev/null &&
	timeout 120 build/test/system/pnvme_env_test; } >"$log" 2>&1
count "memory region notifications" $? "$log"

echo "== system: NVMe/TCP against the kernel's target"
test/system/tcp_run.sh >"$log" 2>&1
count "NVMe/TCP" $? "$log"

echo "== system: NVMe/RDMA against the kernel's target over soft-RoCE (in the guest)"
test/system/rdma_run.sh >"$log" 2>&1
count "NVMe/RDMA" $? "$log"

echo "== system: fused compare-and-write against the test target"
test/system/fused_run.sh >"$log" 2>&1
count "fused compare-and-write" $? "$log"

echo "system: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
