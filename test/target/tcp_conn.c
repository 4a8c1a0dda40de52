/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVMe/TCP side of the test target. The socket is blocking (with a
 * send timeout so a host that stops reading cannot hold a thread for
 * ever). Reads never block in recv(): they take what is there, and an
 * empty socket is waited on in poll() with a short timeout so a stop
 * request is seen promptly (in bench mode after a spell of polling).
 *
 * recv_exact() hands out each PDU piece by piece from the receive
 * buffer; only an empty buffer costs a system call. Replies are queued in
 * the send batch, and every read of the socket flushes it first, which is
 * what keeps the host and the target from waiting on each other.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "crc32c_sw.h"
#include "identify.h"
#include "nvme/tcp_pdu.h"
#include "tcp_conn.h"

/* How often a waiting read looks at the stop flag. */
#define POLL_INTERVAL_MS 200
/* Bench mode: how long a read polls an empty socket before it sleeps. */
#define RX_SPIN_NS 1000000
/* A rest of a PDU this large that is not in the receive buffer yet is
 * read straight into its destination, sparing a copy through the buffer. */
#define RX_DIRECT_MIN 4096u
/* How long a terminated connection waits for the host to close its side. */
#define TERM_LINGER_MS 1000
/* Bytes of each C2HData PDU. */
#define C2H_CHUNK (128u * 1024u)
/* Byte offsets of header fields, reported in a C2HTermReq. */
#define FEI_FLAGS 1u
#define FEI_HLEN 2u
#define FEI_PDO 3u
#define FEI_PLEN 4u
#define FEI_CCCID 8u
#define FEI_TTAG 10u
#define FEI_DATAO 12u
#define FEI_DATAL 16u

/* The largest header (CapsuleCmd) and its digest. */
union rx_header {
	struct tcp_common_hdr ch;
	struct tcp_ic_req icreq;
	struct tcp_capsule_cmd capsule;
	struct tcp_data_hdr data;
	struct tcp_term_hdr term;
	uint8_t raw[TCP_IC_LEN + TCP_DIGEST_LEN];
};

static void conn_log(const struct target_conn *conn, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
conn_log(const struct target_conn *conn, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "pnvme_test_target: %s queue %u: %s\n", conn->peer, conn->q.qid, line);
}

static uint32_t
hdgst_len(const struct target_conn *conn)
{
	return conn->hdgst ? TCP_DIGEST_LEN : 0;
}

static uint32_t
ddgst_len(const struct target_conn *conn)
{
	return conn->ddgst ? TCP_DIGEST_LEN : 0;
}

/* ---------------------------------------------------------------- */
/* Sending                                                           */
/* ---------------------------------------------------------------- */

/* Send the queued replies now. After a failed send nothing more goes out. */
static void
tx_flush(struct target_conn *conn)
{
	int rc;

	if (conn->send_failed) {
		send_batch_drop(&conn->tx);
		return;
	}
	rc = send_batch_flush(&conn->tx, conn->fd);
	if (rc != 0) {
		conn_log(conn, "send failed: %s", strerror(-rc));
		conn->send_failed = true;
		conn->done = true;
	}
}

/* Make room in the batch for one PDU: @p iovs pieces, @p hdr_bytes of
 * headers and digests, @p owned buffers to free after sending. */
static void
tx_reserve(struct target_conn *conn, unsigned int iovs, uint32_t hdr_bytes, unsigned int owned)
{
	if (!send_batch_has_room(&conn->tx, iovs, hdr_bytes, owned)) {
		tx_flush(conn);
	}
}

/* Queue a header PDU (no data); its digest is added here. */
static void
send_header(struct target_conn *conn, struct tcp_common_hdr *ch, size_t hlen)
{
	uint32_t crc;

	tx_reserve(conn, 1, (uint32_t)hlen + TCP_DIGEST_LEN, 0);
	send_batch_copy(&conn->tx, ch, hlen);
	if (conn->hdgst) {
		crc = crc32c_sw(ch, hlen);
		send_batch_copy(&conn->tx, &crc, sizeof(crc));
	}
}

/* ---------------------------------------------------------------- */
/* Receiving bytes                                                   */
/* ---------------------------------------------------------------- */

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * Bench mode: poll the empty socket until it has data, yielding the core
 * between tries, for at most RX_SPIN_NS since @p idle_since. A busy host's
 * next commands are then picked up without a sleep and a wake-up; yielding
 * lets the other connection threads on this core run meanwhile. poll()
 * with no timeout looks at the socket without locking it, as a recvmsg()
 * would, which would hold up the host's data arriving meanwhile. True
 * when there is something to read; false when it is time to sleep.
 */
static bool
spin_until_readable(struct target_conn *conn, int64_t idle_since)
{
	struct pollfd pfd = {.fd = conn->fd, .events = POLLIN};

	while (!*conn->stop && now_ns() - idle_since < RX_SPIN_NS) {
		if (poll(&pfd, 1, 0) != 0) {
			return true; /* data, or an error the next read reports */
		}
		sched_yield();
	}
	return false;
}

/*
 * One read of the socket into @p iov: whatever it holds, up to their
 * size. The queued replies go first: the host may be waiting for them
 * before it sends anything more. Returns the bytes read (> 0), or -1 when
 * the connection is over.
 */
static ssize_t
sock_read(struct target_conn *conn, struct iovec *iov, int cnt)
{
	struct pollfd pfd = {.fd = conn->fd, .events = POLLIN};
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)cnt};
	int64_t idle_since = 0;
	ssize_t n;
	int rc;

	tx_flush(conn);
	for (;;) {
		if (conn->done || *conn->stop) {
			return -1;
		}
		n = recvmsg(conn->fd, &msg, MSG_DONTWAIT);
		conn->stats.recvs++;
		if (n > 0) {
			if (idle_since != 0) {
				conn->stats.idle_ns += (uint64_t)(now_ns() - idle_since);
			}
			return n;
		}
		if (n == 0) {
			return -1; /* the host closed the connection */
		}
		if (errno == EINTR) {
			continue;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			return -1;
		}
		conn->stats.recvs_empty++;
		if (idle_since == 0) {
			idle_since = now_ns();
		}
		if (conn->bench && spin_until_readable(conn, idle_since)) {
			continue;
		}
		/* Idle (for long, in bench mode): sleep until data comes. */
		conn->stats.waits++;
		rc = poll(&pfd, 1, POLL_INTERVAL_MS);
		if (rc < 0 && errno != EINTR) {
			return -1;
		}
	}
}

/*
 * Read exactly @p len bytes: from the receive buffer, refilled by one
 * read whenever it runs dry. A large rest goes straight to @p buf, and
 * what follows it in the stream into the buffer, with the same call.
 * 0, or -1 when the connection is over.
 */
static int
recv_exact(struct target_conn *conn, void *buf, size_t len)
{
	uint8_t *p = buf;
	struct iovec iov[2];
	size_t take;
	ssize_t n;
	int cnt;

	while (len > 0) {
		if (conn->rx_off < conn->rx_len) {
			take = conn->rx_len - conn->rx_off;
			take = take < len ? take : len;
			memcpy(p, conn->rx + conn->rx_off, take);
			conn->rx_off += (uint32_t)take;
			p += take;
			len -= take;
			continue;
		}
		cnt = 0;
		if (len >= RX_DIRECT_MIN) {
			iov[cnt++] = (struct iovec){.iov_base = p, .iov_len = len};
		}
		iov[cnt++] = (struct iovec){.iov_base = conn->rx, .iov_len = sizeof(conn->rx)};
		n = sock_read(conn, iov, cnt);
		if (n < 0) {
			return -1;
		}
		take = cnt == 2 ? ((size_t)n < len ? (size_t)n : len) : 0;
		p += take;
		len -= take;
		conn->rx_off = 0;
		conn->rx_len = (uint32_t)((size_t)n - take);
	}
	return 0;
}

/*
 * A fatal protocol error: a C2HTermReq with the fatal error status, the
 * offset of the offending field and the header as received, then the end
 * of the connection.
 */
static void
fatal(struct target_conn *conn, const union rx_header *hdr, uint32_t hdr_bytes, uint16_t fes,
      uint32_t fei, const char *why)
{
	struct {
		struct tcp_term_hdr t;
		uint8_t hdr[TCP_TERM_MAX_PLEN - TCP_TERM_HLEN];
	} term;
	uint32_t n = hdr_bytes < sizeof(term.hdr) ? hdr_bytes : (uint32_t)sizeof(term.hdr);

	conn_log(conn, "protocol error: %s; ending the connection", why);
	memset(&term, 0, sizeof(term));
	term.t.ch.type = TCP_PDU_C2H_TERM_REQ;
	term.t.ch.hlen = TCP_TERM_HLEN;
	term.t.ch.plen = TCP_TERM_HLEN + n;
	term.t.fes = fes;
	term.t.feil = (uint16_t)fei;
	term.t.feiu = (uint16_t)(fei >> 16);
	if (hdr != NULL) {
		memcpy(term.hdr, hdr->raw, n);
	}
	/* After the replies already queued, and at once: nothing follows. */
	tx_reserve(conn, 1, sizeof(term), 0);
	send_batch_copy(&conn->tx, &term, term.t.ch.plen);
	tx_flush(conn);
	conn->done = true;
	conn->terminated = true;
}

/* ---------------------------------------------------------------- */
/* Connection set-up                                                 */
/* ---------------------------------------------------------------- */

static int
ic_exchange(struct target_conn *conn)
{
	union rx_header hdr;
	struct tcp_ic_resp resp;

	if (recv_exact(conn, hdr.raw, TCP_IC_LEN) != 0) {
		return -1;
	}
	if (hdr.ch.type != TCP_PDU_IC_REQ) {
		fatal(conn, &hdr, TCP_IC_LEN, TCP_FES_PDU_SEQUENCE_ERROR, 0,
		      "the first PDU is not an ICReq");
		return -1;
	}
	if (hdr.ch.hlen != TCP_IC_LEN || hdr.ch.pdo != 0 || hdr.ch.plen != TCP_IC_LEN) {
		fatal(conn, &hdr, TCP_IC_LEN, TCP_FES_INVALID_HEADER_FIELD,
		      hdr.ch.hlen != TCP_IC_LEN ? FEI_HLEN : hdr.ch.pdo ? FEI_PDO : FEI_PLEN,
		      "ICReq with a wrong HLEN, PDO or PLEN");
		return -1;
	}
	if (hdr.icreq.pfv != 0) {
		fatal(conn, &hdr, TCP_IC_LEN, TCP_FES_INVALID_HEADER_FIELD, 8, "ICReq PFV is not 0");
		return -1;
	}
	if (hdr.icreq.hpda != 0) {
		/* Padding data for the host is not implemented. */
		fatal(conn, &hdr, TCP_IC_LEN, TCP_FES_UNSUPPORTED_PARAMETER, 10,
		      "ICReq asks for host data alignment (HPDA), not supported");
		return -1;
	}
	/* Digests as the host asks; one R2T per command is within any MAXR2T. */
	conn->hdgst = (hdr.icreq.digest & 1u) != 0;
	conn->ddgst = (hdr.icreq.digest & 2u) != 0;
	memset(&resp, 0, sizeof(resp));
	resp.ch.type = TCP_PDU_IC_RESP;
	resp.ch.hlen = TCP_IC_LEN;
	resp.ch.plen = TCP_IC_LEN;
	resp.pfv = 0;
	resp.cpda = 0;
	resp.digest = (uint8_t)(hdr.icreq.digest & 3u);
	resp.maxh2cdata = TARGET_MAXH2CDATA;
	tx_reserve(conn, 1, sizeof(resp), 0);
	send_batch_copy(&conn->tx, &resp, sizeof(resp));
	tx_flush(conn);
	return conn->done ? -1 : 0;
}

/* ---------------------------------------------------------------- */
/* What the queue asks of the connection                             */
/* ---------------------------------------------------------------- */

void
target_conn_request_data(struct target_conn *conn, struct target_cmd *cmd)
{
	struct tcp_r2t_hdr r2t;

	memset(&r2t, 0, sizeof(r2t));
	r2t.ch.type = TCP_PDU_R2T;
	r2t.ch.flags = conn->hdgst ? TCP_FLAG_HDGST : 0;
	r2t.ch.hlen = TCP_R2T_HLEN;
	r2t.ch.plen = TCP_R2T_HLEN + hdgst_len(conn);
	r2t.cccid = cmd->sqe.cid;
	r2t.ttag = cmd->slot;
	r2t.r2to = cmd->data_got;
	r2t.r2tl = cmd->data_len - cmd->data_got;
	cmd->r2t_sent = true;
	send_header(conn, &r2t.ch, sizeof(r2t));
}

static void
send_c2h_data(struct target_conn *conn, struct target_cmd *cmd, bool success_flag)
{
	struct tcp_data_hdr h;
	uint32_t off, len, crc;

	for (off = 0; off < cmd->c2h_len && !conn->done; off += len) {
		len = cmd->c2h_len - off < C2H_CHUNK ? cmd->c2h_len - off : C2H_CHUNK;
		memset(&h, 0, sizeof(h));
		h.ch.type = TCP_PDU_C2H_DATA;
		h.ch.hlen = TCP_DATA_HLEN;
		h.ch.pdo = (uint8_t)(TCP_DATA_HLEN + hdgst_len(conn));
		h.ch.plen = h.ch.pdo + len + ddgst_len(conn);
		h.ch.flags = (uint8_t)((conn->hdgst ? TCP_FLAG_HDGST : 0) |
				       (conn->ddgst ? TCP_FLAG_DDGST : 0));
		if (off + len == cmd->c2h_len) {
			h.ch.flags |= TCP_FLAG_LAST_PDU | (success_flag ? TCP_FLAG_SUCCESS : 0);
		}
		h.cccid = cmd->sqe.cid;
		h.datao = off;
		h.datal = len;
		/* Header (and digest), the payload where it is, the data digest. */
		tx_reserve(conn, 3, sizeof(h) + 2 * TCP_DIGEST_LEN, 0);
		send_batch_copy(&conn->tx, &h, sizeof(h));
		if (conn->hdgst) {
			crc = crc32c_sw(&h, sizeof(h));
			send_batch_copy(&conn->tx, &crc, sizeof(crc));
		}
		send_batch_ref(&conn->tx, cmd->data + off, len);
		if (conn->ddgst) {
			crc = crc32c_sw(cmd->data + off, len);
			send_batch_copy(&conn->tx, &crc, sizeof(crc));
		}
	}
	/* The batch points into the buffer until it is sent: it frees it. */
	if (!cmd->data_borrowed) {
		tx_reserve(conn, 0, 0, 1);
		send_batch_own(&conn->tx, cmd->data);
		cmd->data = NULL;
	}
}

/* Retrying helps only with transport trouble and a busy or still-closing
 * queue ID; every other error gets Do Not Retry. */
static bool
retry_may_help(uint16_t status)
{
	return status == TARGET_GENERIC(PNVME_SC_TRANSIENT_TRANSPORT_ERROR) ||
	       status == TARGET_GENERIC(PNVME_SC_COMMAND_SEQUENCE_ERROR) ||
	       status == TARGET_STATUS(PNVME_SCT_COMMAND_SPECIFIC, PNVME_SC_CONNECT_CONTROLLER_BUSY);
}

static void
free_slot(struct target_conn *conn, struct target_cmd *cmd)
{
	uint16_t slot = cmd->slot;

	conn->cid_users[cmd->sqe.cid]--;
	conn->free_slots[conn->nfree++] = slot;
	if (!cmd->data_borrowed) {
		free(cmd->data);
	}
	memset(cmd, 0, sizeof(*cmd));
	cmd->slot = slot;
}

void
target_conn_complete(struct target_conn *conn, struct target_cmd *cmd)
{
	struct tcp_capsule_resp resp;
	bool success = cmd->status == TARGET_SUCCESS;
	/* With SQ flow control off, the last C2HData may say "succeeded"
	 * and stand for the response. */
	bool data_is_response = success && cmd->c2h_len > 0 && conn->q.no_sq_flow;
	uint8_t sct = (uint8_t)(cmd->status >> 8), sc = (uint8_t)cmd->status;

	if (conn->verbose && !success) {
		conn_log(conn, "command 0x%02x cid %u fuse %u: sct %u sc 0x%02x", cmd->sqe.opc,
			 cmd->sqe.cid, cmd->sqe.fuse, sct, sc);
	}
	if (success && cmd->c2h_len > 0) {
		send_c2h_data(conn, cmd, data_is_response);
	}
	if (!data_is_response) {
		memset(&resp, 0, sizeof(resp));
		resp.ch.type = TCP_PDU_CAPSULE_RESP;
		resp.ch.flags = conn->hdgst ? TCP_FLAG_HDGST : 0;
		resp.ch.hlen = TCP_CAPSULE_RESP_HLEN;
		resp.ch.plen = TCP_CAPSULE_RESP_HLEN + hdgst_len(conn);
		resp.cpl.cdw0 = cmd->cdw0;
		resp.cpl.cdw1 = cmd->cdw1;
		resp.cpl.sqhd = conn->q.sqhd;
		resp.cpl.sqid = conn->q.qid;
		resp.cpl.cid = cmd->sqe.cid;
		resp.cpl.status.sct = sct & 7u;
		resp.cpl.status.sc = sc;
		resp.cpl.status.dnr = !success && !retry_may_help(cmd->status);
		send_header(conn, &resp.ch, sizeof(resp));
	}
	free_slot(conn, cmd);
}

/* ---------------------------------------------------------------- */
/* Receiving                                                         */
/* ---------------------------------------------------------------- */

static enum target_dir
opcode_dir(const struct pnvme_cmd *sqe)
{
	uint8_t code = sqe->opc == PNVME_OPC_FABRIC ? (uint8_t)sqe->nsid : sqe->opc;

	return (enum target_dir)(code & 3u);
}

_Static_assert(TARGET_CONN_SLOTS <= UINT8_MAX, "cid_users counts slots in a byte");

static struct target_cmd *
alloc_slot(struct target_conn *conn, uint16_t cid, bool *cid_conflict)
{
	struct target_cmd *cmd;

	*cid_conflict = conn->cid_users[cid] != 0;
	if (conn->nfree == 0) {
		return NULL;
	}
	cmd = &conn->slots[conn->free_slots[--conn->nfree]];
	cmd->in_use = true;
	conn->cid_users[cid]++;
	return cmd;
}

/*
 * Check the data descriptor of a capsule carrying @p icd_len bytes of
 * in-capsule data: 0, or the status the command completes with (its data,
 * if any, is then never asked for).
 */
static uint16_t
check_sgl(const struct target_cmd *cmd, uint32_t icd_len)
{
	const struct pnvme_sgl_descriptor *sgl = &cmd->sqe.dptr.sgl1;

	if (cmd->sqe.psdt != PNVME_PSDT_SGL_MPTR_CONTIG) {
		return TARGET_GENERIC(PNVME_SC_INVALID_FIELD); /* fabrics use SGLs only */
	}
	if (sgl->length == 0) {
		return icd_len == 0 ? TARGET_SUCCESS : TARGET_GENERIC(PNVME_SC_DATA_SGL_LENGTH_INVALID);
	}
	if (cmd->dir == TARGET_DIR_NONE || cmd->dir == TARGET_DIR_BOTH) {
		return TARGET_GENERIC(PNVME_SC_INVALID_FIELD);
	}
	if (sgl->length > TARGET_MAX_DATA) {
		return TARGET_GENERIC(PNVME_SC_DATA_SGL_LENGTH_INVALID);
	}
	if (icd_len > 0) {
		/* In-capsule data: a Data Block whose address is an offset into
		 * the capsule's data (ICDOFF 0). */
		if (sgl->type != PNVME_SGL_TYPE_DATA_BLOCK || sgl->subtype != 0x1) {
			return TARGET_GENERIC(PNVME_SC_SGL_DESCRIPTOR_TYPE_INVALID);
		}
		if (sgl->address != 0) {
			return TARGET_GENERIC(PNVME_SC_INVALID_SGL_OFFSET);
		}
		if (cmd->dir != TARGET_DIR_H2C || sgl->length != icd_len) {
			return TARGET_GENERIC(PNVME_SC_DATA_SGL_LENGTH_INVALID);
		}
		return TARGET_SUCCESS;
	}
	/* Data moved by PDUs: the transport's own descriptor. */
	if (sgl->type != PNVME_SGL_TYPE_TRANSPORT_DATA_BLOCK || sgl->subtype != 0xa) {
		return TARGET_GENERIC(PNVME_SC_SGL_DESCRIPTOR_TYPE_INVALID);
	}
	return TARGET_SUCCESS;
}

/*
 * A buffer for @p cmd's data_len bytes. In bench mode the null
 * namespace's reads and writes on an I/O queue need none of their own: a
 * read is sent straight from the shared zeroes, a write's data lands in
 * the connection's sink and is dropped. NULL when out of memory.
 */
static uint8_t *
cmd_data_buffer(struct target_conn *conn, struct target_cmd *cmd)
{
	bool null_io = conn->bench && conn->q.connected && conn->q.qid != 0 &&
		       conn->q.subsys->ns.mem == NULL;

	if (null_io && cmd->sqe.opc == PNVME_OPC_READ && cmd->dir == TARGET_DIR_C2H) {
		cmd->data_borrowed = true;
		/* Only ever read: a null namespace's read leaves it as it is. */
		return (uint8_t *)target_ns_zeroes();
	}
	if (null_io && cmd->sqe.opc == PNVME_OPC_WRITE && conn->sink != NULL) {
		cmd->data_borrowed = true;
		return conn->sink;
	}
	return malloc(cmd->data_len);
}

static void
handle_capsule(struct target_conn *conn, union rx_header *hdr)
{
	const struct tcp_common_hdr *ch = &hdr->ch;
	uint32_t hd = hdgst_len(conn), dd = ddgst_len(conn);
	uint32_t icd_len = 0, icd_max, crc;
	struct target_cmd *cmd;
	bool conflict;
	uint8_t *icd;
	char why[128];

	if (ch->hlen != TCP_CAPSULE_CMD_HLEN) {
		fatal(conn, hdr, sizeof(*ch), TCP_FES_INVALID_HEADER_FIELD, FEI_HLEN,
		      "CapsuleCmd HLEN is not 72");
		return;
	}
	if (!!(ch->flags & TCP_FLAG_HDGST) != conn->hdgst) {
		fatal(conn, hdr, sizeof(*ch), TCP_FES_INVALID_HEADER_FIELD, FEI_FLAGS,
		      "CapsuleCmd header digest flag differs from what was negotiated");
		return;
	}
	if (ch->plen > TCP_CAPSULE_CMD_HLEN + hd) {
		if (ch->pdo != TCP_CAPSULE_CMD_HLEN + hd) {
			fatal(conn, hdr, sizeof(*ch), TCP_FES_INVALID_HEADER_FIELD, FEI_PDO,
			      "CapsuleCmd data not right after the header (CPDA is 0)");
			return;
		}
		if (!!(ch->flags & TCP_FLAG_DDGST) != conn->ddgst || ch->plen <= ch->pdo + dd) {
			fatal(conn, hdr, sizeof(*ch), TCP_FES_INVALID_HEADER_FIELD, FEI_PLEN,
			      "CapsuleCmd data digest flag or PLEN wrong");
			return;
		}
		icd_len = ch->plen - ch->pdo - dd;
	} else if (ch->plen != TCP_CAPSULE_CMD_HLEN + hd) {
		fatal(conn, hdr, sizeof(*ch), TCP_FES_INVALID_HEADER_FIELD, FEI_PLEN,
		      "CapsuleCmd PLEN shorter than its header");
		return;
	}
	icd_max = conn->q.connected && conn->q.qid != 0 ? TARGET_IO_ICD_MAX : TARGET_ADMIN_ICD_MAX;
	if (icd_len > icd_max) {
		snprintf(why, sizeof(why), "%u bytes of in-capsule data, more than the %u allowed",
			 icd_len, icd_max);
		fatal(conn, hdr, sizeof(*ch), TCP_FES_DATA_LIMIT_EXCEEDED, FEI_PLEN, why);
		return;
	}
	if (recv_exact(conn, hdr->raw + sizeof(*ch), TCP_CAPSULE_CMD_HLEN + hd - sizeof(*ch)) != 0) {
		conn->done = true;
		return;
	}
	if (conn->hdgst) {
		memcpy(&crc, hdr->raw + TCP_CAPSULE_CMD_HLEN, sizeof(crc));
		if (crc != crc32c_sw(hdr->raw, TCP_CAPSULE_CMD_HLEN)) {
			fatal(conn, hdr, TCP_CAPSULE_CMD_HLEN + hd, TCP_FES_HDGST_ERROR, 0,
			      "CapsuleCmd header digest mismatch");
			return;
		}
	}
	conn->stats.capsules++;
	cmd = alloc_slot(conn, hdr->capsule.cmd.cid, &conflict);
	if (cmd == NULL) {
		fatal(conn, hdr, TCP_CAPSULE_CMD_HLEN, TCP_FES_PDU_SEQUENCE_ERROR, 0,
		      "more commands outstanding than the largest queue holds");
		return;
	}
	cmd->sqe = hdr->capsule.cmd;
	cmd->dir = opcode_dir(&cmd->sqe);
	cmd->early_status = check_sgl(cmd, icd_len);
	if (conflict) {
		cmd->early_status = TARGET_GENERIC(PNVME_SC_COMMAND_ID_CONFLICT);
	}
	if (cmd->early_status == TARGET_SUCCESS && cmd->sqe.dptr.sgl1.length > 0) {
		cmd->data_len = cmd->sqe.dptr.sgl1.length;
		cmd->data = cmd_data_buffer(conn, cmd);
		if (cmd->data == NULL) {
			cmd->data_len = 0;
			cmd->early_status = TARGET_GENERIC(PNVME_SC_INTERNAL_DEVICE_ERROR);
		}
	}
	/* In-capsule data is read in any case; a command already refused
	 * gets it read into a scratch buffer. */
	if (icd_len > 0) {
		icd = cmd->early_status == TARGET_SUCCESS ? cmd->data : conn->drain;
		if (recv_exact(conn, icd, icd_len) != 0 ||
		    recv_exact(conn, &crc, dd) != 0) {
			conn->done = true;
			return;
		}
		if (conn->ddgst && crc != crc32c_sw(icd, icd_len)) {
			/* The command cannot be trusted; the connection can. */
			cmd->early_status = TARGET_GENERIC(PNVME_SC_TRANSIENT_TRANSPORT_ERROR);
		}
		if (icd != conn->drain) {
			cmd->data_got = icd_len;
		}
	}
	target_queue_capsule(&conn->q, cmd);
}

static void
handle_h2c_data(struct target_conn *conn, union rx_header *hdr)
{
	const struct tcp_data_hdr *h = &hdr->data;
	uint32_t hd = hdgst_len(conn), dd = ddgst_len(conn), crc;
	struct target_cmd *cmd;
	bool last;
	char why[160];

	if (h->ch.hlen != TCP_DATA_HLEN) {
		fatal(conn, hdr, sizeof(h->ch), TCP_FES_INVALID_HEADER_FIELD, FEI_HLEN,
		      "H2CData HLEN is not 24");
		return;
	}
	if (!!(h->ch.flags & TCP_FLAG_HDGST) != conn->hdgst ||
	    !!(h->ch.flags & TCP_FLAG_DDGST) != conn->ddgst) {
		fatal(conn, hdr, sizeof(h->ch), TCP_FES_INVALID_HEADER_FIELD, FEI_FLAGS,
		      "H2CData digest flags differ from what was negotiated");
		return;
	}
	if (h->ch.pdo != TCP_DATA_HLEN + hd) {
		fatal(conn, hdr, sizeof(h->ch), TCP_FES_INVALID_HEADER_FIELD, FEI_PDO,
		      "H2CData data not right after the header");
		return;
	}
	if (recv_exact(conn, hdr->raw + sizeof(h->ch), TCP_DATA_HLEN + hd - sizeof(h->ch)) != 0) {
		conn->done = true;
		return;
	}
	if (conn->hdgst) {
		memcpy(&crc, hdr->raw + TCP_DATA_HLEN, sizeof(crc));
		if (crc != crc32c_sw(hdr->raw, TCP_DATA_HLEN)) {
			fatal(conn, hdr, TCP_DATA_HLEN + hd, TCP_FES_HDGST_ERROR, 0,
			      "H2CData header digest mismatch");
			return;
		}
	}
	cmd = h->ttag < TARGET_CONN_SLOTS ? &conn->slots[h->ttag] : NULL;
	if (cmd == NULL || !cmd->in_use || !cmd->r2t_sent || cmd->sqe.cid != h->cccid) {
		snprintf(why, sizeof(why), "H2CData for command ID %u, transfer tag %u: no R2T "
					   "outstanding for it",
			 h->cccid, h->ttag);
		fatal(conn, hdr, TCP_DATA_HLEN, TCP_FES_INVALID_HEADER_FIELD,
		      cmd == NULL ? FEI_TTAG : FEI_CCCID, why);
		return;
	}
	if (h->datal == 0 || h->datal > TARGET_MAXH2CDATA ||
	    h->ch.plen != (uint32_t)h->ch.pdo + h->datal + dd) {
		snprintf(why, sizeof(why), "H2CData DATAL %u with PLEN %u (MAXH2CDATA %u)", h->datal,
			 h->ch.plen, TARGET_MAXH2CDATA);
		fatal(conn, hdr, TCP_DATA_HLEN, TCP_FES_INVALID_HEADER_FIELD, FEI_DATAL, why);
		return;
	}
	if (h->datao != cmd->data_got || h->datal > cmd->data_len - cmd->data_got) {
		snprintf(why, sizeof(why), "H2CData of %u bytes at offset %u; expected offset %u of %u",
			 h->datal, h->datao, cmd->data_got, cmd->data_len);
		fatal(conn, hdr, TCP_DATA_HLEN, TCP_FES_DATA_OUT_OF_RANGE, FEI_DATAO, why);
		return;
	}
	last = h->datao + h->datal == cmd->data_len;
	if (!!(h->ch.flags & TCP_FLAG_LAST_PDU) != last) {
		fatal(conn, hdr, TCP_DATA_HLEN, TCP_FES_INVALID_HEADER_FIELD, FEI_FLAGS,
		      "H2CData LAST_PDU flag disagrees with the R2T's end");
		return;
	}
	if (recv_exact(conn, cmd->data + h->datao, h->datal) != 0 ||
	    recv_exact(conn, &crc, dd) != 0) {
		conn->done = true;
		return;
	}
	if (conn->ddgst && crc != crc32c_sw(cmd->data + h->datao, h->datal)) {
		cmd->early_status = TARGET_GENERIC(PNVME_SC_TRANSIENT_TRANSPORT_ERROR);
	}
	cmd->data_got += h->datal;
	if (last) {
		target_queue_data_done(&conn->q, cmd);
	}
}

static void
handle_term_req(struct target_conn *conn, union rx_header *hdr)
{
	uint32_t rest;

	if (hdr->ch.hlen == TCP_TERM_HLEN && hdr->ch.plen >= TCP_TERM_HLEN &&
	    hdr->ch.plen <= TCP_TERM_MAX_PLEN) {
		rest = hdr->ch.plen - (uint32_t)sizeof(hdr->ch);
		if (rest <= sizeof(hdr->raw) - sizeof(hdr->ch) &&
		    recv_exact(conn, hdr->raw + sizeof(hdr->ch), rest) == 0) {
			conn_log(conn, "the host ended the connection (H2CTermReq, FES %u)",
				 hdr->term.fes);
		}
	}
	conn->done = true;
}

/*
 * After a C2HTermReq: stop sending and drain what the host still sends for
 * a moment before closing. Closing with unread data would reset the
 * connection, and the host could lose the termination request with it.
 */
static void
linger_after_termination(struct target_conn *conn)
{
	struct pollfd pfd = {.fd = conn->fd, .events = POLLIN};
	uint8_t sink[4096];
	int i;

	shutdown(conn->fd, SHUT_WR);
	for (i = 0; i < TERM_LINGER_MS / POLL_INTERVAL_MS; i++) {
		if (poll(&pfd, 1, POLL_INTERVAL_MS) > 0 && recv(conn->fd, sink, sizeof(sink), 0) <= 0) {
			return; /* the host closed its side too */
		}
	}
}

/* The system calls the connection made, and the share of its life spent
 * waiting for the host (polling or asleep): what the thread had to spare. */
static void
log_stats(const struct target_conn *conn)
{
	const struct target_conn_stats *st = &conn->stats;
	int64_t life = now_ns() - st->start_ns;

	conn_log(conn,
		 "connection closed: %llu commands; %llu receive calls (%llu found nothing), "
		 "%llu waits in poll(), %llu sendmsg() calls; waited for data %.1f%% of %.3f s",
		 (unsigned long long)st->capsules, (unsigned long long)st->recvs,
		 (unsigned long long)st->recvs_empty, (unsigned long long)st->waits,
		 (unsigned long long)conn->tx.calls,
		 life > 0 ? 100.0 * (double)st->idle_ns / (double)life : 0.0, (double)life / 1e9);
}

void
target_conn_run(struct target_conn *conn)
{
	union rx_header hdr;
	uint32_t i;

	conn->q.conn = conn;
	for (i = 0; i < TARGET_CONN_SLOTS; i++) {
		conn->slots[i].slot = (uint16_t)i;
		/* Slot 0 is taken first. */
		conn->free_slots[i] = (uint16_t)(TARGET_CONN_SLOTS - 1 - i);
	}
	conn->nfree = TARGET_CONN_SLOTS;
	if (conn->bench) {
		/* Without it, writes just get buffers of their own. */
		conn->sink = malloc(TARGET_MAX_DATA);
	}
	conn->stats.start_ns = now_ns();
	if (ic_exchange(conn) == 0) {
		while (!conn->done && !*conn->stop) {
			if (recv_exact(conn, hdr.raw, sizeof(hdr.ch)) != 0) {
				break;
			}
			switch (hdr.ch.type) {
			case TCP_PDU_CAPSULE_CMD:
				handle_capsule(conn, &hdr);
				break;
			case TCP_PDU_H2C_DATA:
				handle_h2c_data(conn, &hdr);
				break;
			case TCP_PDU_H2C_TERM_REQ:
				handle_term_req(conn, &hdr);
				break;
			default:
				fatal(conn, &hdr, sizeof(hdr.ch), TCP_FES_INVALID_HEADER_FIELD, 0,
				      "a PDU type a host does not send");
				break;
			}
		}
	}
	/* Replies to the last PDUs read (a stop request, or the host's
	 * H2CTermReq, may end the loop before the next read flushes). */
	tx_flush(conn);
	if (conn->verbose) {
		log_stats(conn);
	}
	if (conn->terminated) {
		linger_after_termination(conn);
	}
	target_queue_close(&conn->q);
	for (i = 0; i < TARGET_CONN_SLOTS; i++) {
		if (conn->slots[i].in_use) {
			free_slot(conn, &conn->slots[i]);
		}
	}
	send_batch_drop(&conn->tx);
	free(conn->sink);
	conn->sink = NULL;
	close(conn->fd);
	conn->fd = -1;
}
