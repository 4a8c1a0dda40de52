#!/usr/bin/env bash
# Compile every ```c block of docs/guide.md against the public headers
# (syntax and types only), so the guide's code stays true to the API.
#
# Usage: scripts/check_guide.sh [CC [CFLAGS...]]   (default: cc and the project's warnings)
set -euo pipefail
cd "$(dirname "$0")/.."

guide=docs/guide.md
cc=${1:-cc}
shift || true
if (($# == 0)); then
	set -- -std=gnu11 -Wall -Wextra -Werror -Wstrict-prototypes -Wshadow -Wformat=2 -D_GNU_SOURCE
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Block N goes to $tmp/block_N.c; its first line in the guide is recorded
# so an error points back at it.
awk -v dir="$tmp" '
	/^```c[ \t]*$/ { n++; inblock = 1; file = dir "/block_" n ".c";
		printf "#line %d \"%s\"\n", NR + 1, FILENAME > file; next }
	/^```/ && inblock { inblock = 0; close(file); next }
	inblock { print > file }
' "$guide"

shopt -s nullglob
blocks=("$tmp"/block_*.c)
if ((${#blocks[@]} == 0)); then
	echo "check_guide: no C blocks in $guide" >&2
	exit 1
fi
for f in "${blocks[@]}"; do
	"$cc" "$@" -Iinclude -fsyntax-only "$f"
done
echo "check_guide: ${#blocks[@]} C blocks of $guide compile"
