#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Runs inside the rig guest after pnvme_aer_test (manage_run.sh), against
# QEMU's controller at PCI address $1 whose SMART critical warnings the host
# set to 0x05: pnvme_manage's verbs, checked on their JSON. Prints
# "ok - " / "not ok - " lines.
set -u
T="trtype:PCIe traddr:$1"
out=/tmp/manage.out
M=build/bin/pnvme_manage

check() { # NAME PYTHON-ASSERTIONS (on j, the JSON)
	if python3 -c "import json, sys
j = json.load(open(sys.argv[1]))
$2" $out 2>/dev/null; then
		echo "ok - $1"
	else
		cat $out
		echo "not ok - $1"
	fi
}

$M smart-log -r "$T" --json >$out 2>$out.err
check "smart-log: the warnings QMP set (0x05), temperature in kelvin, counters" \
	'assert j["critical_warning"] == 5, j
assert 200 < j["temperature"] < 400, j
assert int(j["power_on_hours"]) >= 0 and "data_units_read" in j, j'
$M fw-log -r "$T" --json >$out 2>$out.err
check "fw-log: the active slot and its revision" \
	'assert j["afi"] & 7 >= 1 and j["frs%d" % (j["afi"] & 7)].strip(), j'
$M error-log -r "$T" --json -e 4 >$out 2>$out.err
check "error-log: the entries asked for" \
	'assert isinstance(j["errors"], list) and 1 <= len(j["errors"]) <= 4, j'
$M set-feature -r "$T" -f 4 -v 350 --json >$out 2>$out.err
check "set-feature: temperature threshold 350 K" 'assert j["feature_id"] == 4, j'
$M get-feature -r "$T" -f 4 --json >$out 2>$out.err
check "get-feature: the threshold set reads back" 'assert j["value"] & 0xffff == 350, j'
$M get-feature -r "$T" -f 4 -s 1 --json >$out 2>$out.err
check "get-feature -s 1: the default differs from it" 'assert j["value"] & 0xffff != 350, j'
$M list-ns -r "$T" --json >$out 2>$out.err
check "list-ns: namespace 1" 'assert [n["nsid"] for n in j["namespaces"]] == [1], j'
$M reset -r "$T" --json >$out 2>$out.err
check "reset" 'assert j["reset"] is True, j'
$M get-feature -r "$T" -f 0x99 >$out 2>&1
if [ $? -ne 0 ] && grep -q "get-feature: INVALID FIELD" $out; then
	echo "ok - an unsupported feature is refused with the controller's status"
else
	cat $out
	echo "not ok - an unsupported feature is refused with the controller's status"
fi
