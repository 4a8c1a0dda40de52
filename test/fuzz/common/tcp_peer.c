/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scripted NVMe/TCP controller end of a socket pair (see tcp_peer.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nvme/crc32c.h"
#include "nvme/tcp_pdu.h"
#include "tcp_peer.h"

void
tcp_peer_init(struct tcp_peer *p, int fd, bool hdgst, bool ddgst)
{
	p->fd = fd;
	p->hdgst = hdgst;
	p->ddgst = ddgst;
	p->out_len = 0;
}

void
tcp_peer_queue(struct tcp_peer *p, const void *buf, size_t len)
{
	size_t room = TCP_PEER_OUT_MAX - p->out_len;

	if (len > room) {
		len = room;
	}
	memcpy(p->out + p->out_len, buf, len);
	p->out_len += len;
}

void
tcp_peer_flush(struct tcp_peer *p)
{
	ssize_t n;

	while (p->fd >= 0 && p->out_len > 0) {
		n = send(p->fd, p->out, p->out_len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n <= 0) {
			if (n < 0 && errno == EINTR) {
				continue;
			}
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
				p->out_len = 0; /* the host closed: nothing more goes out */
			}
			return;
		}
		memmove(p->out, p->out + n, p->out_len - (size_t)n);
		p->out_len -= (size_t)n;
	}
}

void
tcp_peer_drain(struct tcp_peer *p, size_t max)
{
	uint8_t buf[4096];
	ssize_t n;

	while (p->fd >= 0 && max > 0) {
		n = recv(p->fd, buf, max < sizeof(buf) ? max : sizeof(buf), MSG_DONTWAIT);
		if (n <= 0) {
			return;
		}
		max -= (size_t)n;
	}
}

void
tcp_peer_close(struct tcp_peer *p)
{
	if (p->fd >= 0) {
		close(p->fd);
		p->fd = -1;
	}
	p->out_len = 0;
}

/* Queue a header of @p hlen bytes (its common header filled in), damaged
 * as asked, followed by its digest when digests are on. */
static void
queue_header(struct tcp_peer *p, void *hdr, uint32_t hlen, const struct tcp_peer_damage *d)
{
	uint8_t *h = hdr;
	uint32_t crc;

	if (d != NULL && d->xor_val != 0) {
		h[d->xor_at % hlen] ^= d->xor_val;
	}
	tcp_peer_queue(p, h, hlen);
	if (p->hdgst) {
		crc = crc32c(h, hlen);
		if (d != NULL && d->bad_hdgst) {
			crc ^= 1;
		}
		tcp_peer_queue(p, &crc, sizeof(crc));
	}
}

static void
fill_common(struct tcp_common_hdr *ch, uint8_t type, uint8_t flags, uint32_t hlen, uint32_t pdo,
	    uint32_t plen)
{
	ch->type = type;
	ch->flags = flags;
	ch->hlen = (uint8_t)hlen;
	ch->pdo = (uint8_t)pdo;
	ch->plen = plen;
}

void
tcp_peer_send_resp(struct tcp_peer *p, uint16_t cid, uint16_t status, uint32_t cdw0,
		   const struct tcp_peer_damage *d)
{
	struct tcp_capsule_resp r;
	uint32_t hd = p->hdgst ? TCP_DIGEST_LEN : 0;

	memset(&r, 0, sizeof(r));
	fill_common(&r.ch, TCP_PDU_CAPSULE_RESP, p->hdgst ? TCP_FLAG_HDGST : 0,
		    TCP_CAPSULE_RESP_HLEN, 0, TCP_CAPSULE_RESP_HLEN + hd);
	r.cpl.cdw0 = cdw0;
	r.cpl.cid = cid;
	r.cpl.status_raw = status;
	queue_header(p, &r, sizeof(r), d);
}

void
tcp_peer_send_c2h(struct tcp_peer *p, uint16_t cid, uint32_t datao, const uint8_t *data,
		  uint32_t datal, uint8_t flags, const struct tcp_peer_damage *d)
{
	struct tcp_data_hdr h;
	uint32_t hd = p->hdgst ? TCP_DIGEST_LEN : 0, dd = p->ddgst ? TCP_DIGEST_LEN : 0, crc;

	memset(&h, 0, sizeof(h));
	flags &= TCP_FLAG_LAST_PDU | TCP_FLAG_SUCCESS;
	flags |= (p->hdgst ? TCP_FLAG_HDGST : 0) | (p->ddgst ? TCP_FLAG_DDGST : 0);
	fill_common(&h.ch, TCP_PDU_C2H_DATA, flags, TCP_DATA_HLEN, TCP_DATA_HLEN + hd,
		    TCP_DATA_HLEN + hd + datal + dd);
	h.cccid = cid;
	h.datao = datao;
	h.datal = datal;
	queue_header(p, &h, sizeof(h), d);
	tcp_peer_queue(p, data, datal);
	if (p->ddgst) {
		crc = crc32c(data, datal);
		if (d != NULL && d->bad_ddgst) {
			crc ^= 1;
		}
		tcp_peer_queue(p, &crc, sizeof(crc));
	}
}

void
tcp_peer_send_r2t(struct tcp_peer *p, uint16_t cid, uint16_t ttag, uint32_t r2to, uint32_t r2tl,
		  const struct tcp_peer_damage *d)
{
	struct tcp_r2t_hdr r;
	uint32_t hd = p->hdgst ? TCP_DIGEST_LEN : 0;

	memset(&r, 0, sizeof(r));
	fill_common(&r.ch, TCP_PDU_R2T, p->hdgst ? TCP_FLAG_HDGST : 0, TCP_R2T_HLEN, 0,
		    TCP_R2T_HLEN + hd);
	r.cccid = cid;
	r.ttag = ttag;
	r.r2to = r2to;
	r.r2tl = r2tl;
	queue_header(p, &r, sizeof(r), d);
}

void
tcp_peer_send_term(struct tcp_peer *p, uint16_t fes, uint32_t fei, uint32_t extra)
{
	uint8_t buf[TCP_TERM_MAX_PLEN];
	struct tcp_term_hdr t;

	if (extra > TCP_TERM_MAX_PLEN - TCP_TERM_HLEN) {
		extra = TCP_TERM_MAX_PLEN - TCP_TERM_HLEN;
	}
	memset(&t, 0, sizeof(t));
	fill_common(&t.ch, TCP_PDU_C2H_TERM_REQ, 0, TCP_TERM_HLEN, 0, TCP_TERM_HLEN + extra);
	t.fes = fes;
	t.feil = (uint16_t)fei;
	t.feiu = (uint16_t)(fei >> 16);
	memset(buf, 0xa5, sizeof(buf));
	memcpy(buf, &t, sizeof(t));
	tcp_peer_queue(p, buf, TCP_TERM_HLEN + extra);
}
