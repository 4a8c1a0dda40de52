/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pnvme_test_target_check: the test target's own checks, speaking raw
 * NVMe/TCP to it. They cover what the library never sends (it refuses such
 * sequences up front): a fused FIRST without its SECOND, a SECOND alone,
 * pairs on different blocks or of the wrong opcodes, fused admin commands,
 * and malformed PDUs, after which the target must still serve others.
 * Prints "ok - ..." / "not ok - ..." per check; exits 1 on any failure.
 *
 *   pnvme_test_target_check --port PORT --nqn NQN
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "nvme/tcp_pdu.h"
#include "../../system/check.h"

#define BLOCK 512u
#define HOSTNQN "nqn.2026-11.io.pnvme:target-check"
/* A read that takes longer than this means the target is stuck. */
#define RECV_TIMEOUT_S 5
#define MAX_PENDING 8

static int g_failures;
static unsigned int g_port;
static const char *g_nqn;


/* A command whose data the target may ask for (R2T) or send (C2HData). */
struct pending {
	bool used;
	uint16_t cid;
	uint8_t *data;
	uint32_t len;
};

struct conn {
	int fd;
	struct pending pending[MAX_PENDING];
};

static int
send_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n <= 0) {
			if (n < 0 && errno == EINTR) {
				continue;
			}
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
recv_all(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = recv(fd, p, len, 0);
		if (n <= 0) {
			if (n < 0 && errno == EINTR) {
				continue;
			}
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A TCP connection to the target, reads bounded by RECV_TIMEOUT_S; -1 on failure. */
static int
open_socket(void)
{
	struct timeval tv = {.tv_sec = RECV_TIMEOUT_S};
	struct sockaddr_in addr;
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0) {
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)g_port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Connection and ICReq/ICResp without digests; -1 on failure. */
static int
conn_open(struct conn *c)
{
	struct tcp_ic_req req;
	struct tcp_ic_resp resp;

	memset(c, 0, sizeof(*c));
	c->fd = open_socket();
	if (c->fd < 0) {
		return -1;
	}
	memset(&req, 0, sizeof(req));
	req.ch.type = TCP_PDU_IC_REQ;
	req.ch.hlen = TCP_IC_LEN;
	req.ch.plen = TCP_IC_LEN;
	if (send_all(c->fd, &req, sizeof(req)) != 0 || recv_all(c->fd, &resp, sizeof(resp)) != 0 ||
	    resp.ch.type != TCP_PDU_IC_RESP || resp.maxh2cdata < TCP_MIN_MAXH2CDATA) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

static void
conn_close(struct conn *c)
{
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
}

/*
 * Send @p cmd with @p len bytes of data at @p data: in the capsule when
 * @p in_capsule, else announced by a transport SGL (moved by R2T/H2CData
 * or C2HData as the target asks). The buffer must outlive the command.
 */
static int
send_cmd(struct conn *c, struct pnvme_cmd *cmd, void *data, uint32_t len, bool in_capsule)
{
	struct tcp_capsule_cmd cap;
	struct pnvme_sgl_descriptor *sgl = &cap.cmd.dptr.sgl1;
	int i;

	memset(&cap, 0, sizeof(cap));
	cap.cmd = *cmd;
	cap.cmd.psdt = PNVME_PSDT_SGL_MPTR_CONTIG;
	memset(sgl, 0, sizeof(*sgl));
	sgl->length = len;
	if (len > 0 && in_capsule) {
		sgl->type = PNVME_SGL_TYPE_DATA_BLOCK;
		sgl->subtype = 0x1;
	} else if (len > 0) {
		sgl->type = PNVME_SGL_TYPE_TRANSPORT_DATA_BLOCK;
		sgl->subtype = 0xa;
	}
	cap.ch.type = TCP_PDU_CAPSULE_CMD;
	cap.ch.hlen = TCP_CAPSULE_CMD_HLEN;
	cap.ch.pdo = len > 0 && in_capsule ? TCP_CAPSULE_CMD_HLEN : 0;
	cap.ch.plen = TCP_CAPSULE_CMD_HLEN + (in_capsule ? len : 0);
	for (i = 0; i < MAX_PENDING && len > 0; i++) {
		if (!c->pending[i].used) {
			c->pending[i] = (struct pending){true, cmd->cid, data, len};
			break;
		}
	}
	if (send_all(c->fd, &cap, sizeof(cap)) != 0) {
		return -1;
	}
	return len > 0 && in_capsule ? send_all(c->fd, data, len) : 0;
}

static struct pending *
find_pending(struct conn *c, uint16_t cid)
{
	int i;

	for (i = 0; i < MAX_PENDING; i++) {
		if (c->pending[i].used && c->pending[i].cid == cid) {
			return &c->pending[i];
		}
	}
	return NULL;
}

/*
 * Receive PDUs until the response to @p cid: answer R2Ts with H2CData from
 * the pending command's buffer, put C2HData into it; responses to other
 * commands are dropped. 0, or -1 on a broken connection or a termination
 * request.
 */
static int
wait_resp(struct conn *c, uint16_t cid, struct pnvme_cpl *cpl)
{
	union {
		struct tcp_common_hdr ch;
		struct tcp_capsule_resp resp;
		struct tcp_data_hdr data;
		struct tcp_r2t_hdr r2t;
		uint8_t raw[TCP_TERM_MAX_PLEN];
	} h;
	struct pending *p;
	struct tcp_data_hdr h2c;

	for (;;) {
		if (recv_all(c->fd, &h.ch, sizeof(h.ch)) != 0 || h.ch.hlen < sizeof(h.ch) ||
		    h.ch.hlen > sizeof(h.raw) ||
		    recv_all(c->fd, h.raw + sizeof(h.ch), h.ch.hlen - sizeof(h.ch)) != 0) {
			return -1;
		}
		switch (h.ch.type) {
		case TCP_PDU_CAPSULE_RESP:
			p = find_pending(c, h.resp.cpl.cid);
			if (p != NULL) {
				p->used = false;
			}
			if (h.resp.cpl.cid == cid) {
				*cpl = h.resp.cpl;
				return 0;
			}
			break;
		case TCP_PDU_C2H_DATA:
			p = find_pending(c, h.data.cccid);
			if (p == NULL || h.data.datao + h.data.datal > p->len ||
			    recv_all(c->fd, p->data + h.data.datao, h.data.datal) != 0) {
				return -1;
			}
			if ((h.ch.flags & TCP_FLAG_SUCCESS) && h.data.cccid == cid) {
				p->used = false;
				memset(cpl, 0, sizeof(*cpl));
				cpl->cid = cid;
				return 0;
			}
			break;
		case TCP_PDU_R2T:
			p = find_pending(c, h.r2t.cccid);
			if (p == NULL || h.r2t.r2to + h.r2t.r2tl > p->len) {
				return -1;
			}
			memset(&h2c, 0, sizeof(h2c));
			h2c.ch.type = TCP_PDU_H2C_DATA;
			h2c.ch.flags = TCP_FLAG_LAST_PDU;
			h2c.ch.hlen = TCP_DATA_HLEN;
			h2c.ch.pdo = TCP_DATA_HLEN;
			h2c.ch.plen = TCP_DATA_HLEN + h.r2t.r2tl;
			h2c.cccid = h.r2t.cccid;
			h2c.ttag = h.r2t.ttag;
			h2c.datao = h.r2t.r2to;
			h2c.datal = h.r2t.r2tl;
			if (send_all(c->fd, &h2c, sizeof(h2c)) != 0 ||
			    send_all(c->fd, p->data + h.r2t.r2to, h.r2t.r2tl) != 0) {
				return -1;
			}
			break;
		default:
			return -1; /* a termination request, or junk */
		}
	}
}

/* Send and wait: the completion's status as TARGET-style SCT<<8|SC, or -1. */
static int
run_cmd(struct conn *c, struct pnvme_cmd *cmd, void *data, uint32_t len, bool in_capsule,
	struct pnvme_cpl *out)
{
	struct pnvme_cpl cpl;

	if (send_cmd(c, cmd, data, len, in_capsule) != 0 || wait_resp(c, cmd->cid, &cpl) != 0) {
		return -1;
	}
	if (out != NULL) {
		*out = cpl;
	}
	return (cpl.status.sct << 8) | cpl.status.sc;
}

static int
status_of(const struct pnvme_cpl *cpl)
{
	return (cpl->status.sct << 8) | cpl->status.sc;
}

static void
fabric_cmd(struct pnvme_cmd *cmd, uint16_t cid, uint8_t fctype)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->opc = PNVME_OPC_FABRIC;
	cmd->cid = cid;
	cmd->nsid = fctype;
}

static int
connect_queue(struct conn *c, uint16_t qid, uint16_t cntlid, const char *subnqn,
	      struct pnvme_cpl *cpl)
{
	struct pnvme_fabric_connect_data data;
	struct pnvme_cmd cmd;

	memset(&data, 0, sizeof(data));
	data.cntlid = cntlid;
	snprintf(data.subnqn, sizeof(data.subnqn), "%s", subnqn);
	snprintf(data.hostnqn, sizeof(data.hostnqn), "%s", HOSTNQN);
	fabric_cmd(&cmd, 100, PNVME_FCTYPE_CONNECT);
	cmd.cdw10 = (uint32_t)qid << 16;
	cmd.cdw11 = 31; /* 32 entries */
	cmd.cdw12 = 0;  /* no keep-alive */
	return run_cmd(c, &cmd, &data, sizeof(data), true, cpl);
}

/* Admin queue up, controller enabled, @p nq I/O queues granted: the CNTLID, or -1. */
static int
admin_up(struct conn *c, uint32_t nq)
{
	struct pnvme_cpl cpl;
	struct pnvme_cmd cmd;
	union pnvme_cc_register cc = {.raw = 0};
	int cntlid;

	if (conn_open(c) != 0 || connect_queue(c, 0, 0xffff, g_nqn, &cpl) != 0) {
		return -1;
	}
	cntlid = (int)(cpl.cdw0 & 0xffff);
	cc.bits.en = 1;
	cc.bits.iosqes = 6;
	cc.bits.iocqes = 4;
	fabric_cmd(&cmd, 101, PNVME_FCTYPE_PROPERTY_SET);
	cmd.cdw11 = PNVME_REG_CC;
	cmd.cdw12 = cc.raw;
	if (run_cmd(c, &cmd, NULL, 0, false, NULL) != 0) {
		return -1;
	}
	fabric_cmd(&cmd, 102, PNVME_FCTYPE_PROPERTY_GET);
	cmd.cdw11 = PNVME_REG_CSTS;
	if (run_cmd(c, &cmd, NULL, 0, false, &cpl) != 0 || !(cpl.cdw0 & 1)) {
		return -1;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = PNVME_OPC_SET_FEATURES;
	cmd.cid = 103;
	cmd.cdw10 = PNVME_FEAT_NUMBER_OF_QUEUES;
	cmd.cdw11 = (nq - 1) | ((nq - 1) << 16);
	if (run_cmd(c, &cmd, NULL, 0, false, NULL) != 0) {
		return -1;
	}
	return cntlid;
}

static void
io_cmd(struct pnvme_cmd *cmd, uint8_t opc, uint16_t cid, uint8_t fuse, uint64_t lba,
       uint32_t blocks)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->opc = opc;
	cmd->fuse = fuse & 3u;
	cmd->cid = cid;
	cmd->nsid = 1;
	cmd->cdw10 = (uint32_t)lba;
	cmd->cdw11 = (uint32_t)(lba >> 32);
	cmd->cdw12 = blocks - 1;
}

#define ST(sct, sc) (((sct) << 8) | (sc))
#define GEN(sc) ST(PNVME_SCT_GENERIC, sc)

static void
check_fused_sequences(struct conn *io, struct conn *admin)
{
	static uint8_t a[8 * BLOCK], b[8 * BLOCK], rd[8 * BLOCK], wrong[8 * BLOCK];
	static uint8_t big_a[32 * BLOCK], big_b[32 * BLOCK], big_rd[32 * BLOCK];
	struct pnvme_cmd c1, c2;
	struct pnvme_cpl p1, p2;
	int st;

	memset(a, 0xa5, sizeof(a));
	memset(b, 0x5b, sizeof(b));
	memcpy(wrong, a, sizeof(wrong));
	wrong[sizeof(wrong) - 1] ^= 1;
	memset(big_a, 0x11, sizeof(big_a));
	memset(big_b, 0x22, sizeof(big_b));

	io_cmd(&c1, PNVME_OPC_WRITE, 1, PNVME_FUSE_NONE, 10, 8);
	CHECK(run_cmd(io, &c1, a, sizeof(a), true, NULL) == 0, "plain write of 8 blocks");

	/* FIRST, then a read: the FIRST alone is aborted, the read runs. */
	io_cmd(&c1, PNVME_OPC_COMPARE, 2, PNVME_FUSE_FIRST, 10, 8);
	io_cmd(&c2, PNVME_OPC_READ, 3, PNVME_FUSE_NONE, 10, 8);
	memset(rd, 0, sizeof(rd));
	st = send_cmd(io, &c1, a, sizeof(a), true) == 0 && send_cmd(io, &c2, rd, sizeof(rd), false) == 0 &&
		     wait_resp(io, 2, &p1) == 0 && wait_resp(io, 3, &p2) == 0
	     ? 0
	     : -1;
	CHECK(st == 0 && status_of(&p1) == GEN(PNVME_SC_ABORTED_MISSING_FUSED),
	      "FIRST followed by a read: ABORTED - MISSING FUSED (0x%03x)", status_of(&p1));
	CHECK(st == 0 && status_of(&p2) == 0 && memcmp(rd, a, sizeof(a)) == 0,
	      "...and the read after it runs normally");

	io_cmd(&c1, PNVME_OPC_WRITE, 4, PNVME_FUSE_SECOND, 10, 8);
	st = run_cmd(io, &c1, b, sizeof(b), true, NULL);
	CHECK(st == GEN(PNVME_SC_ABORTED_MISSING_FUSED),
	      "SECOND with no FIRST: ABORTED - MISSING FUSED (0x%03x)", st);

	/* Pairs the target must refuse as a whole. */
	io_cmd(&c1, PNVME_OPC_COMPARE, 5, PNVME_FUSE_FIRST, 10, 8);
	io_cmd(&c2, PNVME_OPC_WRITE, 6, PNVME_FUSE_SECOND, 11, 8);
	st = send_cmd(io, &c1, a, sizeof(a), true) == 0 && send_cmd(io, &c2, b, sizeof(b), true) == 0 &&
		     wait_resp(io, 5, &p1) == 0 && wait_resp(io, 6, &p2) == 0
	     ? 0
	     : -1;
	CHECK(st == 0 && status_of(&p1) == GEN(PNVME_SC_INVALID_FIELD) &&
		      status_of(&p2) == GEN(PNVME_SC_INVALID_FIELD),
	      "pair on different LBAs: both INVALID FIELD (0x%03x, 0x%03x)", status_of(&p1),
	      status_of(&p2));
	io_cmd(&c1, PNVME_OPC_COMPARE, 7, PNVME_FUSE_FIRST, 10, 8);
	io_cmd(&c2, PNVME_OPC_READ, 8, PNVME_FUSE_SECOND, 10, 8);
	st = send_cmd(io, &c1, a, sizeof(a), true) == 0 && send_cmd(io, &c2, rd, sizeof(rd), false) == 0 &&
		     wait_resp(io, 7, &p1) == 0 && wait_resp(io, 8, &p2) == 0
	     ? 0
	     : -1;
	CHECK(st == 0 && status_of(&p1) == GEN(PNVME_SC_INVALID_FIELD) &&
		      status_of(&p2) == GEN(PNVME_SC_INVALID_FIELD),
	      "compare fused with a read: both INVALID FIELD (0x%03x, 0x%03x)", status_of(&p1),
	      status_of(&p2));
	io_cmd(&c1, PNVME_OPC_READ, 9, PNVME_FUSE_FIRST, 10, 8);
	st = run_cmd(io, &c1, rd, sizeof(rd), false, NULL);
	CHECK(st == GEN(PNVME_SC_INVALID_FIELD), "a read as FIRST: INVALID FIELD (0x%03x)", st);
	io_cmd(&c1, PNVME_OPC_COMPARE, 10, 3, 10, 8);
	st = run_cmd(io, &c1, a, sizeof(a), true, NULL);
	CHECK(st == GEN(PNVME_SC_INVALID_FIELD), "FUSE value 3 (reserved): INVALID FIELD (0x%03x)",
	      st);

	/* Miscompare, then a matching pair, all data in the capsules. */
	io_cmd(&c1, PNVME_OPC_COMPARE, 11, PNVME_FUSE_FIRST, 10, 8);
	io_cmd(&c2, PNVME_OPC_WRITE, 12, PNVME_FUSE_SECOND, 10, 8);
	st = send_cmd(io, &c1, wrong, sizeof(wrong), true) == 0 &&
		     send_cmd(io, &c2, b, sizeof(b), true) == 0 && wait_resp(io, 11, &p1) == 0 &&
		     wait_resp(io, 12, &p2) == 0
	     ? 0
	     : -1;
	CHECK(st == 0 && status_of(&p1) == ST(PNVME_SCT_MEDIA_ERROR, PNVME_SC_COMPARE_FAILURE) &&
		      status_of(&p2) == GEN(PNVME_SC_ABORTED_FAILED_FUSED),
	      "miscompare: COMPARE FAILURE and ABORTED - FAILED FUSED (0x%03x, 0x%03x)",
	      status_of(&p1), status_of(&p2));
	io_cmd(&c1, PNVME_OPC_READ, 13, PNVME_FUSE_NONE, 10, 8);
	CHECK(run_cmd(io, &c1, rd, sizeof(rd), false, NULL) == 0 && memcmp(rd, a, sizeof(a)) == 0,
	      "...and nothing was written");
	io_cmd(&c1, PNVME_OPC_COMPARE, 14, PNVME_FUSE_FIRST, 10, 8);
	io_cmd(&c2, PNVME_OPC_WRITE, 15, PNVME_FUSE_SECOND, 10, 8);
	st = send_cmd(io, &c1, a, sizeof(a), true) == 0 && send_cmd(io, &c2, b, sizeof(b), true) == 0 &&
		     wait_resp(io, 14, &p1) == 0 && wait_resp(io, 15, &p2) == 0
	     ? 0
	     : -1;
	io_cmd(&c1, PNVME_OPC_READ, 16, PNVME_FUSE_NONE, 10, 8);
	CHECK(st == 0 && status_of(&p1) == 0 && status_of(&p2) == 0 &&
		      run_cmd(io, &c1, rd, sizeof(rd), false, NULL) == 0 &&
		      memcmp(rd, b, sizeof(b)) == 0,
	      "matching pair: both succeed and the new data is there");

	/* A pair whose data both halves send on request (R2T), the second
	 * capsule arriving before the first's data. */
	io_cmd(&c1, PNVME_OPC_WRITE, 17, PNVME_FUSE_NONE, 100, 32);
	run_cmd(io, &c1, big_a, sizeof(big_a), false, NULL);
	io_cmd(&c1, PNVME_OPC_COMPARE, 18, PNVME_FUSE_FIRST, 100, 32);
	io_cmd(&c2, PNVME_OPC_WRITE, 19, PNVME_FUSE_SECOND, 100, 32);
	st = send_cmd(io, &c1, big_a, sizeof(big_a), false) == 0 &&
		     send_cmd(io, &c2, big_b, sizeof(big_b), false) == 0 &&
		     wait_resp(io, 18, &p1) == 0 && wait_resp(io, 19, &p2) == 0
	     ? 0
	     : -1;
	io_cmd(&c1, PNVME_OPC_READ, 20, PNVME_FUSE_NONE, 100, 32);
	CHECK(st == 0 && status_of(&p1) == 0 && status_of(&p2) == 0 &&
		      run_cmd(io, &c1, big_rd, sizeof(big_rd), false, NULL) == 0 &&
		      memcmp(big_rd, big_b, sizeof(big_b)) == 0,
	      "matching pair of 16 KiB, data through R2T: both succeed, new data there");

	/* No admin command is fused. */
	memset(&c1, 0, sizeof(c1));
	c1.opc = PNVME_OPC_KEEP_ALIVE;
	c1.cid = 21;
	c1.fuse = PNVME_FUSE_FIRST;
	st = run_cmd(admin, &c1, NULL, 0, false, NULL);
	CHECK(st == GEN(PNVME_SC_INVALID_FIELD), "fused admin command: INVALID FIELD (0x%03x)", st);

	/* Out of range and length mismatch. */
	io_cmd(&c1, PNVME_OPC_READ, 22, PNVME_FUSE_NONE, 0xffffffffull, 1);
	st = run_cmd(io, &c1, rd, BLOCK, false, NULL);
	CHECK(st == GEN(PNVME_SC_LBA_OUT_OF_RANGE), "read past the end: LBA OUT OF RANGE (0x%03x)",
	      st);
	io_cmd(&c1, PNVME_OPC_READ, 23, PNVME_FUSE_NONE, 0, 2);
	st = run_cmd(io, &c1, rd, BLOCK, false, NULL);
	CHECK(st == GEN(PNVME_SC_DATA_SGL_LENGTH_INVALID),
	      "read of 2 blocks into 1 block of SGL: DATA SGL LENGTH INVALID (0x%03x)", st);
}

/* Send @p len raw bytes on a fresh connection (after ICReq when @p ic) and
 * see the target answer with a C2HTermReq and close. */
static bool
terminated_by(const void *bytes, size_t len, bool ic)
{
	struct conn c;
	struct tcp_term_hdr term;
	uint8_t rest[TCP_TERM_MAX_PLEN];
	bool ok;

	if (ic) {
		if (conn_open(&c) != 0) {
			return false;
		}
	} else {
		c.fd = open_socket();
		if (c.fd < 0) {
			return false;
		}
	}
	ok = send_all(c.fd, bytes, len) == 0 && recv_all(c.fd, &term, sizeof(term)) == 0 &&
	     term.ch.type == TCP_PDU_C2H_TERM_REQ && term.ch.plen >= sizeof(term) &&
	     term.ch.plen <= TCP_TERM_MAX_PLEN &&
	     recv_all(c.fd, rest, term.ch.plen - sizeof(term)) == 0 &&
	     recv(c.fd, rest, 1, 0) == 0; /* then the end of the connection */
	conn_close(&c);
	return ok;
}

static void
check_bad_pdus(struct conn *admin)
{
	struct tcp_capsule_cmd cap;
	struct tcp_data_hdr h2c;
	uint8_t junk[TCP_IC_LEN];
	struct pnvme_cmd cmd;

	memset(&cap, 0, sizeof(cap));
	cap.ch.type = TCP_PDU_CAPSULE_CMD;
	cap.ch.hlen = 99;
	cap.ch.plen = sizeof(cap);
	CHECK(terminated_by(&cap, sizeof(cap), true), "CapsuleCmd with HLEN 99: C2HTermReq, closed");
	cap.ch.hlen = TCP_CAPSULE_CMD_HLEN;
	cap.ch.pdo = TCP_CAPSULE_CMD_HLEN;
	cap.ch.plen = TCP_CAPSULE_CMD_HLEN + 1024u * 1024u;
	CHECK(terminated_by(&cap, sizeof(cap), true),
	      "CapsuleCmd with 1 MiB of in-capsule data: C2HTermReq, closed");
	memset(&h2c, 0, sizeof(h2c));
	h2c.ch.type = TCP_PDU_H2C_DATA;
	h2c.ch.hlen = TCP_DATA_HLEN;
	h2c.ch.pdo = TCP_DATA_HLEN;
	h2c.ch.plen = TCP_DATA_HLEN + 4;
	h2c.ttag = 3;
	h2c.datal = 4;
	CHECK(terminated_by(&h2c, sizeof(h2c), true), "H2CData with no R2T: C2HTermReq, closed");
	memset(junk, 0x7f, sizeof(junk));
	CHECK(terminated_by(junk, sizeof(junk), false), "garbage instead of an ICReq: C2HTermReq, closed");

	/* The target lives on: the admin queue still answers. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = PNVME_OPC_KEEP_ALIVE;
	cmd.cid = 30;
	CHECK(run_cmd(admin, &cmd, NULL, 0, false, NULL) == 0,
	      "Keep Alive on the admin queue still succeeds after the bad connections");
}

static void
check_connects(int cntlid)
{
	struct pnvme_cpl cpl;
	struct conn c;
	int st;

	st = conn_open(&c) == 0 ? connect_queue(&c, 0, 0xffff, "nqn.2026-11.io.pnvme:nosuch", &cpl)
				: -1;
	CHECK(st == ST(PNVME_SCT_COMMAND_SPECIFIC, PNVME_SC_CONNECT_INVALID_PARAMETERS) &&
		      cpl.cdw0 == ((1u << 16) | 256u),
	      "Connect to an unknown NQN: INVALID PARAMETERS at data offset 256 (0x%03x, dword 0 "
	      "0x%x)",
	      st, st >= 0 ? cpl.cdw0 : 0);
	conn_close(&c);
	st = conn_open(&c) == 0 ? connect_queue(&c, 3, (uint16_t)cntlid, g_nqn, &cpl) : -1;
	CHECK(st == ST(PNVME_SCT_COMMAND_SPECIFIC, PNVME_SC_CONNECT_INVALID_PARAMETERS),
	      "Connect of I/O queue 3 when 2 were granted: INVALID PARAMETERS (0x%03x)", st);
	conn_close(&c);
	st = conn_open(&c) == 0 ? connect_queue(&c, 1, (uint16_t)cntlid, g_nqn, &cpl) : -1;
	CHECK(st == GEN(PNVME_SC_COMMAND_SEQUENCE_ERROR),
	      "Connect of I/O queue 1 while it is connected: COMMAND SEQUENCE ERROR (0x%03x)", st);
	conn_close(&c);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"port", required_argument, NULL, 'p'},
		{"nqn", required_argument, NULL, 'n'},
		{NULL, 0, NULL, 0},
	};
	struct conn admin, io;
	struct pnvme_cpl cpl;
	int c, cntlid;

	while ((c = getopt_long(argc, argv, "p:n:", longopts, NULL)) != -1) {
		if (c == 'p') {
			g_port = (unsigned int)strtoul(optarg, NULL, 10);
		} else if (c == 'n') {
			g_nqn = optarg;
		} else {
			return 2;
		}
	}
	if (g_port == 0 || g_port > 65535 || g_nqn == NULL) {
		fprintf(stderr, "usage: %s --port PORT --nqn NQN\n", argv[0]);
		return 2;
	}
	cntlid = admin_up(&admin, 2);
	CHECK(cntlid > 0, "admin queue: Connect, CC.EN -> CSTS.RDY, 2 I/O queues granted");
	if (cntlid <= 0) {
		return 1;
	}
	CHECK(conn_open(&io) == 0 && connect_queue(&io, 1, (uint16_t)cntlid, g_nqn, &cpl) == 0,
	      "I/O queue 1 connects to controller %d", cntlid);
	check_fused_sequences(&io, &admin);
	check_connects(cntlid);
	check_bad_pdus(&admin);
	conn_close(&io);
	conn_close(&admin);
	return g_failures ? 1 : 0;
}
