#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Runs inside the rig guest (fio_run.sh): fio through the pnvme engine
# against the first NVMe controller, QEMU's, bound for userspace. Prints
# "ok - " / "not ok - " lines.
set -u
HUGEMEM=512 scripts/setup.sh config >/dev/null || { echo "not ok - scripts/setup.sh config"; exit 1; }
bdf=$(basename "$(dirname "$(grep -l 0x010802 /sys/bus/pci/devices/*/class | head -n 1)")")
# fio forbids colons in file names: the PCI address is written with dots.
F="trtype=PCIe traddr=$(echo "$bdf" | tr : .) ns=1"
echo "# filename=$F"
FIO_OUT=/tmp/fio-check
. test/system/fio_check.sh
FIO_TIMES=1
fio_verify_matrix "$F"
fio_trim "$F"
fio_refusals "trtype=PCIe traddr=$(echo "$bdf" | tr : .)"
