/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pnvme_manage's shared pieces: the parsed command line, the wait for one
 * admin command, and the verbs each file provides.
 */
#ifndef PNVME_EXAMPLES_MANAGE_H
#define PNVME_EXAMPLES_MANAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "json_writer.h"
#include "pnvme/nvme.h"

/* Longest wait for one admin command, polling; Format NVM and firmware
 * commands may take much longer than the rest. */
#define ADMIN_WAIT_S 10
#define LONG_ADMIN_WAIT_S 600

/* Values given on the command line; which were given at all is in the
 * bit of @p given named by the option's enum manage_opt. */
struct manage {
	const char *verb;
	bool json;
	struct pnvme_ctrlr *ctrlr;
	uint64_t given;
	uint32_t nsid;
	uint8_t fid;
	int sel;
	uint32_t value;
	uint32_t cdw11;
	uint32_t data_len;
	bool save;
	uint32_t log_entries;
	/* format */
	uint32_t lbaf, ses, pi, pil, ms;
	/* create-ns */
	uint64_t nsze, ncap;
	uint32_t flbas, dps, nmic;
	/* attach-ns, detach-ns */
	const char *controllers;
	/* fw-download, fw-commit */
	const char *fw_path;
	uint32_t xfer, offset, slot, action, bpid;
	/* self-test */
	uint32_t stc;
	/* sanitize */
	uint32_t sanact, owpass, ovrpat;
	bool ause, oipbp, no_dealloc;
	struct json_writer w;
};

/* Options, as main() numbers them (short letters map onto the same). */
enum manage_opt {
	OPT_NSID = 0x100,
	OPT_FID,
	OPT_SEL,
	OPT_VALUE,
	OPT_DATA_LEN,
	OPT_LOG_ENTRIES,
	OPT_CDW11,
	OPT_SAVE,
	OPT_LBAF,
	OPT_SES,
	OPT_PI,
	OPT_PIL,
	OPT_MS,
	OPT_NSZE,
	OPT_NCAP,
	OPT_FLBAS,
	OPT_DPS,
	OPT_NMIC,
	OPT_CONTROLLERS,
	OPT_FW,
	OPT_XFER,
	OPT_OFFSET,
	OPT_SLOT,
	OPT_ACTION,
	OPT_BPID,
	OPT_STC,
	OPT_SANACT,
	OPT_AUSE,
	OPT_OWPASS,
	OPT_OIPBP,
	OPT_NO_DEALLOC,
	OPT_OVRPAT,
	OPT_END,
};

static inline bool
manage_given(const struct manage *m, enum manage_opt opt)
{
	return (m->given >> (opt - OPT_NSID)) & 1u;
}

struct admin_wait {
	bool done;
	struct pnvme_cpl cpl;
};

/* The completion callback that fills a struct admin_wait. */
void admin_done(void *arg, const struct pnvme_cpl *cpl);
/* Poll until @p aw is done or @p wait_s seconds pass; 0, or -1 with a line
 * naming @p what (the submission's error @p rc, no answer, or the
 * controller's status). */
int admin_wait(struct manage *m, struct admin_wait *aw, int rc, const char *what,
	       unsigned int wait_s);
/* The same, but any answer is 0: the caller judges the status. */
int admin_wait_answer(struct manage *m, struct admin_wait *aw, int rc, const char *what,
		      unsigned int wait_s);
/* Read @p len bytes of log @p lid for @p nsid: 0 or -1 (a line said why). */
int read_log(struct manage *m, uint8_t lid, uint32_t nsid, void *buf, uint32_t len,
	     const char *what);
/* One line about a verb that needs an option it was not given: 2. */
int missing_option(const struct manage *m, const char *option);

/* Verbs: each returns the process's exit status. */
int smart_log(struct manage *m);
int error_log(struct manage *m);
int fw_log(struct manage *m);
int changed_ns_list_log(struct manage *m);
int effects_log(struct manage *m);
int self_test_log(struct manage *m);
int get_feature(struct manage *m);
int set_feature(struct manage *m);
int format_ns(struct manage *m);
int create_ns(struct manage *m);
int delete_ns(struct manage *m);
int attach_ns(struct manage *m);
int detach_ns(struct manage *m);
int fw_download(struct manage *m);
int fw_commit(struct manage *m);
int device_self_test(struct manage *m);
int sanitize(struct manage *m);

#endif
