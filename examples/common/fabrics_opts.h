/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fabrics connection options shared by the tools (--header-digest,
 * --data-digest), applied to every controller they attach.
 */
#ifndef PNVME_EXAMPLES_FABRICS_OPTS_H
#define PNVME_EXAMPLES_FABRICS_OPTS_H

#include <stdbool.h>

#include "pnvme/nvme.h"

/* getopt_long codes of the options (outside the range of short options). */
#define FABRICS_OPT_HEADER_DIGEST 0x1001
#define FABRICS_OPT_DATA_DIGEST 0x1002

/* The long options, for a tool's option table. */
#define FABRICS_LONG_OPTIONS                                                  \
	{"header-digest", no_argument, NULL, FABRICS_OPT_HEADER_DIGEST},       \
	{                                                                      \
		"data-digest", no_argument, NULL, FABRICS_OPT_DATA_DIGEST      \
	}

/* Usage lines for them. */
#define FABRICS_USAGE                                                                  \
	"  --header-digest    NVMe/TCP: CRC32C digest on every PDU header\n"             \
	"  --data-digest      NVMe/TCP: CRC32C digest on every PDU's data\n"

/* true when @p c was one of these options (and is now recorded). */
bool fabrics_opts_parse(int c);
/* Probe callback: attach every controller, with the recorded options. */
bool fabrics_opts_probe_cb(void *cb_ctx, const struct pnvme_transport_id *trid,
			   struct pnvme_ctrlr_opts *opts);
/* The recorded options applied to @p opts. */
void fabrics_opts_apply(struct pnvme_ctrlr_opts *opts);

#endif
