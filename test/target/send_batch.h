/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The PDUs one connection of the test target has to send, gathered so
 * that one sendmsg() carries all the replies to what one receive brought
 * in, instead of one system call (and one loopback wake-up of the host)
 * per PDU.
 *
 * Headers and digests are small: they are copied into the batch's own
 * header area, and pieces that follow each other there share one iovec.
 * Payloads are large: the batch only points at them, so their memory must
 * stay put until the flush. A buffer that would otherwise be freed before
 * then is handed to the batch, which frees it once it has been sent.
 */
#ifndef PNVME_TEST_TARGET_SEND_BATCH_H
#define PNVME_TEST_TARGET_SEND_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Room for 128 commands' replies (a full queue) of two iovecs each, and
 * their headers with digests; more than that is sent in several flushes. */
#define SEND_BATCH_IOVS 512u
#define SEND_BATCH_HDR_BYTES (16u * 1024u)
#define SEND_BATCH_OWNED 256u

struct send_batch {
	struct iovec iov[SEND_BATCH_IOVS];
	unsigned int iov_cnt;
	uint8_t hdr[SEND_BATCH_HDR_BYTES];
	uint32_t hdr_used;
	/** Buffers to free once the batch has been sent (or dropped). */
	void *owned[SEND_BATCH_OWNED];
	unsigned int owned_cnt;
	/** sendmsg() calls made, for the connection's statistics. */
	uint64_t calls;
};

/** Whether @p iovs more iovecs, @p hdr_bytes more header bytes and @p owned
 * more buffers to free fit; if not, flush first. */
bool send_batch_has_room(const struct send_batch *b, unsigned int iovs, uint32_t hdr_bytes,
			 unsigned int owned);

/** Queue a copy of @p len bytes (a header, a digest): @p p may go at once. */
void send_batch_copy(struct send_batch *b, const void *p, size_t len);

/** Queue @p len bytes at @p p without copying: they must stay until the flush. */
void send_batch_ref(struct send_batch *b, const void *p, size_t len);

/** Free @p buf (from malloc) after the flush, so queued references into it stay valid. */
void send_batch_own(struct send_batch *b, void *buf);

/**
 * Send everything queued on @p fd, with one sendmsg() unless the socket
 * takes it in parts, then empty the batch. Returns 0 or -errno (the
 * batch is emptied either way).
 */
int send_batch_flush(struct send_batch *b, int fd);

/** Empty the batch without sending (the connection is over). */
void send_batch_drop(struct send_batch *b);

#endif
