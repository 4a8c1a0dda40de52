# SPDX-License-Identifier: BSD-3-Clause
# Sourced by the system test scripts: totals of "ok - " / "not ok - " lines.
passed=0
failed=0

# count NAME RC LOG: show a program's output and add its ok / not ok lines
# to the totals; a failing exit with no "not ok" line counts as one failure.
count() {
	local p f
	cat "$3"
	p=$(grep -c '^ok - ' "$3")
	f=$(grep -c '^not ok - ' "$3")
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $1 ended with exit $2"
		failed=$((failed + 1))
	fi
}

# ok NAME / not_ok NAME: a script's own check, printed and counted.
ok() {
	echo "ok - $*"
	passed=$((passed + 1))
}
not_ok() {
	echo "not ok - $*"
	failed=$((failed + 1))
}
