/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe/TCP zero-copy send. A send of at least TCP_ZCOPY_MIN_BYTES goes
 * with MSG_ZEROCOPY: the kernel sends straight from the command's buffer
 * instead of copying it into the socket, and says later, on the socket's
 * error queue, when it no longer reads it. Until then the command is not
 * completed (the application would reuse its buffer), even when the
 * controller has already answered: the answer is held.
 *
 * A note that says the kernel copied after all (a peer on the same host)
 * turns zero copy off for the connection: it would only cost there.
 */
#include <errno.h>
#include <time.h> /* before linux/errqueue.h, which uses struct timespec */

#include <linux/errqueue.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "nvme/tcp_internal.h"

#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY 60
#endif
#ifndef SO_EE_ORIGIN_ZEROCOPY
#define SO_EE_ORIGIN_ZEROCOPY 5
#endif
#ifndef SO_EE_CODE_ZEROCOPY_COPIED
#define SO_EE_CODE_ZEROCOPY_COPIED 1
#endif

void
tcp_zcopy_enable(struct tcp_qpair *tq)
{
	int one = 1;

	/* Numbering restarts with every socket. */
	tq->zc_sent = 0;
	tq->zc_done = 0;
	tq->zc_ahead = 0;
	tq->zcopy = setsockopt(tq->fd, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)) == 0;
}

void
tcp_zcopy_released(struct tcp_qpair *tq, uint32_t lo, uint32_t hi)
{
	uint32_t seq, off;

	/* Only sends made and not yet released count (the kernel is trusted,
	 * but a bad range must not complete a command early). */
	if (hi - lo >= TCP_ZCOPY_MAX_PENDING || lo - tq->zc_done >= tq->zc_sent - tq->zc_done ||
	    hi - tq->zc_done >= tq->zc_sent - tq->zc_done) {
		return;
	}
	for (seq = lo;; seq++) {
		off = seq - tq->zc_done;
		tq->zc_ahead |= 1ull << off;
		if (seq == hi) {
			break;
		}
	}
	while (tq->zc_ahead & 1) {
		tq->zc_ahead >>= 1;
		tq->zc_done++;
	}
}

/* Read what the error queue holds: 0 once empty. */
static int
read_notes(struct tcp_qpair *tq)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct sock_extended_err)) * 4];
		struct cmsghdr align;
	} control;
	const struct sock_extended_err *serr;
	struct msghdr msg;
	struct cmsghdr *cm;

	for (;;) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		tq->recv_calls++;
		if (recvmsg(tq->fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		}
		for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
			if (!((cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_RECVERR) ||
			      (cm->cmsg_level == SOL_IPV6 && cm->cmsg_type == IPV6_RECVERR)) ||
			    cm->cmsg_len < CMSG_LEN(sizeof(*serr))) {
				continue;
			}
			serr = (const struct sock_extended_err *)CMSG_DATA(cm);
			if (serr->ee_origin != SO_EE_ORIGIN_ZEROCOPY || serr->ee_errno != 0) {
				continue;
			}
			if (serr->ee_code & SO_EE_CODE_ZEROCOPY_COPIED) {
				tq->zcopy = false;
			}
			tcp_zcopy_released(tq, serr->ee_info, serr->ee_data);
		}
	}
}

void
tcp_zcopy_reap(struct tcp_qpair *tq, uint32_t *done)
{
	struct tcp_req *tr, *next;

	if (tq->fd >= 0 && tcp_zcopy_pending(tq)) {
		(void)read_notes(tq); /* a broken socket shows in the receive */
	}
	for (tr = TAILQ_FIRST(&tq->zc_held); tr != NULL; tr = next) {
		next = TAILQ_NEXT(tr, zc_link);
		if (tcp_zcopy_seq_done(tq, tr->zc_seq)) {
			TAILQ_REMOVE(&tq->zc_held, tr, zc_link);
			tr->zc_held = false;
			tcp_req_complete_now(tq, tr, &tr->zc_cpl);
			(*done)++;
		}
	}
}

void
tcp_zcopy_close(int fd)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};

	/* A reset instead of an orderly close: the send queue is dropped at
	 * once instead of being sent on after the command was completed. */
	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}
