# SPDX-License-Identifier: BSD-3-Clause
# Sourced by the system test scripts (host and guest): bounded waits on
# files the other side writes. Each polls every 0.2 s and returns 0 once
# the condition holds, 1 after SECONDS.

# wait_file FILE SECONDS: FILE exists.
wait_file() {
	_w=0
	while [ $_w -lt $(($2 * 5)) ]; do
		[ -f "$1" ] && return 0
		sleep 0.2
		_w=$((_w + 1))
	done
	return 1
}

# wait_lines FILE N SECONDS: FILE has at least N lines.
wait_lines() {
	_w=0
	while [ $_w -lt $(($3 * 5)) ]; do
		[ "$(wc -l <"$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
		sleep 0.2
		_w=$((_w + 1))
	done
	return 1
}

# wait_grep FILE PATTERN SECONDS: a line of FILE matches PATTERN.
wait_grep() {
	_w=0
	while [ $_w -lt $(($3 * 5)) ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.2
		_w=$((_w + 1))
	done
	return 1
}
