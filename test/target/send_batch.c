/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The send batch of one connection (see send_batch.h). Callers check for
 * room before they queue a PDU, so the functions that queue never fail.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "send_batch.h"

bool
send_batch_has_room(const struct send_batch *b, unsigned int iovs, uint32_t hdr_bytes,
		    unsigned int owned)
{
	return b->iov_cnt + iovs <= SEND_BATCH_IOVS &&
	       b->hdr_used + hdr_bytes <= SEND_BATCH_HDR_BYTES &&
	       b->owned_cnt + owned <= SEND_BATCH_OWNED;
}

void
send_batch_copy(struct send_batch *b, const void *p, size_t len)
{
	uint8_t *dst = b->hdr + b->hdr_used;
	struct iovec *last = b->iov_cnt > 0 ? &b->iov[b->iov_cnt - 1] : NULL;

	if (len == 0) {
		return;
	}
	memcpy(dst, p, len);
	b->hdr_used += (uint32_t)len;
	/* Right after the last piece copied (say a data digest, then the next
	 * response header): one iovec for both. */
	if (last != NULL && (uint8_t *)last->iov_base + last->iov_len == dst) {
		last->iov_len += len;
		return;
	}
	b->iov[b->iov_cnt++] = (struct iovec){.iov_base = dst, .iov_len = len};
}

void
send_batch_ref(struct send_batch *b, const void *p, size_t len)
{
	if (len == 0) {
		return;
	}
	b->iov[b->iov_cnt++] = (struct iovec){.iov_base = (void *)p, .iov_len = len};
}

void
send_batch_own(struct send_batch *b, void *buf)
{
	b->owned[b->owned_cnt++] = buf;
}

void
send_batch_drop(struct send_batch *b)
{
	unsigned int i;

	for (i = 0; i < b->owned_cnt; i++) {
		free(b->owned[i]);
	}
	b->owned_cnt = 0;
	b->iov_cnt = 0;
	b->hdr_used = 0;
}

int
send_batch_flush(struct send_batch *b, int fd)
{
	struct iovec *iov = b->iov;
	size_t cnt = b->iov_cnt;
	struct msghdr msg;
	ssize_t n;
	int rc = 0;

	/* The socket blocks with a send timeout: a partial send means it is
	 * full, and the next call waits for room (or times out). */
	while (cnt > 0) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.msg_iovlen = cnt;
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);
		b->calls++;
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			rc = -errno;
			break;
		}
		while (cnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	send_batch_drop(b);
	return rc;
}
