#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# pnvme's main job: identify NVMe controllers.
#
#   scripts/run.sh                 boot the QEMU rig with an emulated NVMe
#                                  controller and run pnvme_identify there
#   scripts/run.sh -r TRID [...]   run pnvme_identify on this machine against
#                                  the given controllers (bound with
#                                  scripts/setup.sh first)
#
# Extra arguments go to pnvme_identify (e.g. --json).
set -euo pipefail
cd "$(dirname "$0")/.."

IDENTIFY=build/bin/pnvme_identify
if [[ ! -x $IDENTIFY ]]; then
	echo "run: $IDENTIFY is missing; build first (./configure && make)" >&2
	exit 1
fi

for arg in "$@"; do
	if [[ $arg == -r || $arg == --trid || $arg == -r* || $arg == --trid=* ]]; then
		exec "$IDENTIFY" "$@"
	fi
done

# No device given: the embedded default, QEMU's emulated controller.
quoted=
if (($# > 0)); then
	quoted=$(printf ' %q' "$@")
fi
exec test/rig/guest_run.sh --ctrl PNVME0001:1G -- sh -c \
	"HUGEMEM=256 scripts/setup.sh config >/dev/null && $IDENTIFY$quoted"
