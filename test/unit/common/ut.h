/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared CUnit driver: each *_ut.c lists its tests and calls ut_run().
 */
#ifndef PNVME_UT_H
#define PNVME_UT_H

#include <CUnit/Basic.h>

struct ut_test {
	const char *name;
	void (*fn)(void);
};

/* Runs the tests; returns the process exit status (0 when all passed). */
int ut_run(const char *suite, const struct ut_test *tests);

#endif
