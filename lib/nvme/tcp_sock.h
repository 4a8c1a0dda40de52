/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Socket set-up for NVMe/TCP: connect with a deadline, and the blocking
 * exchanges of connection set-up (ICReq/ICResp) with one.
 */
#ifndef PNVME_TCP_SOCK_H
#define PNVME_TCP_SOCK_H

#include <stddef.h>
#include <stdint.h>

#include "pnvme/nvme.h"

/* A connected non-blocking socket with TCP_NODELAY, or -errno (logged). */
int tcp_sock_connect(const struct pnvme_transport_id *trid, uint32_t timeout_ms);
/* Send or receive exactly @p len bytes within @p timeout_ms: 0 or -errno. */
int tcp_sock_send_all(int fd, const void *buf, size_t len, uint32_t timeout_ms);
int tcp_sock_recv_all(int fd, void *buf, size_t len, uint32_t timeout_ms);

#endif
