/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * One NVMe/TCP connection of the test target, run by its own thread:
 * ICReq/ICResp, then CapsuleCmd and H2CData PDUs in, and R2T, C2HData and
 * CapsuleResp PDUs out. Every received header is checked before any of
 * its fields is used; a violation ends the connection with a C2HTermReq
 * naming the field.
 */
#ifndef PNVME_TEST_TARGET_TCP_CONN_H
#define PNVME_TEST_TARGET_TCP_CONN_H

#include <signal.h>
#include <stdbool.h>

#include "identify.h"
#include "queue.h"

/** MAXH2CDATA offered in ICResp. */
#define TARGET_MAXH2CDATA (128u * 1024u)
/** Commands one connection may have outstanding: the largest queue. */
#define TARGET_CONN_SLOTS (TARGET_MQES + 1u)

struct target_conn {
	int fd;
	char peer[64];
	bool verbose;
	/** Set (by the signal handler or the run-time limit) to end every connection. */
	const volatile sig_atomic_t *stop;
	/** A fatal error or a closed socket: the connection is over. */
	bool done;
	/** The connection ended with a C2HTermReq. */
	bool terminated;
	bool hdgst;
	bool ddgst;
	struct target_queue q;
	struct target_cmd slots[TARGET_CONN_SLOTS];
	/** In-capsule data of a command refused before its data was read. */
	uint8_t drain[TARGET_ADMIN_ICD_MAX > TARGET_IO_ICD_MAX ? TARGET_ADMIN_ICD_MAX
							      : TARGET_IO_ICD_MAX];
};

/** Serve @p conn until the host goes, an error, or *conn->stop; closes the socket. */
void target_conn_run(struct target_conn *conn);

#endif
