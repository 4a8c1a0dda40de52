/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared CUnit driver.
 */
#include <stdio.h>

#include "test_env.h"
#include "ut.h"

static int
suite_init(void)
{
	test_env_reset();
	return 0;
}

int
ut_run(const char *suite_name, const struct ut_test *tests)
{
	CU_pSuite suite;
	unsigned int failed;
	int i;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		return 2;
	}
	suite = CU_add_suite(suite_name, suite_init, NULL);
	if (suite == NULL) {
		CU_cleanup_registry();
		return 2;
	}
	for (i = 0; tests[i].name != NULL; i++) {
		if (CU_add_test(suite, tests[i].name, tests[i].fn) == NULL) {
			CU_cleanup_registry();
			return 2;
		}
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_tests_failed();
	if (CU_get_number_of_tests_run() == 0) {
		fprintf(stderr, "%s: no test ran\n", suite_name);
		failed = 1;
	}
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
