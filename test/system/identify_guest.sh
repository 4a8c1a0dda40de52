#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Runs inside the QEMU rig guest (see test/system/run.sh), booted with the
# kernel nvme driver holding every controller. Checks pnvme_identify against
# QEMU's emulated controllers, error paths first, then real identification.
#
# Input: EXPECT="SERIAL=BYTES[,BYTES...] ..." namespace sizes per controller.
# Output: one "ok - NAME" or "not ok - NAME" line per check.

ID=build/bin/pnvme_identify
OUT=${PNVME_RIG_JOB:-/tmp}/identify.out
failures=0

ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; failures=$((failures + 1)); }

# expect_error NAME TEXT CMD...: CMD exits non-zero but not by a signal,
# and its output contains TEXT.
expect_error() {
	name=$1 text=$2
	shift 2
	"$@" >"$OUT" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] && grep -qF -- "$text" "$OUT"; then
		ok "$name"
	else
		not_ok "$name (exit $rc)"
		sed 's/^/    /' "$OUT"
	fi
}

# expect_success NAME CMD...: CMD exits 0.
expect_success() {
	name=$1
	shift
	"$@" >"$OUT" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then
		ok "$name"
	else
		not_ok "$name (exit $rc)"
		sed 's/^/    /' "$OUT"
	fi
}

nvme_bdfs() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/class")" = 0x010802 ] && basename "$d"
	done
}
first=$(nvme_bdfs | head -n 1)
[ -n "$first" ] || { not_ok "an NVMe controller is present"; exit 1; }

# --- error paths -----------------------------------------------------------
echo 0 >/proc/sys/vm/nr_hugepages
expect_error "no hugepages: clear error" "no free hugepages" \
	$ID -r "trtype:PCIe traddr:$first"

echo 128 >/proc/sys/vm/nr_hugepages
expect_error "controller bound to the kernel driver: clear error" \
	"$first is bound to the kernel nvme driver; run scripts/setup.sh" \
	$ID -r "trtype:PCIe traddr:$first"
expect_error "no controller free for pnvme: clear error" \
	"no NVMe controller bound to vfio-pci or uio_pci_generic" $ID
expect_error "address with no device: clear error" "0000:05:1e.0: no such PCI device" \
	$ID -r "trtype:PCIe traddr:0000:05:1e.0"
expect_error "address of a device that is not NVMe: clear error" \
	"0000:00:00.0 is not an NVMe controller" $ID -r "trtype:PCIe traddr:0000:00:00.0"
expect_error "malformed transport ID: clear error" "unknown key 'trtyp'" \
	$ID -r "trtyp:PCIe"

# --- identification --------------------------------------------------------
expect_success "setup.sh binds the controllers" env HUGEMEM=256 scripts/setup.sh config
driver=$(basename "$(readlink "/sys/bus/pci/devices/$first/driver")")
want_driver=uio_pci_generic
[ "${PNVME_RIG_MODE:-uio}" = vfio ] && want_driver=vfio-pci
if [ "$driver" = "$want_driver" ]; then ok "bound to $want_driver"; else not_ok "bound to $want_driver (is $driver)"; fi

expect_success "identify every controller (text)" $ID
for serial in $PNVME_RIG_SERIALS; do
	if grep -q "Serial number: *$serial\$" "$OUT"; then
		ok "text output shows serial $serial"
	else
		not_ok "text output shows serial $serial"
	fi
done
expect_success "identify one controller by address" $ID -r "trtype:PCIe traddr:$first"
if [ "$(grep -c '^NVMe controller at' "$OUT")" -eq 1 ]; then ok "exactly one controller reported"; else not_ok "exactly one controller reported"; fi

expect_success "identify --json" $ID --json
if python3 - "$OUT" <<'PY'
import json, os, sys
data = json.load(open(sys.argv[1]))
expect = {}
for item in os.environ["EXPECT"].split():
    serial, sizes = item.split("=")
    expect[serial] = [int(s) for s in sizes.split(",")]
ctrlrs = {c["serial_number"]: c for c in data["controllers"]}
bad = []
if sorted(ctrlrs) != sorted(expect):
    bad.append("serials %s, expected %s" % (sorted(ctrlrs), sorted(expect)))
for serial, sizes in expect.items():
    c = ctrlrs.get(serial)
    if c is None:
        continue
    got = [ns["size_bytes"] for ns in c["namespaces"]]
    if got != sizes:
        bad.append("%s: namespace sizes %s, expected %s" % (serial, got, sizes))
    if [ns["nsid"] for ns in c["namespaces"]] != list(range(1, len(sizes) + 1)):
        bad.append("%s: namespace IDs %s" % (serial, [ns["nsid"] for ns in c["namespaces"]]))
    for ns in c["namespaces"]:
        if ns["size_bytes"] != ns["size_blocks"] * ns["sector_size"]:
            bad.append("%s ns %d: size inconsistent" % (serial, ns["nsid"]))
    if c["pci"]["vendor_id"] != 0x1b36 or c["pci"]["device_id"] != 0x0010:
        bad.append("%s: PCI id %04x:%04x" % (serial, c["pci"]["vendor_id"], c["pci"]["device_id"]))
    if not c["model_number"].startswith("QEMU NVMe"):
        bad.append("%s: model %r" % (serial, c["model_number"]))
    if c["fused_compare_write"]:
        bad.append("%s: claims fused compare-and-write" % serial)
    if c["cap"]["mqes"] < 1 or c["io_queues_granted"] < 1:
        bad.append("%s: queue limits %s / %d" % (serial, c["cap"]["mqes"], c["io_queues_granted"]))
for line in bad:
    print("    " + line)
sys.exit(1 if bad else 0)
PY
then
	ok "--json parses; serials, namespace sizes and IDs match the rig"
else
	not_ok "--json parses; serials, namespace sizes and IDs match the rig"
fi

# The controllers were shut down cleanly and can be attached again.
expect_success "identify again after detach" $ID -r "trtype:PCIe traddr:$first"

exit $((failures > 0))
