#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Runs inside the rig guest, next to the kernel's NVMe/RDMA target (soft-RoCE
# on the guest NIC) that test/rig/nvmet_target.sh set up with the subsystems
# $NQN1 and $NQN2: the host kernel has no RDMA, so pnvme runs here. Prints
# "ok - " / "not ok - " lines; the host counts them (rdma_run.sh).
set -u
. test/system/tap_count.sh
. test/system/wait.sh
CFG=/sys/kernel/config/nvmet
A="trtype:RDMA adrfam:IPv4 traddr:10.0.2.15 trsvcid:4420"
JOB=$PNVME_RIG_JOB
out=/tmp/rdma-test.out

HUGEMEM=512 scripts/setup.sh config >/dev/null || { not_ok "hugepages in the guest"; exit 1; }

echo "== rdma: discovery and identify"
timeout 120 build/bin/pnvme_identify -r "$A" --json >$out 2>&1
if [ $? -eq 0 ] && python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["controllers"]
assert sorted(x["subnqn"] for x in c) == sorted(sys.argv[2:]), c
assert all(x["trid"].startswith("trtype:RDMA") for x in c), c
' $out "$NQN1" "$NQN2"; then
	ok "probe of the discovery service over RDMA attaches both subsystems it lists"
else
	cat $out
	not_ok "probe of the discovery service over RDMA attaches both subsystems it lists"
fi
timeout 120 build/bin/pnvme_identify -r "$A" --discover --json >$out 2>&1
if [ $? -eq 0 ] && python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["discovery"][0]["entries"]
nvm = sorted(x["trid"].split("subnqn:")[1] for x in e if x["subtype"] == 2)
assert nvm == sorted(sys.argv[2:]), e
assert all(x["trid"].startswith("trtype:RDMA adrfam:IPv4 traddr:10.0.2.15 trsvcid:4420")
           for x in e), e
' $out "$NQN1" "$NQN2"; then
	ok "identify --discover lists both subsystems as RDMA entries"
else
	cat $out
	not_ok "identify --discover lists both subsystems as RDMA entries"
fi
timeout 120 build/bin/pnvme_identify -r "$A subnqn:$NQN1" >$out 2>&1
if [ $? -eq 0 ] && grep -q "Subsystem NQN: *$NQN1" $out &&
	grep -q "Size: *2097152 blocks (1.00 GiB)" $out; then
	ok "identify over RDMA: subsystem NQN and the 1 GiB namespace"
else
	cat $out
	not_ok "identify over RDMA: subsystem NQN and the 1 GiB namespace"
fi
timeout 120 build/bin/pnvme_identify -r "$A subnqn:nqn.2026-12.io.pnvme:nosuch" >$out 2>&1
if [ $? -ne 0 ] && grep -q "refused the Connect" $out; then
	ok "an unknown subsystem NQN is refused with a line naming it"
else
	cat $out
	not_ok "an unknown subsystem NQN is refused with a line naming it"
fi

timeout 120 build/bin/pnvme_hello_world -r "$A subnqn:$NQN1" >$out 2>&1
if [ $? -eq 0 ] && grep -q "read back: Hello from pnvme!" $out; then
	ok "hello_world over RDMA writes and reads back its greeting"
else
	cat $out
	not_ok "hello_world over RDMA writes and reads back its greeting"
fi

echo "== rdma: I/O (sizes across MDTS, vectors, in-capsule and keyed data, memory mapped later)"
timeout 600 build/test/system/pnvme_io_test -r "$A subnqn:$NQN1" >$out 2>&1
count "I/O" $? $out

echo "== rdma: reset in place: during threaded I/O, after a stall, 100 in a row"
timeout 600 build/test/system/pnvme_reset_test -r "$A subnqn:$NQN1" >$out 2>&1
count "reset" $? $out

echo "== rdma: perf with verification, 2 threads x 2 qpairs"
timeout 120 build/bin/pnvme_perf -r "$A subnqn:$NQN1" -q 16 -o 4096 -w randrw -t 3 -c 2 -P 4 \
	--verify --json >$out 2>&1
if [ $? -eq 0 ] && python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))["total"]
assert t["iops"] > 0 and t["errors"] == 0 and t["verify_errors"] == 0, t
assert t["poll_group_threads"] == 2 and t["readiness_calls_per_io"] > 0, t
assert t["post_send_calls_per_io"] > 0 and t["cq_polls_per_io"] > 0, t
print("# %.0f IOPS; per I/O: %.3f shared completion queue polls, %.3f own polls" %
      (t["iops"], t["readiness_calls_per_io"], t["cq_polls_per_io"]))
' $out; then
	ok "perf --verify over RDMA, 2 threads x 2 qpairs in poll groups sharing a completion queue: no errors, no mismatches"
else
	cat $out
	not_ok "perf --verify over RDMA, 2 threads x 2 qpairs in poll groups: no errors, no mismatches"
fi

echo "== rdma: perf rides through a reset every second"
timeout 120 build/bin/pnvme_perf -r "$A subnqn:$NQN1" -q 16 -o 4096 -w randrw -t 4 -c 2 -P 2 \
	--verify --reset-every 1 --json >$out 2>$out.err
if [ $? -eq 0 ] && python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))["total"]
assert t["resets"] >= 3 and t["iops"] > 0 and t["errors"] == 0 and t["verify_errors"] == 0, t
print("# %d resets, %.0f IOPS, %d aborted by them and sent again" %
      (t["resets"], t["iops"], t["aborted_by_reset"]))
' $out; then
	ok "perf --verify --reset-every 1 over RDMA: no errors, no mismatches across the resets"
else
	cat $out $out.err
	not_ok "perf --verify --reset-every 1 over RDMA: no errors, no mismatches across the resets"
fi

echo "== rdma: keep-alive over an idle minute"
timeout 200 build/test/system/pnvme_fabrics_fault_test -r "$A subnqn:$NQN1" idle 65 >$out 2>&1
count "keep-alive" $? $out

echo "== rdma: the target's port goes away mid-I/O, then comes back: reset in place"
rm -f "$JOB/io.started" "$JOB/io.failed" "$JOB/target.back"
timeout 300 build/test/system/pnvme_fabrics_fault_test -r "$A subnqn:$NQN1" cut "$JOB" reconnect \
	>$out 2>&1 &
pid=$!
if wait_file "$JOB/io.started" 120; then
	# The port stops offering the subsystem: the target drops its
	# connections.
	rm "$CFG/ports/1/subsystems/$NQN1"
	wait_file "$JOB/io.failed" 120
	ln -s "$CFG/subsystems/$NQN1" "$CFG/ports/1/subsystems/$NQN1" && touch "$JOB/target.back"
else
	not_ok "I/O started before the port was unlinked"
fi
wait $pid
count "port removal" $? $out
rm -f $out $out.err

echo "rdma: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
