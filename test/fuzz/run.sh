#!/usr/bin/env bash
# Run fuzz harnesses one after another, each for a fixed time, one process
# at a time (the machines this runs on are small and shared).
#
# Usage: test/fuzz/run.sh SECONDS build/fuzz/fuzz_NAME...
#
# Each harness starts from a copy of its seed corpus (test/fuzz/corpus/NAME)
# in a scratch directory, so the committed corpus stays as it is. A crash,
# leak, timeout or broken invariant fails the harness; its log is shown and
# the reproducer is kept under build/fuzz/findings/NAME/. The last line is
# "fuzz: N passed, N failed"; the exit status is 1 when any failed.
#
# Environment: FUZZ_RUNS=N also stops each harness after N executions
# (whichever limit comes first); FUZZ_KEEP=DIR keeps each grown corpus in
# DIR/NAME and the full log in DIR/NAME.log; FUZZ_FINDINGS=DIR puts the
# reproducers under DIR/NAME instead.
set -uo pipefail

if (($# < 2)); then
	echo "usage: $0 SECONDS FUZZER..." >&2
	exit 2
fi
seconds=$1
shift

root=$(cd "$(dirname "$0")/../.." && pwd)
findings_root=${FUZZ_FINDINGS:-$root/build/fuzz/findings}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/pnvme-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# Stack-use-after-return catches callbacks that write into a returned frame.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_stack_use_after_return=1:detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0
failed=0
for bin in "$@"; do
	name=$(basename "$bin")
	name=${name#fuzz_}
	corpus=$scratch/$name/corpus
	findings=$findings_root/$name
	log=$scratch/$name/log
	mkdir -p "$corpus" "$findings"
	if [[ -d $root/test/fuzz/corpus/$name ]]; then
		cp -r "$root/test/fuzz/corpus/$name/." "$corpus/"
	fi
	start=$(date +%s)
	"$bin" -max_total_time="$seconds" ${FUZZ_RUNS:+-runs="$FUZZ_RUNS"} -timeout=10 \
		-rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 -artifact_prefix="$findings/" \
		"$corpus" >"$log" 2>&1
	rc=$?
	elapsed=$(($(date +%s) - start))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	if [[ -n ${FUZZ_KEEP:-} ]]; then
		mkdir -p "$FUZZ_KEEP"
		rm -rf "${FUZZ_KEEP:?}/$name"
		cp -r "$corpus" "$FUZZ_KEEP/$name"
		cp "$log" "$FUZZ_KEEP/$name.log"
	fi
	if ((rc == 0)); then
		passed=$((passed + 1))
		echo "fuzz_$name: ok (${execs:-?} runs in ${elapsed}s)"
	else
		failed=$((failed + 1))
		echo "fuzz_$name: FAILED (exit $rc after ${execs:-?} runs in ${elapsed}s); log follows"
		grep -v -E '^(#[0-9]+|INFO:|MS:|base unit:|0x|\\x|.*Uses:)' "$log" | tail -60
		echo "fuzz_$name: reproducer(s) in $findings/"
	fi
done
echo "fuzz: $passed passed, $failed failed"
((failed == 0))
