/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The controller's end of a socket pair, played by a harness: PDUs it
 * writes are kept in an output buffer and go out as the socket takes them
 * (never blocking), so a host that does not read sees a backlog and the
 * stream stays whole.
 */
#ifndef PNVME_FUZZ_TCP_PEER_H
#define PNVME_FUZZ_TCP_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TCP_PEER_OUT_MAX (256u * 1024)

struct tcp_peer {
	int fd; /* -1 once closed */
	bool hdgst;
	bool ddgst;
	size_t out_len;
	uint8_t out[TCP_PEER_OUT_MAX];
};

/* How a structured PDU is spoiled: XOR @p xor_val into header byte
 * @p xor_at before the digest is computed, or break either digest. */
struct tcp_peer_damage {
	uint8_t xor_at;
	uint8_t xor_val;
	bool bad_hdgst;
	bool bad_ddgst;
};

void tcp_peer_init(struct tcp_peer *p, int fd, bool hdgst, bool ddgst);
/* Append raw bytes to the output (dropped beyond TCP_PEER_OUT_MAX). */
void tcp_peer_queue(struct tcp_peer *p, const void *buf, size_t len);
/* Write what the socket takes now. */
void tcp_peer_flush(struct tcp_peer *p);
/* Read and discard up to @p max bytes the host sent. */
void tcp_peer_drain(struct tcp_peer *p, size_t max);
void tcp_peer_close(struct tcp_peer *p);

void tcp_peer_send_resp(struct tcp_peer *p, uint16_t cid, uint16_t status, uint32_t cdw0,
			const struct tcp_peer_damage *d);
void tcp_peer_send_c2h(struct tcp_peer *p, uint16_t cid, uint32_t datao, const uint8_t *data,
		       uint32_t datal, uint8_t flags, const struct tcp_peer_damage *d);
void tcp_peer_send_r2t(struct tcp_peer *p, uint16_t cid, uint16_t ttag, uint32_t r2to,
		       uint32_t r2tl, const struct tcp_peer_damage *d);
void tcp_peer_send_term(struct tcp_peer *p, uint16_t fes, uint32_t fei, uint32_t extra);

#endif
