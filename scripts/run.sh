#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# pnvme's main job: identify NVMe controllers, then a short pnvme_perf.
#
#   scripts/run.sh                 boot the QEMU rig with an emulated NVMe
#                                  controller and run both there
#   scripts/run.sh -r TRID [...]   run both on this machine against the given
#                                  controllers (bound with scripts/setup.sh)
#
# Other arguments go to pnvme_identify (e.g. --json).
set -euo pipefail
cd "$(dirname "$0")/.."

IDENTIFY=build/bin/pnvme_identify
PERF=build/bin/pnvme_perf
PERF_ARGS=(-q 32 -o 4096 -w randread -t 3)
for bin in "$IDENTIFY" "$PERF"; do
	if [[ ! -x $bin ]]; then
		echo "run: $bin is missing; build first (./configure && make)" >&2
		exit 1
	fi
done

trids=()
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
	case ${args[i]} in
	-r | --trid) trids+=(-r "${args[i + 1]:-}") ;;
	--trid=*) trids+=(-r "${args[i]#--trid=}") ;;
	esac
done

if ((${#trids[@]} > 0)); then
	"$IDENTIFY" "$@"
	exec "$PERF" "${trids[@]}" "${PERF_ARGS[@]}"
fi

# No device given: the embedded default, QEMU's emulated controller.
quoted=
if (($# > 0)); then
	quoted=$(printf ' %q' "$@")
fi
exec test/rig/guest_run.sh --ctrl PNVME0001:1G -- sh -c \
	"HUGEMEM=256 scripts/setup.sh config >/dev/null && $IDENTIFY$quoted && $PERF ${PERF_ARGS[*]}"
