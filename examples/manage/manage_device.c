/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pnvme_manage's device verbs: self-test (device-self-test) starts or
 * aborts a device self-test, sanitize starts a sanitize operation. Each
 * only starts the operation: self-test-log and the Sanitize Status log
 * tell how it goes.
 */
#include <stdio.h>

#include "manage.h"

int
device_self_test(struct manage *m)
{
	struct admin_wait aw = {0};

	if (!manage_given(m, OPT_STC)) {
		return missing_option(m, "--stc CODE (1 short, 2 extended, 15 abort)");
	}
	if (admin_wait(m, &aw,
		       pnvme_ctrlr_cmd_self_test(m->ctrlr, manage_given(m, OPT_NSID) ? m->nsid
										: PNVME_NSID_ALL,
						 (enum pnvme_self_test_code)m->stc, admin_done,
						 &aw),
		       "self-test", ADMIN_WAIT_S) != 0) {
		return 1;
	}
	if (m->json) {
		json_begin_object(&m->w, NULL);
		json_string(&m->w, "result", "success");
		json_uint(&m->w, "stc", m->stc);
		json_end_object(&m->w);
	} else if (m->stc == PNVME_SELF_TEST_ABORT) {
		printf("Aborting device self-test operation\n");
	} else {
		printf("Device self-test started\n");
	}
	return 0;
}

int
sanitize(struct manage *m)
{
	struct pnvme_sanitize opts = {
		.action = (enum pnvme_sanitize_action)m->sanact,
		.ause = m->ause,
		.owpass = (uint8_t)(m->owpass > 255 ? 255 : m->owpass),
		.oipbp = m->oipbp,
		.ndas = m->no_dealloc,
		.ovrpat = m->ovrpat,
	};
	struct admin_wait aw = {0};

	if (!manage_given(m, OPT_SANACT)) {
		return missing_option(m, "--sanact ACTION (1 exit failure, 2 block erase, "
					 "3 overwrite, 4 crypto erase)");
	}
	if (admin_wait(m, &aw, pnvme_ctrlr_cmd_sanitize(m->ctrlr, &opts, admin_done, &aw),
		       "sanitize", ADMIN_WAIT_S) != 0) {
		return 1;
	}
	if (m->json) {
		json_begin_object(&m->w, NULL);
		json_string(&m->w, "result", "success");
		json_uint(&m->w, "sanact", m->sanact);
		json_end_object(&m->w);
	} else {
		printf("Sanitize started (action %u); the Sanitize Status log page tells its "
		       "progress\n",
		       m->sanact);
	}
	return 0;
}
