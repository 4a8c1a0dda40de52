/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exactly-once completion accounting for harnesses that submit commands.
 * Every submitted command carries a token as its callback argument; the
 * callback checks that the token is outstanding (a second completion, or a
 * completion of something never submitted, aborts) and frees the token's
 * data buffers, so the library touching them after completion is a
 * use-after-free the sanitizer reports.
 */
#ifndef PNVME_FUZZ_REQ_TRACKER_H
#define PNVME_FUZZ_REQ_TRACKER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

#include "nvme/nvme_internal.h"

#define REQ_TRACKER_MAX_TOKENS 256
#define REQ_TOKEN_MAX_BUFS 4

enum req_token_state {
	REQ_TOKEN_UNUSED,
	REQ_TOKEN_OUTSTANDING,
	REQ_TOKEN_COMPLETED,
	REQ_TOKEN_REFUSED, /* the submit call returned an error */
};

struct req_tracker;

struct req_token {
	struct req_tracker *tracker;
	enum req_token_state state;
	unsigned int index;
	bool resubmit; /* the callback submits another command */
	int nbufs;
	void *bufs[REQ_TOKEN_MAX_BUFS];
	struct iovec iov[REQ_TOKEN_MAX_BUFS];
	struct pnvme_cpl cpl;
};

struct req_tracker {
	struct pnvme_qpair *qpair;
	bool dma; /* buffers from pnvme_dma_zmalloc (PCIe needs translatable memory) */
	unsigned int used;
	unsigned int outstanding;
	/* Called from a callback whose token asks for a resubmission. */
	void (*resubmit)(struct req_tracker *tracker);
	void *ctx;
	struct req_token tokens[REQ_TRACKER_MAX_TOKENS];
};

void req_tracker_init(struct req_tracker *t, struct pnvme_qpair *qpair, bool dma);
/* A fresh token, or NULL when every one was used (tokens are never reused
 * within one input, so a late second completion is still caught). */
struct req_token *req_tracker_new(struct req_tracker *t);
/* A zeroed data buffer of @p len bytes owned by the token (freed at completion). */
void *req_token_alloc(struct req_token *tok, size_t len);
/* Allocate a request from the qpair for @p tok; NULL when none is free. */
struct nvme_request *req_token_request(struct req_token *tok);
/* Submit @p req (from req_token_request) and record the result. */
int req_tracker_submit(struct req_token *tok, struct nvme_request *req);
/* The completion callback every tracked command uses. */
void req_tracker_cb(void *cb_arg, const struct pnvme_cpl *cpl);
/* The qpair's request accounting agrees with the tokens. */
void req_tracker_check(const struct req_tracker *t);
/* After the qpair has been failed: nothing may remain outstanding. Frees
 * what is left. */
void req_tracker_finish(struct req_tracker *t);

#endif
