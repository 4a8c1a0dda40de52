#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# System tests of the NVMe/TCP transport against the Linux kernel's target
# (nvmet-tcp on memory-backed null_blk) in the rig guest, reached from the
# host through QEMU's loopback port forward, fio through the pnvme engine
# among them. Prints "tcp: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."

RIG=test/rig/guest_run.sh
NQN1=nqn.2026-11.io.pnvme:tcp1
NQN2=nqn.2026-11.io.pnvme:tcp2
PORT=${TCP_TEST_PORT:-24420}
ADDR="trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:$PORT"
JOB=$(pwd)/.cache/tcp-test
RIG_PID=
. test/system/tap_count.sh
. test/system/wait.sh

# Boot the guest with the target; wait until it listens.
start_target() {
	local i
	rm -rf "$JOB"
	mkdir -p "$JOB"
	[ -n "${1:-}" ] && cp "$1" "$JOB/guest_check.sh"
	"$RIG" --job "$JOB" --hostfwd "$PORT:4420" --timeout 1500 -- \
		sh test/rig/nvmet_target.sh "$NQN1" "$NQN2" >"$JOB.rig.log" 2>&1 &
	RIG_PID=$!
	for i in $(seq 300); do
		[ -f "$JOB/target.ready" ] && return 0
		kill -0 "$RIG_PID" 2>/dev/null || break
		sleep 1
	done
	cat "$JOB.rig.log"
	return 1
}

# target_cmd WORD: have the target do it and wait for its answer.
target_cmd() {
	local i
	rm -f "$JOB/target.ack"
	echo "$1" >"$JOB/target.cmd"
	for i in $(seq 100); do
		[ "$(cat "$JOB/target.ack" 2>/dev/null)" = "$1" ] && return 0
		sleep 0.2
	done
	return 1
}

cleanup() {
	if [ -n "$RIG_PID" ] && kill -0 "$RIG_PID" 2>/dev/null; then
		echo stop >"$JOB/target.cmd" 2>/dev/null
		sleep 2
		kill "$RIG_PID" 2>/dev/null
	fi
}
trap cleanup EXIT

# pnvme on the host needs hugepage memory like anywhere else.
HUGEMEM=256 scripts/setup.sh config >/dev/null || { echo "tcp: cannot reserve hugepages"; exit 1; }

guest_check=$(mktemp)
cat >"$guest_check" <<GUEST
HUGEMEM=128 scripts/setup.sh config >/dev/null || exit 1
# No subnqn: the discovery service; every NVM subsystem it lists is attached.
build/bin/pnvme_identify -r "trtype:TCP adrfam:IPv4 traddr:10.0.2.15 trsvcid:4420" --json
GUEST
echo "== tcp: target up"
if ! start_target "$guest_check"; then
	not_ok "the target guest came up"
	echo "tcp: $passed passed, $((failed)) failed"
	exit 1
fi
rm -f "$guest_check"

out=$(mktemp)
echo "== tcp: discovery and identify"
if [ "$(cat "$JOB/guest_check.rc" 2>/dev/null)" = 0 ] &&
	python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["controllers"]
assert sorted(x["subnqn"] for x in c) == sorted(sys.argv[2:]), c
' "$JOB/guest_check.log" "$NQN1" "$NQN2"; then
	ok "probe of the discovery service attaches both subsystems it lists (in the guest)"
else
	cat "$JOB/guest_check.log"
	not_ok "probe of the discovery service attaches both subsystems it lists (in the guest)"
fi
build/bin/pnvme_identify -r "$ADDR" --discover --json >"$out" 2>&1
rc=$?
if [ $rc -eq 0 ] && python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["discovery"][0]["entries"]
nvm = sorted(x["trid"].split("subnqn:")[1] for x in e if x["subtype"] == 2)
assert nvm == sorted(sys.argv[2:]), e
assert all("trsvcid:4420" in x["trid"] for x in e if x["subtype"] == 2), e
' "$out" "$NQN1" "$NQN2"; then
	ok "discovery log through the port forward lists both subsystems"
else
	cat "$out"
	not_ok "discovery log through the port forward lists both subsystems"
fi
build/bin/pnvme_identify -r "$ADDR subnqn:$NQN1" >"$out" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q "Subsystem NQN: *$NQN1" "$out" &&
	grep -q "Size: *2097152 blocks (1.00 GiB)" "$out"; then
	ok "identify over TCP: subsystem NQN and the 1 GiB namespace"
else
	cat "$out"
	not_ok "identify over TCP: subsystem NQN and the 1 GiB namespace"
fi
build/bin/pnvme_identify -r "$ADDR subnqn:nqn.2026-11.io.pnvme:nosuch" >"$out" 2>&1
rc=$?
if [ $rc -ne 0 ] && grep -q "refused the Connect" "$out"; then
	ok "an unknown subsystem NQN is refused with a line naming it"
else
	cat "$out"
	not_ok "an unknown subsystem NQN is refused with a line naming it"
fi

echo "== tcp: management over the fabric"
build/bin/pnvme_manage smart-log -r "$ADDR subnqn:$NQN1" --json >"$out" 2>"$out.err"
rc=$?
if [ $rc -eq 0 ] && python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["critical_warning"] == 0 and "host_read_commands" in j, j
' "$out"; then
	ok "pnvme_manage smart-log over TCP: the target's health log"
else
	cat "$out" "$out.err"
	not_ok "pnvme_manage smart-log over TCP: the target's health log"
fi
build/bin/pnvme_manage get-feature -f 0x0f -r "$ADDR subnqn:$NQN1" --json >"$out" 2>"$out.err"
rc=$?
if [ $rc -eq 0 ] && python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["feature_id"] == 15 and j["value"] > 0, j
' "$out"; then
	ok "pnvme_manage get-feature over TCP: the Keep Alive Timer the association agreed"
else
	cat "$out" "$out.err"
	not_ok "pnvme_manage get-feature over TCP: the Keep Alive Timer the association agreed"
fi

# The other logs the target keeps, each on its JSON.
manage_json() { # NAME PYTHON-ASSERTIONS (on j) VERB...
	local name=$1 assertions=$2
	shift 2
	if build/bin/pnvme_manage "$@" -r "$ADDR subnqn:$NQN1" --json >"$out" 2>"$out.err" &&
		python3 -c "import json, sys
j = json.load(open(sys.argv[1]))
$assertions" "$out"; then
		ok "$name"
	else
		cat "$out" "$out.err"
		not_ok "$name"
	fi
}
# (This target answers the firmware slot log with zeros, and reports no
# effects beyond "supported".)
manage_json "pnvme_manage fw-log over TCP: the target's (empty) firmware slot log" \
	'assert j == {"afi": 0}, j' fw-log
manage_json "pnvme_manage error-log over TCP" 'assert isinstance(j["errors"], list), j' \
	error-log -e 2
manage_json "pnvme_manage effects-log over TCP: flush, write, read, Get Log Page, Keep Alive" \
	'assert all(j["io_cmd_set"][o] & 1 for o in ("0x00", "0x01", "0x02")), j
assert j["admin_cmd_set"]["0x02"] & 1 and j["admin_cmd_set"]["0x18"] & 1, j' effects-log
manage_json "pnvme_manage list-ns over TCP" \
	'assert [n["nsid"] for n in j["namespaces"]] == [1], j' list-ns

echo "== tcp: a namespace added, then removed, through the target's configuration while connected"
rm -f "$JOB/ns.ready" "$JOB/ns.added"
build/test/system/pnvme_ns_mgmt_test -r "$ADDR subnqn:$NQN1" --watch 2 "$JOB" >"$out" 2>&1 &
watcher=$!
if wait_file "$JOB/ns.ready" 60 && target_cmd add-ns && wait_file "$JOB/ns.added" 60 &&
	target_cmd del-ns; then
	ok "the target added namespace 2 and removed it while pnvme was connected"
else
	not_ok "the target added namespace 2 and removed it while pnvme was connected"
fi
wait "$watcher"
count "namespace events over TCP" $? "$out"

echo "== tcp: a discovery controller hears its log change"
rm -f "$JOB/discovery.ready" "$JOB/discovery.events"
build/test/system/pnvme_aer_test --discovery -r "$ADDR subnqn:nqn.2014-08.org.nvmexpress.discovery" \
	"$JOB" >"$out" 2>&1 &
watcher=$!
# One subsystem off the port and back (with none left the port closes).
if wait_file "$JOB/discovery.ready" 60 && target_cmd unlink-last &&
	wait_lines "$JOB/discovery.events" 1 30 && target_cmd link-last; then
	ok "the target took a subsystem off its port and put it back"
else
	not_ok "the target took a subsystem off its port and put it back"
fi
wait "$watcher"
count "discovery log change over TCP" $? "$out"

echo "== tcp: I/O, digests off"
build/test/system/pnvme_io_test -r "$ADDR subnqn:$NQN1" >"$out" 2>&1
count "I/O" $? "$out"
echo "== tcp: I/O, header and data digests"
build/test/system/pnvme_io_test -r "$ADDR subnqn:$NQN2" --header-digest --data-digest \
	>"$out" 2>&1
count "I/O with digests" $? "$out"

echo "== tcp: reset in place: during threaded I/O, after a stall, 100 in a row"
build/test/system/pnvme_reset_test -r "$ADDR subnqn:$NQN1" >"$out" 2>&1
count "reset" $? "$out"

echo "== tcp: perf with verification, 2 threads x 2 qpairs"
build/bin/pnvme_perf -r "$ADDR subnqn:$NQN1" -q 16 -o 4096 -w randrw -t 3 -c 2 -P 2 --verify \
	--json >"$out" 2>&1
rc=$?
if [ $rc -eq 0 ] && python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))["total"]
assert t["iops"] > 0 and t["errors"] == 0 and t["verify_errors"] == 0, t
print("# %.0f IOPS" % t["iops"])
' "$out"; then
	ok "perf --verify over TCP: no errors, no mismatches"
else
	cat "$out"
	not_ok "perf --verify over TCP: no errors, no mismatches"
fi

echo "== tcp: perf rides through a reset every second"
build/bin/pnvme_perf -r "$ADDR subnqn:$NQN1" -q 16 -o 4096 -w randrw -t 4 -c 2 -P 4 --verify \
	--reset-every 1 --json >"$out" 2>"$out.err"
rc=$?
if [ $rc -eq 0 ] && python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))["total"]
assert t["resets"] >= 3 and t["iops"] > 0 and t["errors"] == 0 and t["verify_errors"] == 0, t
assert t["poll_group_threads"] == 2 and t["readiness_calls_per_io"] > 0, t
print("# %d resets, %.0f IOPS, %d aborted by them and sent again" %
      (t["resets"], t["iops"], t["aborted_by_reset"]))
' "$out"; then
	ok "perf --verify --reset-every 1 over TCP, 2 qpairs per thread in a poll group: no errors, no mismatches across the resets"
else
	cat "$out" "$out.err"
	not_ok "perf --verify --reset-every 1 over TCP: no errors, no mismatches across the resets"
fi

echo "== tcp: fio through the pnvme engine (host), verified"
if [ -f build/fio/pnvme_fio_engine.so ]; then
	# fio separates file names with colons: the NQN's is escaped.
	FIO_FILE="trtype=TCP adrfam=IPv4 traddr=127.0.0.1 trsvcid=$PORT subnqn=$(echo "$NQN1" | sed 's/:/\\:/g') ns=1"
	echo "# filename=$FIO_FILE"
	FIO_OUT=$out.fio
	. test/system/fio_check.sh
	fio_verify_matrix "$FIO_FILE" >"$out" 2>&1
	count "fio over TCP" 0 "$out"
	rm -f "$out".fio.*
else
	not_ok "the fio engine is built (make fio-engine)"
fi

echo "== tcp: keep-alive over an idle minute"
build/test/system/pnvme_fabrics_fault_test -r "$ADDR subnqn:$NQN1" idle 65 >"$out" 2>&1
count "keep-alive" $? "$out"

echo "== tcp: the target's port goes away mid-I/O, then comes back: reset in place"
rm -f "$JOB/io.started" "$JOB/io.failed" "$JOB/target.back"
build/test/system/pnvme_fabrics_fault_test -r "$ADDR subnqn:$NQN1" cut "$JOB" reconnect \
	>"$out" 2>&1 &
pid=$!
if wait_file "$JOB/io.started" 60 && target_cmd unlink; then
	wait_file "$JOB/io.failed" 60
	target_cmd link && touch "$JOB/target.back"
else
	not_ok "the target's port was unlinked mid-I/O"
fi
wait "$pid"
count "port removal" $? "$out"

echo "== tcp: the target's machine powers off mid-I/O"
rm -f "$JOB/io.started"
build/test/system/pnvme_fabrics_fault_test -r "$ADDR subnqn:$NQN2" cut "$JOB" >"$out" 2>&1 &
pid=$!
if wait_file "$JOB/io.started" 60; then
	echo poweroff >"$JOB/target.cmd"
else
	not_ok "I/O started before the power-off"
fi
wait "$pid"
count "power-off" $? "$out"
wait "$RIG_PID" 2>/dev/null
RIG_PID=
rm -f "$out" "$out.err"

echo "tcp: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
