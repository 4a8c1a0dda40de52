#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Runs inside the rig guest for hotplug_run.sh, which drives QMP from the
# host: pnvme_perf runs at QD32 for 60 s on QEMU's controller while the
# host unplugs it (device_del); perf must stop on its own, well before its
# time limit, naming the removal, with every request completed once. Then
# pnvme_hotplug_test polls pnvme_hotplug_poll while the host plugs a new
# controller in (device_add) and this script binds it to the rig's
# userspace driver (uio_pci_generic, or vfio-pci in VFIO mode): it must be
# attached and take verified I/O. Prints "ok - " / "not ok - ".
set -u
J=$PNVME_RIG_JOB
PERF_SECONDS=60
DRIVER=uio_pci_generic
[ "$PNVME_RIG_MODE" = vfio ] && DRIVER=vfio-pci

check() { # COND-EXIT-STATUS NAME
	if [ "$1" -eq 0 ]; then echo "ok - $2"; else echo "not ok - $2"; fi
}

nvme_bdf() {
	d=$(grep -l 0x010802 /sys/bus/pci/devices/*/class 2>/dev/null | head -n 1)
	[ -n "$d" ] && basename "$(dirname "$d")"
}

HUGEMEM=256 scripts/setup.sh config >/dev/null || { echo "not ok - setup.sh config"; exit 1; }
bdf=$(nvme_bdf)
[ -n "$bdf" ] || { echo "not ok - no NVMe controller in the guest"; exit 1; }

# --- hot remove under load
start=$(date +%s)
timeout 300 build/bin/pnvme_perf -r "trtype:PCIe traddr:$bdf" -q 32 -o 4096 -w randread \
	-t $PERF_SECONDS >"$J/perf.out" 2>&1 &
perf=$!
# When the run ended (its last line before the teardown), and when the
# process did: the teardown of a removed controller must not wait for it.
stopped=
while kill -0 $perf 2>/dev/null; do
	[ -z "$stopped" ] && grep -q "^pnvme_perf: stopped after" "$J/perf.out" && stopped=$(date +%s)
	sleep 0.2
done
wait $perf
rc=$?
end=$(date +%s)
took=$((end - start))
# A teardown quicker than one poll: the line was written, and the process
# gone, between two looks.
[ -z "$stopped" ] && grep -q "^pnvme_perf: stopped after" "$J/perf.out" && stopped=$end
cat "$J/perf.out"
[ $rc -ne 0 ] && [ $rc -ne 124 ]
check $? "perf exited non-zero on its own after the removal (exit $rc)"
grep -q "^pnvme_perf: controller $bdf was removed" "$J/perf.out"
check $? "perf named the removal: 'pnvme_perf: controller $bdf was removed'"
# Its run, not its start-up (slow and noisy under emulation on a busy
# host): the seconds it says it ran, and its one-per-second progress lines.
ran=$(sed -n 's/^pnvme_perf: stopped after \([0-9]*\)\.[0-9] s of .*/\1/p' "$J/perf.out")
ticks=$(grep -c '^\[ *[0-9]* s\]' "$J/perf.out")
[ -n "$ran" ] && [ "$ran" -lt $((PERF_SECONDS - 15)) ] && [ "$ticks" -lt $((PERF_SECONDS - 15)) ]
check $? "perf stopped well before its ${PERF_SECONDS} s limit (ran ${ran:-?} s, ${ticks} progress lines; ${took} s with start-up and exit)"
[ -n "$stopped" ] && [ $((end - stopped)) -lt 30 ]
check $? "perf's teardown after the removal took $((end - ${stopped:-0})) s (detach, environment)"
counts=$(sed -n 's/.*requests submitted \([0-9]*\), completed \([0-9]*\).*/\1 \2/p' "$J/perf.out")
set -- $counts
[ $# -eq 2 ] && [ "$1" -gt 0 ] && [ "$1" -eq "$2" ]
check $? "every request perf submitted completed once (submitted ${1:-?}, completed ${2:-?})"
grep -q "controller removed: device removed" "$J/perf.out" &&
	! grep -q "fatal status\|RDY dropped" "$J/perf.out"
check $? "the driver reported a removal, not a fatal status or a reset"
# VFIO: the kernel finishes the removal once the process let the device go.
i=0
while [ -e "/sys/bus/pci/devices/$bdf" ] && [ $i -lt 50 ]; do
	sleep 0.2
	i=$((i + 1))
done
[ ! -e "/sys/bus/pci/devices/$bdf" ]
check $? "$bdf is gone from the guest's PCI bus"

# --- hot insert
build/test/system/pnvme_hotplug_test "$J" 240 >/tmp/hotplug.out 2>&1 &
pid=$!
new=
i=0
while [ $i -lt 1200 ] && kill -0 $pid 2>/dev/null; do
	new=$(nvme_bdf)
	[ -n "$new" ] && break
	sleep 0.2
	i=$((i + 1))
done
if [ -n "$new" ]; then
	echo "ok - a new controller appeared at $new"
	sleep 1 # let the kernel finish adding it before a driver is asked for
	echo $DRIVER >"/sys/bus/pci/devices/$new/driver_override"
	echo "$new" >/sys/bus/pci/drivers_probe
	[ "$(basename "$(readlink "/sys/bus/pci/devices/$new/driver")")" = $DRIVER ]
	check $? "$new bound to $DRIVER"
else
	echo "not ok - a new controller appeared"
fi
wait $pid
hrc=$?
cat /tmp/hotplug.out
[ $hrc -eq 0 ]
check $? "pnvme_hotplug_test passed (exit $hrc)"
