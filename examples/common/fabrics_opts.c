/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fabrics connection options shared by the tools.
 */
#include "fabrics_opts.h"

static bool g_header_digest;
static bool g_data_digest;

bool
fabrics_opts_parse(int c)
{
	switch (c) {
	case FABRICS_OPT_HEADER_DIGEST:
		g_header_digest = true;
		return true;
	case FABRICS_OPT_DATA_DIGEST:
		g_data_digest = true;
		return true;
	default:
		return false;
	}
}

void
fabrics_opts_apply(struct pnvme_ctrlr_opts *opts)
{
	opts->header_digest = g_header_digest;
	opts->data_digest = g_data_digest;
}

bool
fabrics_opts_probe_cb(void *cb_ctx, const struct pnvme_transport_id *trid,
		      struct pnvme_ctrlr_opts *opts)
{
	(void)cb_ctx;
	(void)trid;
	fabrics_opts_apply(opts);
	return true;
}
