#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Runs inside the rig guest after pnvme_aer_test (manage_run.sh), against
# QEMU's controller at PCI address $1 whose SMART critical warnings the host
# set to 0x05: pnvme_manage's verbs, checked on their JSON. Then, on the
# controller at $2 (namespace 1 attached, namespace 2 detached in its
# subsystem): pnvme_ns_mgmt_test, and the namespace, firmware and device
# verbs. Prints "ok - " / "not ok - " lines.
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

# ---- namespace management on the second controller
T="trtype:PCIe traddr:$2"
build/test/system/pnvme_ns_mgmt_test -r "$T" 2
$M attach-ns -r "$T" -n 2 --json >$out 2>$out.err
check "attach-ns: namespace 2 active, identified, without a restart" \
	'assert j["result"] == "success" and j["active"] is True and j["sector_size"] == 512, j'
$M list-ns -r "$T" --json >$out 2>$out.err
check "list-ns: namespaces 1 and 2 after the attach" \
	'assert [n["nsid"] for n in j["namespaces"]] == [1, 2], j'
$M detach-ns -r "$T" -n 2 --json >$out 2>$out.err
check "detach-ns: namespace 2 no longer active" 'assert j["active"] is False, j'
$M format -r "$T" -n 1 --lbaf 4 --json >$out 2>$out.err
check "format --lbaf 4: 4096-byte blocks, as the library sees them after the command" \
	'assert j["sector_size"] == 4096 and j["num_sectors"] == 64 * 1024 * 1024 // 4096, j'
$M format -r "$T" -n 1 --lbaf 0 --json >$out 2>$out.err
check "format --lbaf 0: back to 512-byte blocks" 'assert j["sector_size"] == 512, j'
$M effects-log -r "$T" --json >$out 2>$out.err
check "effects-log: Format NVM and Namespace Attachment supported, changing namespaces" \
	'assert j["admin_cmd_set"]["0x80"] & 1 and j["admin_cmd_set"]["0x15"] & 1, j
assert j["admin_cmd_set"]["0x15"] & 8 and j["io_cmd_set"]["0x01"] & 3 == 3, j'
$M changed-ns-list-log -r "$T" --json >$out 2>$out.err
check "changed-ns-list-log: read (retaining the event for the library)" \
	'assert isinstance(j["changed_ns_list"], list), j'

# What the controller lacks is refused with a clear line, by the library
# (capabilities it does not report) or by the controller (its status).
refused() { # NAME PATTERN VERB...
	name=$1 pattern=$2
	shift 2
	$M "$@" -r "$T" >$out 2>&1
	if [ $? -ne 0 ] && grep -q "$pattern" $out; then
		echo "ok - $name"
	else
		cat $out
		echo "not ok - $name"
	fi
}
head -c 8192 /dev/zero >/tmp/manage.fw
refused "fw-download: no firmware commands (OACS bit 2), said before sending" \
	"fw_download: the controller does not support it (OACS" fw-download --fw /tmp/manage.fw
refused "fw-commit: the same" "fw_commit: the controller does not support it" \
	fw-commit --slot 1 --action 1
refused "self-test: no Device Self-test (OACS bit 4)" \
	"self_test: the controller does not support it" self-test --stc 1
refused "sanitize: no sanitize action offered (SANICAP 0)" \
	"sanitize: the controller does not offer action 2" sanitize --sanact 2
refused "create-ns: the controller's own refusal, named" \
	"create-ns: INVALID OPCODE" create-ns --nsze 1000
refused "format: an LBA format outside the namespace's, the controller's status named" \
	"format: INVALID FORMAT\\|format: INVALID FIELD" format -n 1 --lbaf 9
