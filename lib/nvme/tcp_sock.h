/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Socket set-up for NVMe/TCP: a non-blocking connect and partial sends and
 * receives, for the connection set-up's steps (tcp_open.c).
 */
#ifndef PNVME_TCP_SOCK_H
#define PNVME_TCP_SOCK_H

#include <stddef.h>
#include <stdint.h>

#include "pnvme/nvme.h"

/* A non-blocking socket with its connect to @p trid under way, or -errno
 * (logged). */
int tcp_sock_connect_start(const struct pnvme_transport_id *trid);
/* 0 once connected (TCP_NODELAY set), -EAGAIN while under way, -errno. */
int tcp_sock_connect_done(int fd);
/* Send or receive what is left of @p len bytes (*done so far): 0 when all
 * have gone or arrived, -EAGAIN when the socket has no room or data yet,
 * -ECONNRESET when the peer closed, -errno. */
int tcp_sock_send_some(int fd, const void *buf, size_t len, size_t *done);
int tcp_sock_recv_some(int fd, void *buf, size_t len, size_t *done);
/* Sleep until @p events on @p fd or @p max_ms pass: 0 or -errno. */
int tcp_sock_wait(int fd, short events, uint32_t max_ms);

#endif
