#!/usr/bin/env bash
# Install every Debian package needed to build and test pnvme.
#
# Usage: scripts/pkgdep.sh
#
# Idempotent and non-interactive. When every package is already installed it
# only makes sure the apt package lists exist (the QEMU test rig fetches the
# guest kernel with `apt-get download`, which needs them).
set -euo pipefail

PACKAGES=(
	# build
	gcc make pkg-config
	libdpdk-dev dpdk-dev libnuma-dev libpciaccess-dev libisal-dev
	uuid-dev libcunit1-dev
	# NVMe/RDMA: verbs and the connection manager, and the providers
	# (soft-RoCE among them) at run time
	libibverbs-dev librdmacm-dev ibverbs-providers rdma-core
	# QEMU test rig (guest = generic Debian kernel + host userland over 9p)
	qemu-system-x86 qemu-utils busybox-static cpio kmod
	# tests and baselines
	fio iproute2 python3 valgrind nvme-cli
	# latency plots (pnvme_perf --plot, scripts/bench.sh)
	gnuplot-nox
	# fuzz harnesses: clang with libFuzzer, llvm-symbolizer for crash stacks
	clang libclang-rt-14-dev llvm-14
	# API reference (make doc)
	doxygen
)

if [[ $(id -u) -ne 0 ]]; then
	echo "pkgdep: must be run as root (try: sudo $0)" >&2
	exit 1
fi

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
	echo "pkgdep: this script supports Debian (apt-get/dpkg-query not found)" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive

missing=()
for pkg in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	if [[ $status != installed ]]; then
		missing+=("$pkg")
	fi
done

# True when apt has package lists (apt-get update ran at least once).
have_lists() {
	compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null
}

if ((${#missing[@]} == 0)); then
	if ! have_lists; then
		echo "pkgdep: all packages installed; fetching apt package lists"
		apt-get update -q
	fi
	echo "pkgdep: all ${#PACKAGES[@]} packages already installed"
	exit 0
fi

echo "pkgdep: installing: ${missing[*]}"
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"

# Verify: a package that apt skipped silently must not go unnoticed.
still=()
for pkg in "${missing[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	[[ $status == installed ]] || still+=("$pkg")
done
if ((${#still[@]})); then
	echo "pkgdep: failed to install: ${still[*]}" >&2
	exit 1
fi
echo "pkgdep: done"
