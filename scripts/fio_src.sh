#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Print the path of fio's source tree, configured, of the same version as
# the installed fio binary: the fio engine is compiled against it (Debian
# ships no headers for external engines). Fetched once with
# `apt-get source --download-only` (scripts/pkgdep.sh adds the deb-src
# entries), unpacked with dpkg-source and configured under
# .cache/fio-src/; later calls only print the path.
#
# Usage: scripts/fio_src.sh
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE=${FIO_SRC_CACHE:-$PWD/.cache/fio-src}
die() {
	echo "fio-src: $*" >&2
	exit 1
}

command -v fio >/dev/null 2>&1 || die "fio is not installed (run scripts/pkgdep.sh)"
want=$(fio --version 2>/dev/null) || die "'fio --version' failed"
# The exact Debian revision of the installed binary, when dpkg knows it.
pkgver=$(dpkg-query -W -f='${Version}' fio 2>/dev/null || true)
dir=$CACHE/$want${pkgver:+-$pkgver}

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9
if [[ -f $dir/.ready ]]; then
	echo "$dir"
	exit 0
fi

tmp=$(mktemp -d "$CACHE/tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
command -v dpkg-source >/dev/null 2>&1 || die "dpkg-source not found (run scripts/pkgdep.sh)"
spec=fio${pkgver:+=$pkgver}
fetched=0
for attempt in 1 2 3; do
	if (cd "$tmp" && apt-get source --download-only -q "$spec") >"$tmp/fetch.log" 2>&1; then
		fetched=1
		break
	fi
	sleep $((attempt * 5))
done
if ((!fetched)); then
	sed 's/^/fio-src: /' "$tmp/fetch.log" >&2
	die "cannot fetch fio's source ($spec) with apt-get source: are deb-src entries present and apt-get update done (scripts/pkgdep.sh)?"
fi
dsc=$(ls "$tmp"/fio_*.dsc 2>/dev/null | head -n 1)
[[ -n $dsc ]] || die "apt-get source fetched no fio_*.dsc"
dpkg-source -x "$dsc" "$tmp/src" >"$tmp/unpack.log" 2>&1 || {
	cat "$tmp/unpack.log" >&2
	die "dpkg-source -x $dsc failed"
}
got=$(sed -n 's/^DEF_VER=//p' "$tmp/src/FIO-VERSION-GEN" | head -n 1)
[[ $got == "$want" ]] || die "fio's source is $got but the installed fio is $want: they must be the same version"
# The structures the engine shares with fio do not depend on the optional
# libraries configure looks for, so the default configuration will do.
(cd "$tmp/src" && ./configure --disable-native) >"$tmp/configure.log" 2>&1 || {
	cat "$tmp/configure.log" >&2
	die "fio's ./configure failed"
}
[[ -f $tmp/src/config-host.h ]] || die "fio's ./configure wrote no config-host.h"
rm -rf "$dir"
mv "$tmp/src" "$dir"
touch "$dir/.ready"
echo "$dir"
