#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Runs inside the rig guest (fio_run.sh): fio through the pnvme engine
# against the first NVMe controller, QEMU's, bound for userspace. Prints
# "ok - " / "not ok - " lines.
set -u
HUGEMEM=512 scripts/setup.sh config >/dev/null || { echo "not ok - scripts/setup.sh config"; exit 1; }
# shellcheck disable=SC2046
set -- $(for c in $(grep -l 0x010802 /sys/bus/pci/devices/*/class | sort); do
	basename "$(dirname "$c")"; done)
bdf=$1 pi_bdf=${2:-}
# fio forbids colons in file names: the PCI address is written with dots.
F="trtype=PCIe traddr=$(echo "$bdf" | tr : .) ns=1"
echo "# filename=$F"
FIO_OUT=/tmp/fio-check
. test/system/fio_check.sh
FIO_TIMES=1
fio_verify_matrix "$F"
fio_trim "$F"
fio_refusals "trtype=PCIe traddr=$(echo "$bdf" | tr : .)"

# Protection information: the controller inserts and strips it, and checks
# it on every command (a wrong reference tag from the engine fails them).
[ -n "$pi_bdf" ] || { echo "not ok - the guest has the second controller"; exit 1; }
PI="trtype=PCIe traddr=$(echo "$pi_bdf" | tr : .)"
fio_verify "fio verify=crc32c on a namespace with protection information (type 1, interleaved), randrw, numjobs=2 iodepth=16, bs=4k and 128k: no errors" \
	2 "$PI ns=1" --name=pi --rw=randrw --bsrange=4k-128k --iodepth=16 --size=16M \
	--offset_increment=16M --verify=crc32c
timeout 120 fio --name=md16 --ioengine=external:"$FIO_ENGINE" --thread=1 --rw=read \
	--filename="$PI ns=2" --size=1M >"$FIO_OUT.log" 2>&1
rc=$?
if [ $rc -ne 0 ] && grep -q "16 bytes of metadata per block" "$FIO_OUT.log"; then
	echo "ok - fio: a namespace with metadata fio cannot carry (16 bytes apart) is refused with a line saying so"
else
	cat "$FIO_OUT.log"
	echo "not ok - fio: a namespace with 16 bytes of metadata apart is refused (exit $rc)"
fi
