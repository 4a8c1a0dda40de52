/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * One NVMe/TCP connection of the test target, run by its own thread:
 * ICReq/ICResp, then CapsuleCmd and H2CData PDUs in, and R2T, C2HData and
 * CapsuleResp PDUs out. Every received header is checked before any of
 * its fields is used; a violation ends the connection with a C2HTermReq
 * naming the field.
 *
 * Bytes move in bulk, whatever the mode: one receive call takes whatever
 * the socket holds (up to TARGET_RX_BUF) and every whole PDU in it is
 * handled before the socket is read again; the replies to them are
 * gathered in a send batch and leave with one sendmsg() just before that
 * next read (or when the batch is full). Under load, many commands thus
 * share each system call. The replies never wait on the host: they are
 * always sent before the connection reads, and so before it can wait.
 *
 * Bench mode (benchmarks only, never a test peer) adds two things. A read
 * that finds the socket empty polls it again, yielding the core in
 * between, and only sleeps in poll() once nothing has come for about a
 * millisecond: a busy host's next commands are picked up without a sleep
 * and a wake-up. And with the null namespace, I/O queue reads and writes
 * get no buffer of their own: reads are sent straight from the shared
 * zeroes, writes' data is received into the connection's sink and
 * dropped.
 */
#ifndef PNVME_TEST_TARGET_TCP_CONN_H
#define PNVME_TEST_TARGET_TCP_CONN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "identify.h"
#include "queue.h"
#include "send_batch.h"

/** MAXH2CDATA offered in ICResp. */
#define TARGET_MAXH2CDATA (128u * 1024u)
/** Commands one connection may have outstanding: the largest queue. */
#define TARGET_CONN_SLOTS (TARGET_MQES + 1u)
/** The most one receive call takes. */
#define TARGET_RX_BUF (64u * 1024u)

/** What a connection did, reported when it closes (with --verbose). */
struct target_conn_stats {
	int64_t start_ns;
	uint64_t capsules;
	/** Receive calls, those that found the socket empty, and sleeps in poll(). */
	uint64_t recvs;
	uint64_t recvs_empty;
	uint64_t waits;
	/** Time from finding the socket empty to the next data (polling or asleep). */
	uint64_t idle_ns;
};

struct target_conn {
	int fd;
	char peer[64];
	bool verbose;
	/** Bench mode: polled reads; no buffers for the null namespace's I/O. */
	bool bench;
	/** Set (by the signal handler or the run-time limit) to end every connection. */
	const volatile sig_atomic_t *stop;
	/** A fatal error or a closed socket: the connection is over. */
	bool done;
	/** The connection ended with a C2HTermReq. */
	bool terminated;
	/** A send failed: nothing more is sent. */
	bool send_failed;
	bool hdgst;
	bool ddgst;
	struct target_queue q;
	struct target_cmd slots[TARGET_CONN_SLOTS];
	/** The slots not in use (the next one taken last), and how many slots
	 * in use hold each command ID: a command ID conflict is found without
	 * going through every slot for every command. */
	uint16_t free_slots[TARGET_CONN_SLOTS];
	uint32_t nfree;
	uint8_t cid_users[UINT16_MAX + 1];
	/** In-capsule data of a command refused before its data was read. */
	uint8_t drain[TARGET_ADMIN_ICD_MAX > TARGET_IO_ICD_MAX ? TARGET_ADMIN_ICD_MAX
							      : TARGET_IO_ICD_MAX];
	/** Bench mode: TARGET_MAX_DATA bytes where write data lands, to be dropped. */
	uint8_t *sink;
	struct target_conn_stats stats;
	/** Replies not sent yet. */
	struct send_batch tx;
	/** Received bytes not handled yet: rx[rx_off, rx_len). */
	uint32_t rx_off;
	uint32_t rx_len;
	uint8_t rx[TARGET_RX_BUF];
};

/** Serve @p conn until the host goes, an error, or *conn->stop; closes the socket. */
void target_conn_run(struct target_conn *conn);

#endif
