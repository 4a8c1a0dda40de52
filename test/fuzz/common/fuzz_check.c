/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Invariant failure reporting and log set-up shared by every harness.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_check.h"
#include "pnvme/nvme.h"

void
fuzz_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "==FUZZ INVARIANT== %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static void
discard_log(enum pnvme_log_level level, const char *line)
{
	(void)level;
	(void)line;
}

void
fuzz_log_init(void)
{
	if (getenv("FUZZ_VERBOSE") != NULL) {
		pnvme_log_set_level(PNVME_LOG_DEBUG);
		pnvme_log_set_handler(NULL);
		return;
	}
	pnvme_log_set_level(PNVME_LOG_ERROR);
	pnvme_log_set_handler(discard_log);
}

/* The harnesses that need nothing more at start-up use this one; a harness
 * that does defines its own (and calls fuzz_log_init()). */
__attribute__((weak)) int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_log_init();
	return 0;
}
