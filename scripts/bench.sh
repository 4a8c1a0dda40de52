#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Benchmarks (scripts, not timed tests): print figures and ratios and write
# them to docs/performance.md.
#
#   scripts/bench.sh [pcie] [tcp] [tcp-fast] [rdma] [fio]   (pcie, tcp and rdma when none
#                                              is named; tcp-fast: only the host-side TCP part;
#                                              fio: fio through the pnvme engine)
#   BENCH_SECONDS=N                   seconds per point (default 8)
set -euo pipefail
cd "$(dirname "$0")/.."

parts=("$@")
((${#parts[@]})) || parts=(pcie tcp rdma)
for part in "${parts[@]}"; do
	case $part in
	pcie) test/bench/pcie.sh ;;
	tcp) test/bench/tcp.sh ;;
	tcp-fast) test/bench/tcp.sh fast ;;
	rdma) test/bench/rdma.sh ;;
	fio) test/bench/fio.sh ;;
	*)
		echo "bench: unknown part '$part' (pcie, tcp, tcp-fast, rdma or fio)" >&2
		exit 2
		;;
	esac
done
