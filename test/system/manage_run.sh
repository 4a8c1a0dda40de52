#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# System tests of events and management against QEMU's emulated
# controller, in one guest boot: pnvme_aer_test waits for events while the
# host sets the controller's SMART critical warnings through QMP, first the
# spare warning, then the reliability one as well; then pnvme_manage's verbs
# (manage_guest.sh), and namespace management on a second controller whose
# subsystem holds a namespace attached to no controller (pnvme_ns_mgmt_test
# and the namespace verbs). Prints "manage: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."

JOB=$(pwd)/.cache/manage-test
SOCK=$JOB.qmp
. test/system/tap_count.sh
. test/system/wait.sh

# qom_set_warning VALUE: the controller's SMART critical warning bits.
qom_set_warning() {
	python3 - "$SOCK" "$1" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
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
r = cmd({"execute": "qom-set", "arguments": {"path": "/machine/peripheral/nvme0",
                                              "property": "smart_critical_warning",
                                              "value": int(sys.argv[2])}})
if "error" in r:
    print(r)
    sys.exit(1)
PY
}

rm -rf "$JOB" "$SOCK"
mkdir -p "$JOB"
# nvme0 (events, the first address) and nvme1 (namespace 2 detached).
test/rig/guest_run.sh --job "$JOB" --ctrl PNVMEAER0001:64M --ctrl PNVMENS0001:64M,32M/detached \
	--qmp "$SOCK" --timeout 900 -- \
	sh -c 'HUGEMEM=256 scripts/setup.sh config >/dev/null &&
	set -- $(for c in $(grep -l 0x010802 /sys/bus/pci/devices/*/class | sort); do
		basename "$(dirname "$c")"; done) &&
	{ build/test/system/pnvme_aer_test -r "trtype:PCIe traddr:$1" "$PNVME_RIG_JOB"; rc=$?;
	sh test/system/manage_guest.sh "$1" "$2"; exit $rc; }' \
	>"$JOB.log" 2>&1 &
rig=$!
touch "$JOB/aer.events"
if wait_file "$JOB/aer.ready" 300 && qom_set_warning 1 &&
	wait_lines "$JOB/aer.events" 1 60 && qom_set_warning 5 && wait_lines "$JOB/aer.events" 2 60; then
	ok "QMP set the spare, then the reliability warning, and the guest saw an event for each"
else
	not_ok "QMP set the spare, then the reliability warning, and the guest saw an event for each"
fi
wait "$rig"
count "events and management" $? "$JOB.log"
cat "$JOB/aer.events"
rm -f "$SOCK"

echo "manage: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
