#!/usr/bin/env bash
# Runs every unit-test binary given on the command line and prints one
# summary line: "unit: N passed, N failed" (test cases, not binaries).
set -u
passed=0
failed=0
bins=0
for bin in "$@"; do
	bins=$((bins + 1))
	out=$("$bin" 2>&1)
	rc=$?
	echo "$out" | grep -E '^  Test: |^    [0-9]+\. ' || true
	# CUnit's summary row: "tests  Total Ran Passed Failed Inactive".
	read -r total ran ok bad _ < <(echo "$out" | awk '$1 == "tests" {print $2, $3, $4, $5, $6}')
	if [ -z "${ran:-}" ]; then
		echo "unit: $bin printed no summary (exit $rc)"
		failed=$((failed + 1))
		continue
	fi
	passed=$((passed + ok))
	failed=$((failed + bad))
	if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
		echo "unit: $bin exited $rc"
		failed=$((failed + 1))
	fi
done
if [ "$bins" -eq 0 ] || [ $((passed + failed)) -eq 0 ]; then
	echo "unit: no test ran"
	exit 1
fi
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
