#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Benchmarks (scripts, not timed tests): print figures and ratios and write
# them to docs/performance.md.
#
#   scripts/bench.sh [pcie] [tcp]     (both when none is named)
#   BENCH_SECONDS=N                   seconds per point (default 8)
set -euo pipefail
cd "$(dirname "$0")/.."

parts=("$@")
((${#parts[@]})) || parts=(pcie tcp)
for part in "${parts[@]}"; do
	case $part in
	pcie) test/bench/pcie.sh ;;
	tcp) test/bench/tcp.sh ;;
	*)
		echo "bench: unknown part '$part' (pcie or tcp)" >&2
		exit 2
		;;
	esac
done
