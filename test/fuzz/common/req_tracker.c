/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exactly-once completion accounting (see req_tracker.h).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "req_tracker.h"

static const char *
state_name(enum req_token_state s)
{
	switch (s) {
	case REQ_TOKEN_UNUSED:
		return "never submitted";
	case REQ_TOKEN_OUTSTANDING:
		return "outstanding";
	case REQ_TOKEN_COMPLETED:
		return "already completed";
	case REQ_TOKEN_REFUSED:
		return "refused at submission";
	}
	return "?";
}

void
req_tracker_init(struct req_tracker *t, struct pnvme_qpair *qpair, bool dma)
{
	memset(t, 0, sizeof(*t));
	t->qpair = qpair;
	t->dma = dma;
}

struct req_token *
req_tracker_new(struct req_tracker *t)
{
	struct req_token *tok;

	if (t->used == REQ_TRACKER_MAX_TOKENS) {
		return NULL;
	}
	tok = &t->tokens[t->used];
	memset(tok, 0, sizeof(*tok));
	tok->tracker = t;
	tok->index = t->used++;
	return tok;
}

void *
req_token_alloc(struct req_token *tok, size_t len)
{
	void *buf;

	if (tok->nbufs == REQ_TOKEN_MAX_BUFS || len == 0) {
		return NULL;
	}
	buf = tok->tracker->dma ? pnvme_dma_zmalloc(len, 4, NULL) : calloc(1, len);
	FUZZ_CHECK(buf != NULL, "out of memory for a %zu-byte buffer", len);
	tok->bufs[tok->nbufs] = buf;
	tok->iov[tok->nbufs].iov_base = buf;
	tok->iov[tok->nbufs].iov_len = len;
	tok->nbufs++;
	return buf;
}

static void
token_free_bufs(struct req_token *tok)
{
	int i;

	for (i = 0; i < tok->nbufs; i++) {
		if (tok->tracker->dma) {
			pnvme_dma_free(tok->bufs[i]);
		} else {
			free(tok->bufs[i]);
		}
		tok->bufs[i] = NULL;
	}
	tok->nbufs = 0;
}

struct nvme_request *
req_token_request(struct req_token *tok)
{
	struct nvme_request *req = nvme_qpair_alloc_request(tok->tracker->qpair, req_tracker_cb, tok);

	if (req != NULL) {
		memset(&req->cmd, 0, sizeof(req->cmd));
	}
	return req;
}

int
req_tracker_submit(struct req_token *tok, struct nvme_request *req)
{
	struct req_tracker *t = tok->tracker;
	int rc;

	/* Outstanding before the call: a transport may complete it inside. */
	tok->state = REQ_TOKEN_OUTSTANDING;
	t->outstanding++;
	rc = nvme_qpair_submit_request(t->qpair, req);
	if (rc != 0) {
		FUZZ_CHECK(tok->state == REQ_TOKEN_OUTSTANDING,
			   "token %u: submit returned %d but the callback ran", tok->index, rc);
		tok->state = REQ_TOKEN_REFUSED;
		t->outstanding--;
		token_free_bufs(tok);
	}
	return rc;
}

void
req_tracker_cb(void *cb_arg, const struct pnvme_cpl *cpl)
{
	struct req_token *tok = cb_arg;
	struct req_tracker *t = tok->tracker;

	FUZZ_CHECK(tok->state == REQ_TOKEN_OUTSTANDING,
		   "completion callback for token %u, which is %s", tok->index,
		   state_name(tok->state));
	if (t->qpair->failed) {
		FUZZ_CHECK(pnvme_cpl_is_error(cpl),
			   "token %u completed successfully on a failed qpair", tok->index);
	}
	tok->state = REQ_TOKEN_COMPLETED;
	tok->cpl = *cpl;
	t->outstanding--;
	token_free_bufs(tok);
	if (tok->resubmit && !t->qpair->failed && t->resubmit != NULL) {
		t->resubmit(t);
	}
}

FUZZ_NO_COVERAGE void
req_tracker_check(const struct req_tracker *t)
{
	const struct pnvme_qpair *q = t->qpair;

	FUZZ_CHECK(q->num_outstanding == t->outstanding,
		   "qpair counts %u outstanding requests, the harness %u", q->num_outstanding,
		   t->outstanding);
	FUZZ_CHECK(q->num_free_reqs + q->num_outstanding == q->num_reqs,
		   "free requests %u + outstanding %u != %u requests", q->num_free_reqs,
		   q->num_outstanding, q->num_reqs);
	if (q->failed) {
		FUZZ_CHECK(t->outstanding == 0,
			   "qpair failed with %u requests never completed", t->outstanding);
	}
}

void
req_tracker_finish(struct req_tracker *t)
{
	unsigned int i;

	FUZZ_CHECK(t->outstanding == 0, "%u requests never completed after the qpair failed",
		   t->outstanding);
	for (i = 0; i < t->used; i++) {
		token_free_bufs(&t->tokens[i]);
	}
}
