/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TAP-style result lines shared by the system test programs: CHECK prints
 * "ok - ..." or "not ok - ..." and counts failures in the program's own
 * g_failures.
 */
#ifndef PNVME_SYSTEM_CHECK_H
#define PNVME_SYSTEM_CHECK_H

#include <stdio.h>

#define CHECK(cond, ...)                                    \
	do {                                                \
		if (cond) {                                 \
			printf("ok - ");                    \
		} else {                                    \
			printf("not ok - ");                \
			g_failures++;                       \
		}                                           \
		printf(__VA_ARGS__);                        \
		printf("\n");                               \
		fflush(stdout);                             \
	} while (0)

#endif
