/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Invariant checks for harnesses: a broken invariant aborts, so the fuzzer
 * records the input as a crash with the message above the stack.
 */
#ifndef PNVME_FUZZ_CHECK_H
#define PNVME_FUZZ_CHECK_H

void fuzz_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));

#define FUZZ_CHECK(cond, ...)                                      \
	do {                                                       \
		if (!(cond)) {                                     \
			fuzz_fail(__FILE__, __LINE__, __VA_ARGS__); \
		}                                                  \
	} while (0)

/* For invariant checks: no coverage instrumentation (their branches go one
 * way until the run ends, and they run after every step). */
#define FUZZ_NO_COVERAGE __attribute__((no_sanitize("coverage")))

/* Silence the library's log (one line per rejected PDU would dominate the
 * run time) unless FUZZ_VERBOSE is set in the environment. */
void fuzz_log_init(void);
/* libFuzzer's start-up hook; the default (weak) one calls fuzz_log_init(). */
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif
