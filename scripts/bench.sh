#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Benchmarks (scripts, not timed tests): print figures and ratios and write
# them to docs/performance.md.
#
#   scripts/bench.sh [pcie] [tcp] [tcp-fast]   (pcie and tcp when none is named;
#                                              tcp-fast: only the host-side TCP part)
#   BENCH_SECONDS=N                   seconds per point (default 8)
set -euo pipefail
cd "$(dirname "$0")/.."

parts=("$@")
((${#parts[@]})) || parts=(pcie tcp)
for part in "${parts[@]}"; do
	case $part in
	pcie) test/bench/pcie.sh ;;
	tcp) test/bench/tcp.sh ;;
	tcp-fast) test/bench/tcp.sh fast ;;
	*)
		echo "bench: unknown part '$part' (pcie, tcp or tcp-fast)" >&2
		exit 2
		;;
	esac
done
