/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pnvme_manage's feature verbs: get-feature, set-feature.
 */
#include <stdio.h>
#include <stdlib.h>

#include "manage.h"

int
get_feature(struct manage *m)
{
	struct admin_wait aw = {0};
	uint8_t *buf = NULL;
	uint32_t i;
	int rc;

	if (m->data_len > 0) {
		buf = calloc(1, m->data_len);
		if (buf == NULL) {
			return 1;
		}
	}
	rc = admin_wait(m, &aw,
			pnvme_ctrlr_cmd_get_feature(m->ctrlr, m->fid, (enum pnvme_feat_sel)m->sel,
						    m->nsid, m->cdw11, buf, m->data_len,
						    admin_done, &aw),
			"get-feature", ADMIN_WAIT_S);
	if (rc == 0 && m->json) {
		json_begin_object(&m->w, NULL);
		json_uint(&m->w, "feature_id", m->fid);
		json_uint(&m->w, "sel", (uint64_t)m->sel);
		json_uint(&m->w, "value", aw.cpl.cdw0);
		json_end_object(&m->w);
	} else if (rc == 0) {
		printf("get-feature:%#04x (sel %d), value:%#010x\n", m->fid, m->sel, aw.cpl.cdw0);
		for (i = 0; i < m->data_len; i++) {
			printf("%02x%s", buf[i], (i + 1) % 16 == 0 || i + 1 == m->data_len ? "\n" : " ");
		}
	}
	free(buf);
	return rc == 0 ? 0 : 1;
}

int
set_feature(struct manage *m)
{
	struct admin_wait aw = {0};
	int rc;

	rc = admin_wait(m, &aw,
			pnvme_ctrlr_cmd_set_feature(m->ctrlr, m->fid, m->save, m->nsid, m->value, 0,
						    NULL, 0, admin_done, &aw),
			"set-feature", ADMIN_WAIT_S);
	if (rc == 0 && m->json) {
		json_begin_object(&m->w, NULL);
		json_uint(&m->w, "feature_id", m->fid);
		json_uint(&m->w, "value", m->value);
		json_uint(&m->w, "result", aw.cpl.cdw0);
		json_end_object(&m->w);
	} else if (rc == 0) {
		printf("set-feature:%#04x (%s), value:%#010x, cdw12:%#010x, save:%d\n", m->fid,
		       m->save ? "save" : "current", m->value, 0, m->save);
	}
	return rc == 0 ? 0 : 1;
}

