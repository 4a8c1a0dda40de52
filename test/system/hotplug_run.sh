#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Hot remove and hot insert of QEMU's controller, one guest boot per mode
# (UIO on i440fx, then VFIO on q35 with the controller on a root port):
# while pnvme_perf runs in the guest the host unplugs the controller through
# QMP (device_del); once pnvme_hotplug_test polls in the guest, the host
# plugs a new one in (device_add: a new id and serial, the same block node).
# The guest's checks are hotplug_guest.sh's. Prints
# "hotplug: N passed, N failed". Modes: the arguments (default: uio vfio).
set -u
cd "$(dirname "$0")/../.."

JOB=$(pwd)/.cache/hotplug-test
SOCK=$JOB.qmp
. test/system/tap_count.sh
. test/system/wait.sh

# qmp JSON-ARGUMENTS-OF-COMMAND COMMAND
qmp() {
	python3 - "$SOCK" "$1" "$2" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(30)
s.connect(sys.argv[1])
f = s.makefile("rw")
f.readline()  # the greeting

def cmd(c):
    f.write(json.dumps(c) + "\n")
    f.flush()
    while True:  # events may come first
        r = json.loads(f.readline())
        if "return" in r or "error" in r:
            return r

cmd({"execute": "qmp_capabilities"})
r = cmd({"execute": sys.argv[3], "arguments": json.loads(sys.argv[2])})
if "error" in r:
    print(r)
    sys.exit(1)
PY
}

modes=("$@")
[ ${#modes[@]} -eq 0 ] && modes=(uio vfio)
for mode in "${modes[@]}"; do
	echo "== hotplug: $mode"
	rm -rf "$JOB" "$SOCK"
	mkdir -p "$JOB"
	timeout 1000 test/rig/guest_run.sh --mode "$mode" --job "$JOB" --ctrl PNVMEHP0001:64M \
		--qmp "$SOCK" --timeout 900 -- sh test/system/hotplug_guest.sh >"$JOB.log" 2>&1 &
	rig=$!
	# In VFIO mode the controller sits on root port rp0, and comes back there.
	bus=
	[ "$mode" = vfio ] && bus=', "bus": "rp0"'
	# Unplug once perf has run for 3 seconds.
	if wait_grep "$JOB/perf.out" '^\[  3 s\]' 400 && qmp '{"id": "nvme0"}' device_del; then
		ok "$mode: device_del nvme0 while pnvme_perf runs in the guest"
	else
		not_ok "$mode: device_del nvme0 while pnvme_perf runs in the guest"
	fi
	if wait_file "$JOB/hotplug.ready" 400 &&
		qmp '{"driver": "nvme", "id": "nvme1", "serial": "PNVMEHP0002", "drive": "nvm0n1"'"$bus"'}' \
			device_add; then
		ok "$mode: device_add of a new controller (nvme1) on the same block node"
	else
		not_ok "$mode: device_add of a new controller (nvme1) on the same block node"
	fi
	wait "$rig"
	count "hot plug, $mode (guest)" $? "$JOB.log"
	rm -f "$SOCK"
done

echo "hotplug: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
