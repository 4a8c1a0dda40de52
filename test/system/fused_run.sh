#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Fused compare-and-write, end to end: pnvme_io_test against the
# fused-capable NVMe/TCP test target (test/target/) on the loopback
# interface, with digests off and on, after the target's own raw-protocol
# checks; then once more with the target offering no fused operations. No
# guest is needed. Prints "fused: N passed, N failed".
#
# FUSED_TEST_BUILD=DIR takes the binaries from DIR instead of build/.
set -u
cd "$(dirname "$0")/../.."

BIN=${FUSED_TEST_BUILD:-build}
TARGET=$BIN/test/target/pnvme_test_target
TARGET_CHECK=$BIN/test/target/pnvme_test_target_check
IO_TEST=$BIN/test/system/pnvme_io_test
NQN=nqn.2026-11.io.pnvme:fused
JOB=$(mktemp -d)
TARGET_PID=
. test/system/tap_count.sh

cleanup() {
	if [ -n "$TARGET_PID" ] && kill -0 "$TARGET_PID" 2>/dev/null; then
		kill -TERM "$TARGET_PID" 2>/dev/null
		wait "$TARGET_PID" 2>/dev/null
	fi
	rm -rf "$JOB"
}
trap cleanup EXIT

# start_target [OPTION...]: start the target on a free port (it picks one
# and writes it to the ready file once it listens); sets PORT. The run-time
# limit bounds a hung test.
start_target() {
	local i
	rm -f "$JOB/ready"
	"$TARGET" --nqn "$NQN" --port 0 --size-mib 256 --ready-file "$JOB/ready" --timeout 900 \
		"$@" >"$JOB/target.log" 2>&1 &
	TARGET_PID=$!
	for i in $(seq 100); do
		if [ -s "$JOB/ready" ]; then
			PORT=$(cat "$JOB/ready")
			return 0
		fi
		kill -0 "$TARGET_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$JOB/target.log"
	return 1
}

# Stop the target with SIGTERM; true when it ended cleanly.
stop_target() {
	local rc
	kill -TERM "$TARGET_PID" 2>/dev/null
	wait "$TARGET_PID"
	rc=$?
	TARGET_PID=
	[ $rc -eq 0 ] && grep -q '^stopped$' "$JOB/target.log"
}

for f in "$TARGET" "$TARGET_CHECK" "$IO_TEST"; do
	if [ ! -x "$f" ]; then
		not_ok "$f is built"
		echo "fused: $passed passed, $failed failed"
		exit 1
	fi
done

# pnvme needs hugepage memory even over TCP. PCI_ALLOWED=none: this test
# uses no PCI device, so none is rebound.
if ! HUGEMEM=256 PCI_ALLOWED=none scripts/setup.sh config >/dev/null; then
	not_ok "hugepages reserved"
	echo "fused: $passed passed, $failed failed"
	exit 1
fi

echo "== fused: target up"
if ! start_target; then
	not_ok "the test target listens"
	echo "fused: $passed passed, $failed failed"
	exit 1
fi
ok "the test target listens on 127.0.0.1:$PORT"
ADDR="trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:$PORT subnqn:$NQN"
out=$JOB/out

echo "== fused: the target's own protocol checks (what the library never sends)"
timeout 120 "$TARGET_CHECK" --port "$PORT" --nqn "$NQN" >"$out" 2>&1
count "the target's own checks" $? "$out"

echo "== fused: I/O, digests off"
timeout 600 "$IO_TEST" -r "$ADDR" >"$out" 2>&1
count "I/O against the test target" $? "$out"
if grep -q '^ok - .*fused compare-and-write pairs succeeded' "$out"; then
	ok "the fused compare-and-write checks ran (the target offers FUSES)"
else
	not_ok "the fused compare-and-write checks ran (the target offers FUSES)"
fi

echo "== fused: I/O, header and data digests"
timeout 600 "$IO_TEST" -r "$ADDR" --header-digest --data-digest >"$out" 2>&1
count "I/O against the test target with digests" $? "$out"

echo "== fused: reset in place against the test target"
timeout 600 "$BIN/test/system/pnvme_reset_test" -r "$ADDR" >"$out" 2>&1
count "reset against the test target" $? "$out"

echo "== fused: perf rides through a reset every second (and writes its latency CSV and plot)"
timeout 120 "$BIN/bin/pnvme_perf" -r "$ADDR" -q 16 -o 4096 -w randrw -t 4 -c 2 -P 4 --verify \
	--reset-every 1 --json --latency-csv "$JOB/latency.csv" --plot "$JOB/latency.svg" \
	>"$out" 2>"$JOB/perf.err"
rc=$?
if [ $rc -eq 0 ] && python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))["total"]
assert t["resets"] >= 3 and t["iops"] > 0 and t["errors"] == 0 and t["verify_errors"] == 0, t
assert t["poll_group_threads"] == 2 and t["readiness_calls_per_io"] > 0, t
print("# %d resets, %.0f IOPS, %d aborted by them and sent again" %
      (t["resets"], t["iops"], t["aborted_by_reset"]))
' "$out"; then
	ok "perf --verify --reset-every 1, 2 qpairs per thread in a poll group: no errors, no mismatches across the resets"
else
	cat "$out" "$JOB/perf.err"
	not_ok "perf --verify --reset-every 1: no errors, no mismatches across the resets"
fi

# The same run's --latency-csv and --plot: what the plot script relies on.
if [ $rc -eq 0 ] && test/system/latency_csv_check.py "$out" "$JOB/latency.csv" "$JOB/latency.svg" \
	"randrw (50% reads), 4 KiB, QD16, TCP"; then
	ok "perf --latency-csv: counts add up to the I/Os of the run and of its jobs, cumulative ends at 1, bounds ascend; --plot: an SVG with the workload and the p50/p90/p99/p99.9 labels"
else
	head -n 40 "$JOB/latency.csv"
	not_ok "perf --latency-csv and --plot: a consistent histogram and its SVG"
fi

echo "== fused: perf deeper than the controller's queues"
timeout 120 "$BIN/bin/pnvme_perf" -r "$ADDR" -q 512 -o 4096 -w randrw -t 2 --verify --json \
	>"$out" 2>"$JOB/perf.err"
rc=$?
if [ $rc -eq 0 ] && python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))["total"]
assert t["iops"] > 0 and t["errors"] == 0 and t["verify_errors"] == 0, t
' "$out"; then
	ok "perf -q 512 against 128-entry queues (CAP.MQES 127): the rest waits in software, no errors"
else
	cat "$out" "$JOB/perf.err"
	not_ok "perf -q 512 against 128-entry queues (CAP.MQES 127): the rest waits in software, no errors"
fi

echo "== fused: target stops"
if stop_target; then
	ok "the test target stops cleanly on SIGTERM"
else
	cat "$JOB/target.log"
	not_ok "the test target stops cleanly on SIGTERM"
fi

# The same checks against a controller without FUSES (as the other peers):
# the library refuses fused commands up front.
echo "== fused: I/O against the target without FUSES"
if start_target --no-fused; then
	timeout 600 "$IO_TEST" -r "trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:$PORT subnqn:$NQN" \
		>"$out" 2>&1
	count "I/O against the test target without FUSES" $? "$out"
	if grep -q '^ok - fused compare refused up front without FUSES' "$out"; then
		ok "without FUSES the fused compare is refused up front"
	else
		not_ok "without FUSES the fused compare is refused up front"
	fi
	stop_target || not_ok "the test target (no FUSES) stops cleanly on SIGTERM"
else
	not_ok "the test target without FUSES listens"
fi

echo "fused: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
