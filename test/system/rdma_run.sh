#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# System tests of the NVMe/RDMA transport against the Linux kernel's target
# (nvmet-rdma over soft-RoCE, on memory-backed null_blk) in the rig guest.
# The host kernel has no RDMA, so the checks (rdma_guest.sh) run inside the
# guest, next to the target. Prints "rdma: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."

JOB=$(pwd)/.cache/rdma-test
NQN1=nqn.2026-12.io.pnvme:rdma1
NQN2=nqn.2026-12.io.pnvme:rdma2
. test/system/tap_count.sh

rm -rf "$JOB"
mkdir -p "$JOB"
cp test/system/rdma_guest.sh "$JOB/guest_check.sh"
# The NIC carries soft-RoCE; the port forward only brings it up.
test/rig/guest_run.sh --job "$JOB" --hostfwd "${RDMA_TEST_PORT:-24421}:4420" --timeout 1500 -- \
	env NVMET_TRTYPE=rdma NVMET_EXIT_AFTER_CHECK=1 NQN1="$NQN1" NQN2="$NQN2" \
	sh test/rig/nvmet_target.sh "$NQN1" "$NQN2" >"$JOB.rig.log" 2>&1
rc=$?
if [ -f "$JOB/guest_check.log" ]; then
	count "NVMe/RDMA checks in the guest" "$(cat "$JOB/guest_check.rc" 2>/dev/null || echo 1)" \
		"$JOB/guest_check.log"
else
	cat "$JOB.rig.log"
	not_ok "the guest with the NVMe/RDMA target ran the checks (rig exit $rc)"
fi

echo "rdma: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
