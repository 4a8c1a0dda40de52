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
	# tests and baselines; dpkg-dev unpacks fio's source for the ioengine
	fio dpkg-dev iproute2 python3 valgrind nvme-cli
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

# fio's ioengine is built against fio's own source (Debian ships no headers
# for it), fetched with `apt-get source`: that needs deb-src entries for the
# suites the binary packages come from. Written once, beside the existing
# entries, with the same URIs and suites.
SRC_LIST=/etc/apt/sources.list.d/pnvme-deb-src.sources
need_update=0
add_deb_src() {
	local tmp
	[[ -f $SRC_LIST ]] && return 0
	tmp=$(mktemp)
	# deb822 files: every stanza whose Types has "deb", again as deb-src.
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -f $f && $f != "$SRC_LIST" ]] || continue
		awk 'BEGIN { RS = ""; ORS = "\n\n" }
		/(^|\n)Types:[^\n]*(^| )deb( |\n|$)/ && /URIs:[^\n]*debian/ {
			n = split($0, l, "\n"); out = ""
			for (i = 1; i <= n; i++) {
				if (l[i] ~ /^#/) continue
				if (l[i] ~ /^Types:/) l[i] = "Types: deb-src"
				out = out l[i] "\n"
			}
			printf "%s\n", out
		}' "$f" >>"$tmp"
	done
	# One-line format: every "deb URI SUITE ..." again as deb-src.
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -f $f ]] || continue
		awk '$1 == "deb" && $0 ~ /debian/ {
			sub(/^deb[ \t]+/, ""); printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\n\n", \
				($1 ~ /^\[/ ? $2 : $1), ($1 ~ /^\[/ ? $3 : $2) }' "$f" >>"$tmp"
	done
	if [[ ! -s $tmp ]]; then
		echo "pkgdep: no Debian archive found in apt's sources: cannot add deb-src entries" >&2
		rm -f "$tmp"
		return 1
	fi
	install -m 0644 "$tmp" "$SRC_LIST"
	rm -f "$tmp"
	echo "pkgdep: added deb-src entries ($SRC_LIST)"
	need_update=1
}
add_deb_src

missing=()
for pkg in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	if [[ $status != installed ]]; then
		missing+=("$pkg")
	fi
done

# True when apt has package and source lists (apt-get update ran at least
# once since the deb-src entries were added).
have_lists() {
	compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null &&
		compgen -G '/var/lib/apt/lists/*_Sources*' >/dev/null
}

if ((${#missing[@]} == 0)); then
	if ((need_update)) || ! have_lists; then
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
