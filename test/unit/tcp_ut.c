/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe/TCP: CRC32C known answers, PDU header checks, and a queue pair whose
 * socket is one end of a socket pair: the test plays the controller on the
 * other end, reading what the host sends and writing well-formed and
 * malformed PDUs back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nvme/crc32c.h"
#include "nvme/fabrics.h"
#include "nvme/tcp_internal.h"
#include "nvme/tcp_sock.h"
#include "test_env.h"
#include "ut.h"

/* ---------------------------------------------------------------- */
/* CRC32C                                                            */
/* ---------------------------------------------------------------- */

static void
test_crc32c_known_answers(void)
{
	uint8_t zeros[32] = {0}, ones[32], inc[32];
	struct iovec iov[3];
	int i;

	memset(ones, 0xff, sizeof(ones));
	for (i = 0; i < 32; i++) {
		inc[i] = (uint8_t)i;
	}
	CU_ASSERT_EQUAL(crc32c("123456789", 9), 0xe3069283u);
	CU_ASSERT_EQUAL(crc32c(zeros, 32), 0x8a9136aau);
	CU_ASSERT_EQUAL(crc32c(ones, 32), 0x62a8ab43u);
	CU_ASSERT_EQUAL(crc32c(inc, 32), 0x46dd794eu);
	CU_ASSERT_EQUAL(crc32c(zeros, 0), 0);
	/* Piece by piece and over a vector give the same digest. */
	CU_ASSERT_EQUAL(crc32c_finish(crc32c_update(crc32c_update(CRC32C_INIT, inc, 5), inc + 5,
						    27)),
			0x46dd794eu);
	iov[0].iov_base = inc;
	iov[0].iov_len = 7;
	iov[1].iov_base = inc + 7;
	iov[1].iov_len = 20;
	iov[2].iov_base = inc + 27;
	iov[2].iov_len = 5;
	CU_ASSERT_EQUAL(crc32c_finish(crc32c_update_iov(CRC32C_INIT, iov, 3, 0, 32)), 0x46dd794eu);
	CU_ASSERT_EQUAL(crc32c_finish(crc32c_update_iov(CRC32C_INIT, iov, 3, 9, 9)),
			crc32c(inc + 9, 9));
}

/* ---------------------------------------------------------------- */
/* Header checks                                                     */
/* ---------------------------------------------------------------- */

static int
check(uint8_t type, uint8_t flags, uint8_t hlen, uint8_t pdo, uint32_t plen, bool hdgst,
      bool ddgst, bool ic_done, uint32_t *rest)
{
	struct tcp_common_hdr ch = {type, flags, hlen, pdo, plen};
	struct tcp_conn_params p = {.hdgst = hdgst, .ddgst = ddgst, .maxh2cdata = 4096};
	char why[160];

	return tcp_pdu_check_common(&ch, &p, ic_done, rest, why, sizeof(why));
}

static void
test_pdu_header_checks(void)
{
	uint32_t rest = 0;

	/* Well-formed. */
	CU_ASSERT_EQUAL(check(TCP_PDU_CAPSULE_RESP, 0, 24, 0, 24, false, false, true, &rest), 0);
	CU_ASSERT_EQUAL(rest, 16);
	CU_ASSERT_EQUAL(check(TCP_PDU_CAPSULE_RESP, TCP_FLAG_HDGST, 24, 0, 28, true, false, true,
			      &rest),
			0);
	CU_ASSERT_EQUAL(rest, 20);
	CU_ASSERT_EQUAL(check(TCP_PDU_R2T, 0, 24, 0, 24, false, true, true, &rest), 0);
	CU_ASSERT_EQUAL(check(TCP_PDU_C2H_DATA, TCP_FLAG_DDGST, 24, 24, 24 + 512 + 4, false, true,
			      true, &rest),
			0);
	CU_ASSERT_EQUAL(check(TCP_PDU_C2H_TERM_REQ, 0, 24, 0, 60, true, true, true, &rest), 0);
	CU_ASSERT_EQUAL(rest, 16); /* no digest on termination requests */
	CU_ASSERT_EQUAL(check(TCP_PDU_IC_RESP, 0, 128, 0, 128, false, false, false, &rest), 0);
	CU_ASSERT_EQUAL(rest, 120);

	/* Wrong type for the state. */
	CU_ASSERT_EQUAL(check(TCP_PDU_CAPSULE_RESP, 0, 24, 0, 24, false, false, false, &rest),
			TCP_FES_PDU_SEQUENCE_ERROR);
	CU_ASSERT_EQUAL(check(TCP_PDU_IC_RESP, 0, 128, 0, 128, false, false, true, &rest),
			TCP_FES_PDU_SEQUENCE_ERROR);
	CU_ASSERT_EQUAL(check(TCP_PDU_CAPSULE_CMD, 0, 72, 0, 72, false, false, true, &rest),
			TCP_FES_INVALID_HEADER_FIELD);
	CU_ASSERT_EQUAL(check(TCP_PDU_H2C_DATA, 0, 24, 24, 100, false, false, true, &rest),
			TCP_FES_INVALID_HEADER_FIELD);
	CU_ASSERT_EQUAL(check(0x7f, 0, 24, 0, 24, false, false, true, &rest),
			TCP_FES_INVALID_HEADER_FIELD);
	/* Lengths that disagree. */
	CU_ASSERT_NOT_EQUAL(check(TCP_PDU_CAPSULE_RESP, 0, 20, 0, 24, false, false, true, &rest), 0);
	CU_ASSERT_NOT_EQUAL(check(TCP_PDU_CAPSULE_RESP, 0, 24, 0, 40, false, false, true, &rest), 0);
	CU_ASSERT_NOT_EQUAL(check(TCP_PDU_R2T, 0, 24, 24, 24, false, false, true, &rest), 0);
	CU_ASSERT_NOT_EQUAL(check(TCP_PDU_C2H_DATA, 0, 24, 28, 100, false, false, true, &rest), 0);
	CU_ASSERT_NOT_EQUAL(check(TCP_PDU_C2H_DATA, 0, 24, 24, 24, false, false, true, &rest), 0);
	CU_ASSERT_NOT_EQUAL(check(TCP_PDU_IC_RESP, 0, 128, 0, 132, false, false, false, &rest), 0);
	CU_ASSERT_NOT_EQUAL(check(TCP_PDU_C2H_TERM_REQ, 0, 24, 0, 200, false, false, true, &rest),
			    0);
	/* Digest flags that disagree with what was negotiated. */
	CU_ASSERT_NOT_EQUAL(check(TCP_PDU_CAPSULE_RESP, 0, 24, 0, 28, true, false, true, &rest), 0);
	CU_ASSERT_NOT_EQUAL(
		check(TCP_PDU_CAPSULE_RESP, TCP_FLAG_HDGST, 24, 0, 24, false, false, true, &rest), 0);
	CU_ASSERT_NOT_EQUAL(check(TCP_PDU_C2H_DATA, 0, 24, 24, 100, false, true, true, &rest), 0);
	CU_ASSERT_NOT_EQUAL(
		check(TCP_PDU_CAPSULE_RESP, TCP_FLAG_DDGST, 24, 0, 24, false, true, true, &rest), 0);
	/* SUCCESS only with LAST_PDU. */
	CU_ASSERT_NOT_EQUAL(check(TCP_PDU_C2H_DATA, TCP_FLAG_SUCCESS, 24, 24, 100, false, false,
				  true, &rest),
			    0);
}

static void
test_ic_resp_checks(void)
{
	struct tcp_conn_params p;
	struct tcp_ic_resp r;
	struct tcp_ic_req q;
	char why[160];

	tcp_pdu_build_ic_req(&q, true, false);
	CU_ASSERT_EQUAL(q.ch.type, TCP_PDU_IC_REQ);
	CU_ASSERT_EQUAL(q.ch.hlen, 128);
	CU_ASSERT_EQUAL(q.ch.plen, 128);
	CU_ASSERT_EQUAL(q.digest, 1);
	CU_ASSERT_EQUAL(q.hpda, 0);
	CU_ASSERT_EQUAL(q.maxr2t, 0);

	memset(&r, 0, sizeof(r));
	r.ch.type = TCP_PDU_IC_RESP;
	r.maxh2cdata = 0x400000;
	r.digest = 3;
	CU_ASSERT_EQUAL(tcp_pdu_check_ic_resp(&r, true, true, &p, why, sizeof(why)), 0);
	CU_ASSERT(p.hdgst && p.ddgst);
	CU_ASSERT_EQUAL(p.maxh2cdata, 0x400000);
	/* Digests not as asked, alignment, version, MAXH2CDATA. */
	CU_ASSERT_EQUAL(tcp_pdu_check_ic_resp(&r, true, false, &p, why, sizeof(why)), -EPROTO);
	r.cpda = 1;
	CU_ASSERT_EQUAL(tcp_pdu_check_ic_resp(&r, true, true, &p, why, sizeof(why)), -EPROTO);
	r.cpda = 0;
	r.pfv = 1;
	CU_ASSERT_EQUAL(tcp_pdu_check_ic_resp(&r, true, true, &p, why, sizeof(why)), -EPROTO);
	r.pfv = 0;
	r.maxh2cdata = 1024;
	CU_ASSERT_EQUAL(tcp_pdu_check_ic_resp(&r, true, true, &p, why, sizeof(why)), -EPROTO);
	CU_ASSERT(strstr(why, "MAXH2CDATA 1024") != NULL);
	r.maxh2cdata = 4098;
	CU_ASSERT_EQUAL(tcp_pdu_check_ic_resp(&r, true, true, &p, why, sizeof(why)), -EPROTO);
}

/* ---------------------------------------------------------------- */
/* A queue pair over a socket pair                                   */
/* ---------------------------------------------------------------- */

struct fixture {
	struct pnvme_ctrlr ctrlr;
	struct tcp_qpair tq;
	int peer; /* the controller's end */
};

static int g_done;
static int g_errors;
static struct pnvme_cpl g_cpl;

static void
done_cb(void *arg, const struct pnvme_cpl *cpl)
{
	(void)arg;
	g_done++;
	g_errors += pnvme_cpl_is_error(cpl);
	g_cpl = *cpl;
}

static void
fx_setup(struct fixture *fx, bool hdgst, bool ddgst, uint32_t maxh2cdata, uint32_t max_icd)
{
	struct pnvme_transport_id trid = {.trtype = PNVME_TRANSPORT_TCP, .traddr = "peer"};
	int sv[2];

	memset(fx, 0, sizeof(*fx));
	CU_ASSERT_EQUAL_FATAL(nvme_ctrlr_construct(&fx->ctrlr, &g_nvme_tcp_ops, &trid, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(tcp_qpair_construct(&fx->tq, &fx->ctrlr, 1, 8, 16), 0);
	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fx->tq.fd = sv[0];
	fx->peer = sv[1];
	fx->tq.ic_done = true;
	fx->tq.params.hdgst = hdgst;
	fx->tq.params.ddgst = ddgst;
	fx->tq.params.maxh2cdata = maxh2cdata;
	fx->tq.max_icd = max_icd;
	fx->tq.rwant = TCP_CAPSULE_RESP_HLEN + (hdgst ? 4 : 0);
	g_done = 0;
	g_errors = 0;
	memset(&g_cpl, 0, sizeof(g_cpl));
}

static void
fx_teardown(struct fixture *fx)
{
	if (!fx->tq.qpair.failed) {
		nvme_qpair_fail(&fx->tq.qpair);
	}
	tcp_qpair_destruct(&fx->tq);
	close(fx->peer);
	nvme_ctrlr_destruct_common(&fx->ctrlr);
}

static int
submit_fused(struct fixture *fx, uint8_t opc, uint8_t fuse, void *buf, uint32_t len)
{
	struct nvme_request *req = nvme_qpair_alloc_request(&fx->tq.qpair, done_cb, NULL);

	if (req == NULL) {
		return -ENOMEM;
	}
	memset(&req->cmd, 0, sizeof(req->cmd));
	req->cmd.opc = opc;
	req->cmd.fuse = fuse & 3;
	req->cmd.nsid = 1;
	req->payload = buf;
	req->payload_size = len;
	return nvme_qpair_submit_request(&fx->tq.qpair, req);
}

static int
submit(struct fixture *fx, uint8_t opc, void *buf, uint32_t len)
{
	return submit_fused(fx, opc, PNVME_FUSE_NONE, buf, len);
}

static void
peer_read(struct fixture *fx, void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = read(fx->peer, p, len);
		CU_ASSERT_FATAL(n > 0);
		p += n;
		len -= (size_t)n;
	}
}

static void
peer_write(struct fixture *fx, const void *buf, size_t len)
{
	CU_ASSERT_EQUAL_FATAL(write(fx->peer, buf, len), (ssize_t)len);
}

/* Read one CapsuleCmd (and its in-capsule data, if any). */
static void
peer_read_capsule(struct fixture *fx, struct tcp_capsule_cmd *cap, void *data)
{
	uint32_t hd = fx->tq.params.hdgst ? 4 : 0, extra;
	uint8_t dgst[4];

	peer_read(fx, cap, sizeof(*cap));
	CU_ASSERT_EQUAL(cap->ch.type, TCP_PDU_CAPSULE_CMD);
	CU_ASSERT_EQUAL(cap->ch.hlen, 72);
	if (hd) {
		peer_read(fx, dgst, 4);
	}
	extra = cap->ch.plen - 72 - hd;
	if (extra > 0) {
		CU_ASSERT_EQUAL(cap->ch.pdo, 72 + hd);
		peer_read(fx, data, extra);
	}
}

static void
peer_send_resp(struct fixture *fx, uint16_t cid, uint8_t sc)
{
	struct tcp_capsule_resp r;

	memset(&r, 0, sizeof(r));
	r.ch.type = TCP_PDU_CAPSULE_RESP;
	r.ch.hlen = 24;
	r.ch.plen = 24;
	r.cpl.cid = cid;
	r.cpl.status.sc = sc;
	peer_write(fx, &r, sizeof(r));
}

static void
peer_send_c2h(struct fixture *fx, uint16_t cid, uint32_t off, const void *data, uint32_t len,
	      uint8_t flags)
{
	struct tcp_data_hdr h;

	memset(&h, 0, sizeof(h));
	h.ch.type = TCP_PDU_C2H_DATA;
	h.ch.flags = flags;
	h.ch.hlen = 24;
	h.ch.pdo = 24;
	h.ch.plen = 24 + len;
	h.cccid = cid;
	h.datao = off;
	h.datal = len;
	peer_write(fx, &h, sizeof(h));
	peer_write(fx, data, len);
}

static int32_t
poll_until(struct fixture *fx, int want_done)
{
	int32_t rc = 0;
	int i;

	for (i = 0; i < 1000 && g_done < want_done; i++) {
		rc = tcp_qpair_process_completions(&fx->tq.qpair, 0);
		if (rc < 0) {
			return rc;
		}
	}
	return rc;
}

static void
test_read_with_success_flag(void)
{
	struct fixture fx;
	struct tcp_capsule_cmd cap;
	uint8_t *buf = calloc(1, 8192), src[8192];
	int i;

	for (i = 0; i < 8192; i++) {
		src[i] = (uint8_t)(i * 7);
	}
	fx_setup(&fx, false, false, 4096, 8192);
	CU_ASSERT_EQUAL(submit(&fx, PNVME_OPC_READ, buf, 8192), 0);
	peer_read_capsule(&fx, &cap, NULL);
	CU_ASSERT_EQUAL(cap.ch.plen, 72);
	CU_ASSERT_EQUAL(cap.cmd.psdt, PNVME_PSDT_SGL_MPTR_CONTIG);
	CU_ASSERT_EQUAL(cap.cmd.dptr.sgl1.type, PNVME_SGL_TYPE_TRANSPORT_DATA_BLOCK);
	CU_ASSERT_EQUAL(cap.cmd.dptr.sgl1.subtype, 0xa);
	CU_ASSERT_EQUAL(cap.cmd.dptr.sgl1.length, 8192);
	/* Two C2HData PDUs; the last says SUCCESS: no response follows. */
	peer_send_c2h(&fx, cap.cmd.cid, 0, src, 3000, 0);
	peer_send_c2h(&fx, cap.cmd.cid, 3000, src + 3000, 5192,
		      TCP_FLAG_LAST_PDU | TCP_FLAG_SUCCESS);
	CU_ASSERT(poll_until(&fx, 1) >= 0);
	CU_ASSERT_EQUAL(g_done, 1);
	CU_ASSERT(!pnvme_cpl_is_error(&g_cpl));
	CU_ASSERT_EQUAL(memcmp(buf, src, 8192), 0);
	/* A response that arrives in pieces (inside and after the common header). */
	CU_ASSERT_EQUAL(submit(&fx, PNVME_OPC_READ, buf, 512), 0);
	peer_read_capsule(&fx, &cap, NULL);
	peer_send_c2h(&fx, cap.cmd.cid, 0, src, 512, TCP_FLAG_LAST_PDU);
	{
		struct tcp_capsule_resp r;

		memset(&r, 0, sizeof(r));
		r.ch.type = TCP_PDU_CAPSULE_RESP;
		r.ch.hlen = 24;
		r.ch.plen = 24;
		r.cpl.cid = cap.cmd.cid;
		peer_write(&fx, &r, 5);
		CU_ASSERT(poll_until(&fx, 2) >= 0);
		peer_write(&fx, (uint8_t *)&r + 5, 7);
		CU_ASSERT(poll_until(&fx, 2) >= 0);
		CU_ASSERT_EQUAL(g_done, 1);
		peer_write(&fx, (uint8_t *)&r + 12, 12);
		CU_ASSERT(poll_until(&fx, 2) >= 0);
		CU_ASSERT_EQUAL(g_done, 2);
		CU_ASSERT(!pnvme_cpl_is_error(&g_cpl));
		g_done = 1;
	}
	/* Without SUCCESS the CapsuleResp completes it. */
	CU_ASSERT_EQUAL(submit(&fx, PNVME_OPC_READ, buf, 512), 0);
	peer_read_capsule(&fx, &cap, NULL);
	peer_send_c2h(&fx, cap.cmd.cid, 0, src + 100, 512, TCP_FLAG_LAST_PDU);
	peer_send_resp(&fx, cap.cmd.cid, 0);
	CU_ASSERT(poll_until(&fx, 2) >= 0);
	CU_ASSERT_EQUAL(g_done, 2);
	CU_ASSERT_EQUAL(memcmp(buf, src + 100, 512), 0);
	fx_teardown(&fx);
	free(buf);
}

static void
test_write_in_capsule_and_r2t(void)
{
	struct fixture fx;
	struct tcp_capsule_cmd cap;
	struct tcp_r2t_hdr r2t;
	struct tcp_data_hdr h2c;
	uint8_t *src = malloc(16384), *got = calloc(1, 16384);
	uint32_t off = 0;
	int i, pdus = 0;

	for (i = 0; i < 16384; i++) {
		src[i] = (uint8_t)(i * 13 + 1);
	}
	fx_setup(&fx, true, true, 4096, 8192);
	/* 4 KiB fits in the capsule: data right behind the header, digested. */
	CU_ASSERT_EQUAL(submit(&fx, PNVME_OPC_WRITE, src, 4096), 0);
	peer_read(&fx, &cap, sizeof(cap));
	CU_ASSERT_EQUAL(cap.ch.flags, TCP_FLAG_HDGST | TCP_FLAG_DDGST);
	CU_ASSERT_EQUAL(cap.ch.pdo, 76);
	CU_ASSERT_EQUAL(cap.ch.plen, 76 + 4096 + 4);
	CU_ASSERT_EQUAL(cap.cmd.dptr.sgl1.type, PNVME_SGL_TYPE_DATA_BLOCK);
	CU_ASSERT_EQUAL(cap.cmd.dptr.sgl1.subtype, 1);
	{
		uint8_t rest[4 + 4096 + 4];
		uint32_t d;

		peer_read(&fx, rest, sizeof(rest));
		memcpy(&d, rest, 4);
		CU_ASSERT_EQUAL(d, crc32c(&cap, 72));
		CU_ASSERT_EQUAL(memcmp(rest + 4, src, 4096), 0);
		memcpy(&d, rest + 4 + 4096, 4);
		CU_ASSERT_EQUAL(d, crc32c(src, 4096));
	}
	fx_teardown(&fx);

	/* 16 KiB: no data in the capsule; the controller asks with an R2T,
	 * the host answers in MAXH2CDATA-sized H2CData PDUs, the last LAST. */
	fx_setup(&fx, false, false, 4096, 8192);
	CU_ASSERT_EQUAL(submit(&fx, PNVME_OPC_WRITE, src, 16384), 0);
	peer_read_capsule(&fx, &cap, NULL);
	CU_ASSERT_EQUAL(cap.ch.plen, 72);
	CU_ASSERT_EQUAL(cap.cmd.dptr.sgl1.type, PNVME_SGL_TYPE_TRANSPORT_DATA_BLOCK);
	memset(&r2t, 0, sizeof(r2t));
	r2t.ch.type = TCP_PDU_R2T;
	r2t.ch.hlen = 24;
	r2t.ch.plen = 24;
	r2t.cccid = cap.cmd.cid;
	r2t.ttag = 0x55;
	r2t.r2to = 0;
	r2t.r2tl = 16384;
	peer_write(&fx, &r2t, sizeof(r2t));
	CU_ASSERT(poll_until(&fx, 0) >= 0);
	while (off < 16384) {
		CU_ASSERT(tcp_qpair_process_completions(&fx.tq.qpair, 0) >= 0);
		peer_read(&fx, &h2c, sizeof(h2c));
		CU_ASSERT_EQUAL(h2c.ch.type, TCP_PDU_H2C_DATA);
		CU_ASSERT_EQUAL(h2c.cccid, cap.cmd.cid);
		CU_ASSERT_EQUAL(h2c.ttag, 0x55);
		CU_ASSERT_EQUAL(h2c.datao, off);
		CU_ASSERT_EQUAL(h2c.datal, 4096);
		CU_ASSERT_EQUAL(!!(h2c.ch.flags & TCP_FLAG_LAST_PDU), off + 4096 == 16384);
		peer_read(&fx, got + off, h2c.datal);
		off += h2c.datal;
		pdus++;
	}
	CU_ASSERT_EQUAL(pdus, 4);
	CU_ASSERT_EQUAL(memcmp(got, src, 16384), 0);
	peer_send_resp(&fx, cap.cmd.cid, 0);
	CU_ASSERT(poll_until(&fx, 1) >= 0);
	CU_ASSERT_EQUAL(g_done, 1);
	fx_teardown(&fx);
	free(src);
	free(got);
}

/* Malformed input from the controller: the connection fails, the log names
 * the problem, every outstanding command completes exactly once. */
static void
expect_failure(struct fixture *fx, int outstanding, const char *log)
{
	CU_ASSERT_EQUAL(poll_until(fx, 1000), -ENXIO);
	CU_ASSERT(fx->tq.qpair.failed);
	CU_ASSERT_EQUAL(g_done, outstanding);
	CU_ASSERT(pnvme_cpl_is_error(&g_cpl));
	CU_ASSERT(test_log_contains(log));
	/* Polling again stays failed and completes nothing twice. */
	CU_ASSERT_EQUAL(nvme_qpair_process_completions(&fx->tq.qpair, 0), -ENXIO);
	CU_ASSERT_EQUAL(g_done, outstanding);
}

/* The host told the controller why before closing: an H2CTermReq. */
static void
peer_expect_term(struct fixture *fx, uint16_t fes, uint32_t fei)
{
	struct tcp_term_hdr t;
	uint8_t rest[TCP_TERM_MAX_PLEN];

	peer_read(fx, &t, sizeof(t));
	CU_ASSERT_EQUAL(t.ch.type, TCP_PDU_H2C_TERM_REQ);
	CU_ASSERT_EQUAL(t.ch.hlen, 24);
	CU_ASSERT(t.ch.plen > 24 && t.ch.plen <= TCP_TERM_MAX_PLEN);
	CU_ASSERT_EQUAL(t.fes, fes);
	CU_ASSERT_EQUAL(t.feil | (uint32_t)t.feiu << 16, fei);
	if (t.ch.plen > 24 && t.ch.plen <= TCP_TERM_MAX_PLEN) {
		peer_read(fx, rest, t.ch.plen - 24); /* the offending header */
	}
}

static void
test_malformed_pdus(void)
{
	struct fixture fx;
	struct tcp_capsule_cmd cap;
	struct tcp_r2t_hdr r2t;
	struct tcp_term_hdr term;
	uint8_t *buf = calloc(1, 8192), data[8192] = {0};

	test_log_capture_start();
	/* Response for a command ID nobody sent. */
	fx_setup(&fx, false, false, 4096, 8192);
	CU_ASSERT_EQUAL(submit(&fx, PNVME_OPC_READ, buf, 512), 0);
	CU_ASSERT_EQUAL(submit(&fx, PNVME_OPC_READ, buf, 512), 0);
	peer_send_resp(&fx, 6, 0);
	expect_failure(&fx, 2, "CapsuleResp for command ID 6, which is not outstanding");
	{
		struct tcp_capsule_cmd c1, c2;

		peer_read_capsule(&fx, &c1, NULL);
		peer_read_capsule(&fx, &c2, NULL);
		peer_expect_term(&fx, TCP_FES_INVALID_HEADER_FIELD, 20);
	}
	fx_teardown(&fx);

	/* Data past the end of the command's buffer. */
	fx_setup(&fx, false, false, 4096, 8192);
	CU_ASSERT_EQUAL(submit(&fx, PNVME_OPC_READ, buf, 4096), 0);
	peer_read_capsule(&fx, &cap, NULL);
	peer_send_c2h(&fx, cap.cmd.cid, 2048, data, 4096, 0);
	expect_failure(&fx, 1, "out of order");
	fx_teardown(&fx);
	fx_setup(&fx, false, false, 4096, 8192);
	CU_ASSERT_EQUAL(submit(&fx, PNVME_OPC_READ, buf, 4096), 0);
	peer_read_capsule(&fx, &cap, NULL);
	peer_send_c2h(&fx, cap.cmd.cid, 0, data, 8192, 0);
	expect_failure(&fx, 1, "runs past command ID");
	peer_expect_term(&fx, TCP_FES_DATA_OUT_OF_RANGE, 12);
	fx_teardown(&fx);

	/* SUCCESS before all the data arrived. */
	fx_setup(&fx, false, false, 4096, 8192);
	CU_ASSERT_EQUAL(submit(&fx, PNVME_OPC_READ, buf, 4096), 0);
	peer_read_capsule(&fx, &cap, NULL);
	peer_send_c2h(&fx, cap.cmd.cid, 0, data, 1024, TCP_FLAG_LAST_PDU | TCP_FLAG_SUCCESS);
	expect_failure(&fx, 1, "SUCCESS for command ID");
	fx_teardown(&fx);

	/* A PDU type the controller never sends. */
	fx_setup(&fx, false, false, 4096, 8192);
	CU_ASSERT_EQUAL(submit(&fx, PNVME_OPC_READ, buf, 512), 0);
	memset(&cap, 0, sizeof(cap));
	cap.ch.type = TCP_PDU_H2C_DATA;
	cap.ch.hlen = 24;
	cap.ch.pdo = 24;
	cap.ch.plen = 48;
	peer_write(&fx, &cap, 48);
	expect_failure(&fx, 1, "not one a controller sends");
	{
		struct tcp_capsule_cmd c1;

		peer_read_capsule(&fx, &c1, NULL);
		peer_expect_term(&fx, TCP_FES_INVALID_HEADER_FIELD, 0);
	}
	fx_teardown(&fx);

	/* R2T for a read. */
	fx_setup(&fx, false, false, 4096, 8192);
	CU_ASSERT_EQUAL(submit(&fx, PNVME_OPC_READ, buf, 4096), 0);
	peer_read_capsule(&fx, &cap, NULL);
	memset(&r2t, 0, sizeof(r2t));
	r2t.ch.type = TCP_PDU_R2T;
	r2t.ch.hlen = 24;
	r2t.ch.plen = 24;
	r2t.cccid = cap.cmd.cid;
	r2t.r2tl = 4096;
	peer_write(&fx, &r2t, sizeof(r2t));
	expect_failure(&fx, 1, "has no data waiting");
	fx_teardown(&fx);

	/* R2T asking for more than the command has. */
	fx_setup(&fx, false, false, 4096, 0);
	CU_ASSERT_EQUAL(submit(&fx, PNVME_OPC_WRITE, buf, 4096), 0);
	peer_read_capsule(&fx, &cap, NULL);
	r2t.cccid = cap.cmd.cid;
	r2t.r2tl = 8192;
	peer_write(&fx, &r2t, sizeof(r2t));
	expect_failure(&fx, 1, "asks for 8192 bytes at offset 0");
	fx_teardown(&fx);

	/* Bad header digest. */
	fx_setup(&fx, true, false, 4096, 8192);
	CU_ASSERT_EQUAL(submit(&fx, PNVME_OPC_READ, buf, 512), 0);
	{
		struct tcp_capsule_resp r;
		uint8_t wire[28];
		uint32_t d;

		memset(&r, 0, sizeof(r));
		r.ch.type = TCP_PDU_CAPSULE_RESP;
		r.ch.flags = TCP_FLAG_HDGST;
		r.ch.hlen = 24;
		r.ch.plen = 28;
		memcpy(wire, &r, 24);
		d = crc32c(&r, 24) ^ 1;
		memcpy(wire + 24, &d, 4);
		peer_write(&fx, wire, sizeof(wire));
	}
	expect_failure(&fx, 1, "header digest mismatch");
	{
		struct tcp_capsule_cmd c1;

		peer_read_capsule(&fx, &c1, NULL);
		peer_expect_term(&fx, TCP_FES_HDGST_ERROR, 0);
	}
	fx_teardown(&fx);

	/* Bad data digest. */
	fx_setup(&fx, false, true, 4096, 8192);
	CU_ASSERT_EQUAL(submit(&fx, PNVME_OPC_READ, buf, 512), 0);
	peer_read_capsule(&fx, &cap, NULL);
	{
		struct tcp_data_hdr h;
		uint32_t d = crc32c(data, 512) + 1;

		memset(&h, 0, sizeof(h));
		h.ch.type = TCP_PDU_C2H_DATA;
		h.ch.flags = TCP_FLAG_DDGST | TCP_FLAG_LAST_PDU | TCP_FLAG_SUCCESS;
		h.ch.hlen = 24;
		h.ch.pdo = 24;
		h.ch.plen = 24 + 512 + 4;
		h.cccid = cap.cmd.cid;
		h.datal = 512;
		peer_write(&fx, &h, sizeof(h));
		peer_write(&fx, data, 512);
		peer_write(&fx, &d, 4);
	}
	expect_failure(&fx, 1, "data digest mismatch");
	fx_teardown(&fx);

	/* The controller ends the connection. */
	fx_setup(&fx, false, false, 4096, 8192);
	CU_ASSERT_EQUAL(submit(&fx, PNVME_OPC_READ, buf, 512), 0);
	memset(&term, 0, sizeof(term));
	term.ch.type = TCP_PDU_C2H_TERM_REQ;
	term.ch.hlen = 24;
	term.ch.plen = 24;
	term.fes = TCP_FES_HDGST_ERROR;
	peer_write(&fx, &term, sizeof(term));
	expect_failure(&fx, 1, "C2HTermReq, FES 3");
	fx_teardown(&fx);

	/* The connection closes with commands outstanding. */
	fx_setup(&fx, false, false, 4096, 8192);
	CU_ASSERT_EQUAL(submit(&fx, PNVME_OPC_READ, buf, 512), 0);
	CU_ASSERT_EQUAL(submit(&fx, PNVME_OPC_WRITE, buf, 512), 0);
	CU_ASSERT_EQUAL(submit(&fx, PNVME_OPC_READ, buf, 512), 0);
	close(fx.peer);
	fx.peer = -1;
	expect_failure(&fx, 3, "connection closed by the controller");
	CU_ASSERT_EQUAL(g_cpl.status.sc, PNVME_SC_ABORTED_SQ_DELETION);
	/* Submitting on the failed qpair is refused at once. */
	CU_ASSERT_EQUAL(submit(&fx, PNVME_OPC_READ, buf, 512), -ENXIO);
	fx_teardown(&fx);
	pnvme_log_set_handler(NULL);
	free(buf);
}

/*
 * The controller names a command whose CapsuleCmd is still on the host's
 * send queue (the socket is full): it cannot know that command yet. Each
 * PDU type is a protocol error; before the fix a C2HData SUCCESS completed
 * the command while its capsule stayed linked, so the send queue looped.
 */
static void
backlog_setup(struct fixture *fx, uint8_t *big, uint32_t big_len)
{
	int small = 4096;

	fx_setup(fx, false, false, 4096, big_len);
	CU_ASSERT_EQUAL(setsockopt(fx->tq.fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
	/* An in-capsule write larger than the socket takes: command ID 0 stays
	 * part sent, and whatever comes after waits behind it. */
	CU_ASSERT_EQUAL(submit(fx, PNVME_OPC_WRITE, big, big_len), 0);
	CU_ASSERT_TRUE(fx->tq.reqs[0].queued);
	CU_ASSERT_EQUAL(submit(fx, PNVME_OPC_READ, big, 512), 0);
	CU_ASSERT_TRUE(fx->tq.reqs[1].queued);
	CU_ASSERT_FALSE(fx->tq.reqs[1].capsule_sent);
}

static void
test_pdu_for_unsent_capsule(void)
{
	const uint32_t big_len = 256 * 1024;
	uint8_t *big = calloc(1, big_len), data[512] = {0};
	struct tcp_r2t_hdr r2t;
	struct fixture fx;

	test_log_capture_start();
	backlog_setup(&fx, big, big_len);
	peer_send_c2h(&fx, 1, 0, data, 512, TCP_FLAG_LAST_PDU | TCP_FLAG_SUCCESS);
	expect_failure(&fx, 2, "C2HData for command ID 1, whose command is not sent yet");
	CU_ASSERT_TRUE(TAILQ_EMPTY(&fx.tq.send_queue));
	fx_teardown(&fx);

	backlog_setup(&fx, big, big_len);
	peer_send_resp(&fx, 1, 0);
	expect_failure(&fx, 2, "CapsuleResp for command ID 1, whose command is not sent yet");
	fx_teardown(&fx);

	backlog_setup(&fx, big, big_len);
	memset(&r2t, 0, sizeof(r2t));
	r2t.ch.type = TCP_PDU_R2T;
	r2t.ch.hlen = 24;
	r2t.ch.plen = 24;
	r2t.cccid = 0;
	r2t.r2tl = 512;
	peer_write(&fx, &r2t, sizeof(r2t));
	expect_failure(&fx, 2, "R2T for command ID 0, whose command is not sent yet");
	fx_teardown(&fx);
	pnvme_log_set_handler(NULL);
	free(big);
}

/* A write that succeeds before the controller asked for its data. */
static void
test_write_success_without_data(void)
{
	struct fixture fx;
	struct tcp_capsule_cmd cap;
	uint8_t *buf = calloc(1, 8192);

	test_log_capture_start();
	fx_setup(&fx, false, false, 4096, 0);
	CU_ASSERT_EQUAL(submit(&fx, PNVME_OPC_WRITE, buf, 8192), 0);
	peer_read_capsule(&fx, &cap, NULL);
	peer_send_resp(&fx, cap.cmd.cid, 0);
	expect_failure(&fx, 1, "succeeded before all 8192 bytes of its data were sent");
	fx_teardown(&fx);

	/* An error response instead is an ordinary completion. */
	fx_setup(&fx, false, false, 4096, 0);
	CU_ASSERT_EQUAL(submit(&fx, PNVME_OPC_WRITE, buf, 8192), 0);
	peer_read_capsule(&fx, &cap, NULL);
	peer_send_resp(&fx, cap.cmd.cid, PNVME_SC_INVALID_FIELD);
	CU_ASSERT_EQUAL(poll_until(&fx, 1), 1);
	CU_ASSERT_EQUAL(g_done, 1);
	CU_ASSERT_EQUAL(g_cpl.status.sc, PNVME_SC_INVALID_FIELD);
	CU_ASSERT_FALSE(fx.tq.qpair.failed);
	CU_ASSERT_EQUAL(fx.tq.num_free, 8);
	fx_teardown(&fx);
	pnvme_log_set_handler(NULL);
	free(buf);
}

/*
 * A fused FIRST goes out only when its SECOND can follow at once: with one
 * command ID free, both wait (in order) for a completion, then go together.
 */
static void
test_fused_pair_waits_for_two_ids(void)
{
	struct fixture fx;
	struct tcp_capsule_cmd cap, first, second;
	uint8_t *buf = calloc(1, 4096);
	int i;

	fx_setup(&fx, false, false, 4096, 8192);
	for (i = 0; i < 7; i++) {
		CU_ASSERT_EQUAL(submit(&fx, PNVME_OPC_READ, buf, 512), 0);
	}
	CU_ASSERT_EQUAL(fx.tq.num_free, 1);
	CU_ASSERT_EQUAL(submit_fused(&fx, PNVME_OPC_COMPARE, PNVME_FUSE_FIRST, buf, 512), 0);
	CU_ASSERT_EQUAL(submit_fused(&fx, PNVME_OPC_WRITE, PNVME_FUSE_SECOND, buf, 512), 0);
	/* Neither went out: the FIRST alone would leave the controller waiting. */
	CU_ASSERT_EQUAL(fx.tq.num_free, 1);
	CU_ASSERT_FALSE(STAILQ_EMPTY(&fx.tq.qpair.queued_reqs));
	for (i = 0; i < 7; i++) {
		peer_read_capsule(&fx, &cap, NULL);
	}
	/* An error answer: a read's success would need its data first. */
	peer_send_resp(&fx, cap.cmd.cid, PNVME_SC_INVALID_FIELD);
	for (i = 0; i < 1000 && g_done < 1; i++) {
		CU_ASSERT(nvme_qpair_process_completions(&fx.tq.qpair, 0) >= 0);
	}
	CU_ASSERT_EQUAL(g_done, 1);
	CU_ASSERT_EQUAL(fx.tq.num_free, 0);
	CU_ASSERT_TRUE(STAILQ_EMPTY(&fx.tq.qpair.queued_reqs));
	peer_read_capsule(&fx, &first, buf);
	peer_read_capsule(&fx, &second, buf);
	CU_ASSERT_EQUAL(first.cmd.fuse, PNVME_FUSE_FIRST);
	CU_ASSERT_EQUAL(first.cmd.opc, PNVME_OPC_COMPARE);
	CU_ASSERT_EQUAL(second.cmd.fuse, PNVME_FUSE_SECOND);
	CU_ASSERT_EQUAL(second.cmd.opc, PNVME_OPC_WRITE);
	fx_teardown(&fx);
	free(buf);
}

/* The admin Connect's answer names the controller ID: a reserved one
 * (FFF0h-FFFFh) is refused, an ordinary one taken. */
static void
test_connect_reserved_cntlid(void)
{
	struct fixture fx;
	struct tcp_capsule_cmd cap;
	struct tcp_capsule_resp r;
	uint8_t data[1024];
	uint16_t cntlid = 0;

	test_log_capture_start();
	fx_setup(&fx, false, false, 4096, 8192);
	memset(&r, 0, sizeof(r));
	r.ch.type = TCP_PDU_CAPSULE_RESP;
	r.ch.hlen = 24;
	r.ch.plen = 24;
	r.cpl.cid = 0; /* the first command ID handed out */
	r.cpl.cdw0 = 0xffff;
	peer_write(&fx, &r, sizeof(r));
	CU_ASSERT_EQUAL(nvme_fabric_connect(&fx.tq.qpair, 0, 7, 0, 0xffff, 1000, &cntlid), -EPROTO);
	CU_ASSERT(test_log_contains("Connect answered with controller ID 0xffff, a reserved value"));
	CU_ASSERT_EQUAL(cntlid, 0);
	peer_read_capsule(&fx, &cap, data);
	r.cpl.cid = 0; /* freed and handed out again */
	r.cpl.cdw0 = 0x0012;
	peer_write(&fx, &r, sizeof(r));
	CU_ASSERT_EQUAL(nvme_fabric_connect(&fx.tq.qpair, 0, 7, 0, 0xffff, 1000, &cntlid), 0);
	CU_ASSERT_EQUAL(cntlid, 0x12);
	/* A refusal is named as Connect's, not as an I/O status. */
	peer_read_capsule(&fx, &cap, data);
	r.cpl.status.sct = PNVME_SCT_COMMAND_SPECIFIC;
	r.cpl.status.sc = PNVME_SC_CONNECT_INVALID_PARAMETERS;
	peer_write(&fx, &r, sizeof(r));
	CU_ASSERT_EQUAL(nvme_fabric_connect(&fx.tq.qpair, 0, 7, 0, 0xffff, 1000, &cntlid),
			-ECONNREFUSED);
	CU_ASSERT(test_log_contains("refused the Connect of queue 0: CONNECT INVALID PARAMETERS "
				    "(sct 1 sc 0x82"));
	fx_teardown(&fx);
	pnvme_log_set_handler(NULL);
}

/*
 * A controller that answers ICReq but never Connect: the Connect times out
 * and its request, whose callback argument lives in the Connect call's
 * frame, is completed before that call returns, never after.
 */
static void
test_connect_timeout(void)
{
	struct fixture fx;
	struct tcp_capsule_cmd cap;
	uint8_t data[1024];
	int rc;

	test_log_capture_start();
	fx_setup(&fx, false, false, 4096, 8192);
	fx.ctrlr.opts.hostnqn[0] = 'h';
	g_test_tick_step = 100; /* 100 us per look: the deadline passes quickly */
	rc = nvme_fabric_connect(&fx.tq.qpair, 1, 7, 0, 1, 5, NULL);
	g_test_tick_step = 1;
	CU_ASSERT_EQUAL(rc, -ETIMEDOUT);
	CU_ASSERT(test_log_contains("Connect of queue 1 got no answer in 5 ms"));
	CU_ASSERT_TRUE(fx.tq.qpair.failed);
	CU_ASSERT_EQUAL(fx.tq.qpair.num_outstanding, 0);
	CU_ASSERT_EQUAL(fx.tq.qpair.num_free_reqs, fx.tq.qpair.num_reqs);
	peer_read_capsule(&fx, &cap, data);
	CU_ASSERT_EQUAL(cap.cmd.opc, PNVME_OPC_FABRIC);
	/* Failing again (as teardown does) finds nothing left to complete. */
	fx_teardown(&fx);
	pnvme_log_set_handler(NULL);
}

/* Many answers arrive together: one poll takes them with one receive call
 * and completes them all; a poll that finds nothing costs one call. */
static void
test_one_receive_call_per_poll(void)
{
	struct fixture fx;
	struct tcp_capsule_cmd cap;
	struct tcp_capsule_resp r[8];
	struct pnvme_qpair_stats st;
	uint8_t data[16];
	int i;

	fx_setup(&fx, false, false, 4096, 8192);
	for (i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL(submit(&fx, PNVME_OPC_FLUSH, NULL, 0), 0);
	}
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(&fx.tq.qpair, 0), 0);
	memset(r, 0, sizeof(r));
	for (i = 0; i < 8; i++) {
		peer_read_capsule(&fx, &cap, data);
		r[i].ch.type = TCP_PDU_CAPSULE_RESP;
		r[i].ch.hlen = 24;
		r[i].ch.plen = 24;
		r[i].cpl.cid = cap.cmd.cid;
	}
	peer_write(&fx, r, sizeof(r));
	pnvme_qpair_get_stats(&fx.tq.qpair, &st, sizeof(st));
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(&fx.tq.qpair, 0), 8);
	CU_ASSERT_EQUAL(g_done, 8);
	CU_ASSERT_EQUAL(fx.tq.recv_calls - st.recv_calls, 1);
	CU_ASSERT_EQUAL(pnvme_qpair_process_completions(&fx.tq.qpair, 0), 0);
	CU_ASSERT_EQUAL(fx.tq.recv_calls - st.recv_calls, 2);
	fx_teardown(&fx);
}

/* ---------------------------------------------------------------- */
/* PDUs split and coalesced across reads                             */
/* ---------------------------------------------------------------- */

/* Bytes a controller sends, PDU after PDU, with the fixture's digests. */
struct stream {
	uint8_t b[8192];
	uint32_t len;
};

static void
stream_put(struct stream *s, const void *p, uint32_t len)
{
	CU_ASSERT_FATAL(s->len + len <= sizeof(s->b));
	memcpy(s->b + s->len, p, len);
	s->len += len;
}

static void
stream_pdu(struct stream *s, const struct fixture *fx, void *hdr, uint32_t hlen, const void *data,
	   uint32_t dlen)
{
	struct tcp_common_hdr *ch = hdr;
	uint32_t hd = fx->tq.params.hdgst ? 4 : 0, dd = fx->tq.params.ddgst && dlen ? 4 : 0, d;

	ch->hlen = (uint8_t)hlen;
	ch->pdo = (uint8_t)(dlen ? hlen + hd : 0);
	ch->plen = hlen + hd + dlen + dd;
	ch->flags |= (hd ? TCP_FLAG_HDGST : 0) | (dd ? TCP_FLAG_DDGST : 0);
	stream_put(s, hdr, hlen);
	if (hd) {
		d = crc32c(hdr, hlen);
		stream_put(s, &d, 4);
	}
	if (dlen) {
		stream_put(s, data, dlen);
		if (dd) {
			d = crc32c(data, dlen);
			stream_put(s, &d, 4);
		}
	}
}

static void
stream_c2h(struct stream *s, const struct fixture *fx, uint16_t cid, uint32_t off, const void *data,
	   uint32_t len, uint8_t flags)
{
	struct tcp_data_hdr h;

	memset(&h, 0, sizeof(h));
	h.ch.type = TCP_PDU_C2H_DATA;
	h.ch.flags = flags;
	h.cccid = cid;
	h.datao = off;
	h.datal = len;
	stream_pdu(s, fx, &h, 24, data, len);
}

static void
stream_resp(struct stream *s, const struct fixture *fx, uint16_t cid)
{
	struct tcp_capsule_resp r;

	memset(&r, 0, sizeof(r));
	r.ch.type = TCP_PDU_CAPSULE_RESP;
	r.cpl.cid = cid;
	stream_pdu(s, fx, &r, 24, NULL, 0);
}

/*
 * Three commands answered by five PDUs: a read in two C2HData (the last
 * with SUCCESS), a flush's CapsuleResp, a read in one C2HData and its
 * CapsuleResp. The byte stream is cut at every offset (two reads, a poll
 * between them), fed one byte per poll, and sent whole (one receive call
 * parses all five PDUs). Each time every command completes once, without
 * error, with its data in place.
 */
static void
split_and_coalesce(bool hdgst, bool ddgst)
{
	enum { A_LEN = 100, C_LEN = 3000 };
	struct fixture fx;
	struct tcp_capsule_cmd cap[3];
	struct stream st;
	uint8_t *a = calloc(1, A_LEN), *c = calloc(1, C_LEN), src[C_LEN];
	uint64_t calls;
	uint32_t cut, i;
	int64_t last;

	for (i = 0; i < C_LEN; i++) {
		src[i] = (uint8_t)(i * 13 + 5);
	}
	fx_setup(&fx, hdgst, ddgst, 4096, 0);
	/* cut = stream length + 1: one byte per poll. */
	for (last = -1, cut = 0; (int64_t)cut != last; cut++) {
		g_done = 0;
		g_errors = 0;
		memset(a, 0, A_LEN);
		memset(c, 0, C_LEN);
		CU_ASSERT_EQUAL_FATAL(submit(&fx, PNVME_OPC_READ, a, A_LEN), 0);
		CU_ASSERT_EQUAL_FATAL(submit(&fx, PNVME_OPC_FLUSH, NULL, 0), 0);
		CU_ASSERT_EQUAL_FATAL(submit(&fx, PNVME_OPC_READ, c, C_LEN), 0);
		CU_ASSERT_EQUAL_FATAL(tcp_qpair_process_completions(&fx.tq.qpair, 0), 0);
		for (i = 0; i < 3; i++) {
			peer_read_capsule(&fx, &cap[i], NULL);
		}
		st.len = 0;
		stream_c2h(&st, &fx, cap[0].cmd.cid, 0, src, 60, 0);
		stream_c2h(&st, &fx, cap[0].cmd.cid, 60, src + 60, A_LEN - 60,
			   TCP_FLAG_LAST_PDU | TCP_FLAG_SUCCESS);
		stream_resp(&st, &fx, cap[1].cmd.cid);
		stream_c2h(&st, &fx, cap[2].cmd.cid, 0, src, C_LEN, TCP_FLAG_LAST_PDU);
		stream_resp(&st, &fx, cap[2].cmd.cid);
		last = st.len + 1;
		calls = fx.tq.recv_calls;
		if (cut <= st.len) {
			peer_write(&fx, st.b, cut);
			CU_ASSERT_FATAL(tcp_qpair_process_completions(&fx.tq.qpair, 0) >= 0);
			CU_ASSERT_FATAL(g_done <= 3);
			peer_write(&fx, st.b + cut, st.len - cut);
		} else {
			for (i = 0; i < st.len; i++) {
				peer_write(&fx, st.b + i, 1);
				CU_ASSERT_FATAL(tcp_qpair_process_completions(&fx.tq.qpair, 0) >= 0);
			}
		}
		CU_ASSERT_FATAL(poll_until(&fx, 3) >= 0);
		CU_ASSERT_EQUAL_FATAL(g_done, 3);
		CU_ASSERT_EQUAL_FATAL(g_errors, 0);
		CU_ASSERT_EQUAL_FATAL(memcmp(a, src, A_LEN), 0);
		CU_ASSERT_EQUAL_FATAL(memcmp(c, src, C_LEN), 0);
		if (cut == st.len) {
			/* Sent whole: one receive call took all five PDUs. */
			CU_ASSERT_EQUAL(fx.tq.recv_calls - calls, 1);
		}
	}
	CU_ASSERT_EQUAL(fx.tq.qpair.num_outstanding, 0);
	fx_teardown(&fx);
	free(a);
	free(c);
}

static void
test_pdus_split_and_coalesced(void)
{
	split_and_coalesce(false, false);
	split_and_coalesce(true, false);
	split_and_coalesce(false, true);
	split_and_coalesce(true, true);
}

/* ---------------------------------------------------------------- */
/* Poll groups                                                       */
/* ---------------------------------------------------------------- */

static struct pnvme_qpair *g_disconnected[16];
static int g_num_disconnected;
static bool g_remove_in_callback;

static void
group_disconnected(struct pnvme_qpair *qpair, void *ctx)
{
	struct pnvme_poll_group *group = *(struct pnvme_poll_group **)ctx;

	if (g_num_disconnected < 16) {
		g_disconnected[g_num_disconnected] = qpair;
	}
	g_num_disconnected++;
	if (g_remove_in_callback) {
		CU_ASSERT_EQUAL(pnvme_poll_group_remove(group, qpair), 0);
	}
}

/*
 * 64 idle connections cost one readiness call per group poll and no
 * receive call. Of four busy ones, one controller closes its connection
 * and one sends a response for a command it never got: both qpairs are
 * reported disconnected on every poll (until the callback removes them),
 * their commands complete once with an error, and the others go on.
 */
static void
test_poll_group_idle_and_failing(void)
{
	enum { N = 64 };
	struct fixture *fx = calloc(N, sizeof(*fx));
	struct pnvme_poll_group *group;
	struct pnvme_poll_group_stats gs;
	struct tcp_capsule_cmd cap;
	struct pnvme_qpair_stats qs;
	uint8_t data[16];
	int i;

	CU_ASSERT_FATAL(fx != NULL);
	group = pnvme_poll_group_create(&group);
	CU_ASSERT_FATAL(group != NULL);
	CU_ASSERT_PTR_EQUAL(pnvme_poll_group_get_ctx(group), &group);
	for (i = 0; i < N; i++) {
		fx_setup(&fx[i], false, false, 4096, 8192);
		CU_ASSERT_EQUAL_FATAL(pnvme_poll_group_add(group, &fx[i].tq.qpair), 0);
	}
	CU_ASSERT_EQUAL(pnvme_poll_group_add(group, &fx[0].tq.qpair), -EINVAL);
	CU_ASSERT_EQUAL(pnvme_poll_group_process_completions(group, 0, NULL), -EINVAL);
	g_num_disconnected = 0;
	g_remove_in_callback = false;

	/* Idle. */
	CU_ASSERT_EQUAL(pnvme_poll_group_process_completions(group, 0, group_disconnected), 0);
	CU_ASSERT_EQUAL(pnvme_poll_group_get_stats(group, &gs, sizeof(gs)), 0);
	CU_ASSERT_EQUAL(gs.polls, 1);
	CU_ASSERT_EQUAL(gs.readiness_calls, 1);
	CU_ASSERT_EQUAL(gs.idle_qpair_skips, N);
	for (i = 0; i < N; i++) {
		CU_ASSERT_EQUAL(fx[i].tq.recv_calls, 0);
	}

	/* Four busy; 1 and 3 fail. */
	g_done = 0;
	g_errors = 0;
	for (i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(submit(&fx[i], PNVME_OPC_FLUSH, NULL, 0), 0);
	}
	CU_ASSERT_EQUAL(pnvme_poll_group_process_completions(group, 0, group_disconnected), 0);
	for (i = 0; i < 4; i++) {
		peer_read_capsule(&fx[i], &cap, data);
		if (i == 0 || i == 2) {
			peer_send_resp(&fx[i], cap.cmd.cid, 0);
		} else if (i == 3) {
			peer_send_resp(&fx[i], (uint16_t)(cap.cmd.cid + 1), 0);
		}
	}
	close(fx[1].peer);
	fx[1].peer = -1;
	CU_ASSERT_EQUAL(pnvme_poll_group_process_completions(group, 0, group_disconnected), 2);
	CU_ASSERT_EQUAL(g_done, 4);
	CU_ASSERT_EQUAL(g_errors, 2);
	CU_ASSERT_EQUAL_FATAL(g_num_disconnected, 2);
	CU_ASSERT_PTR_EQUAL(g_disconnected[0], &fx[1].tq.qpair);
	CU_ASSERT_PTR_EQUAL(g_disconnected[1], &fx[3].tq.qpair);
	for (i = 0; i < N; i++) {
		CU_ASSERT_EQUAL(fx[i].tq.recv_calls, i < 4 ? 1u : 0u);
	}
	/* Reported again, and removed by the callback. */
	g_remove_in_callback = true;
	CU_ASSERT_EQUAL(pnvme_poll_group_process_completions(group, 0, group_disconnected), 0);
	CU_ASSERT_EQUAL(g_num_disconnected, 4);
	CU_ASSERT_EQUAL(pnvme_poll_group_remove(group, &fx[1].tq.qpair), -EINVAL);
	CU_ASSERT_EQUAL(pnvme_poll_group_process_completions(group, 0, group_disconnected), 0);
	CU_ASSERT_EQUAL(g_num_disconnected, 4);
	CU_ASSERT_EQUAL(g_done, 4);

	/* The others go on. */
	CU_ASSERT_EQUAL(submit(&fx[2], PNVME_OPC_FLUSH, NULL, 0), 0);
	CU_ASSERT_EQUAL(pnvme_poll_group_process_completions(group, 0, group_disconnected), 0);
	peer_read_capsule(&fx[2], &cap, data);
	peer_send_resp(&fx[2], cap.cmd.cid, 0);
	CU_ASSERT_EQUAL(pnvme_poll_group_process_completions(group, 0, group_disconnected), 1);
	CU_ASSERT_EQUAL(g_done, 5);
	CU_ASSERT_EQUAL(g_errors, 2);
	pnvme_qpair_get_stats(&fx[2].tq.qpair, &qs, sizeof(qs));
	CU_ASSERT_EQUAL(qs.send_calls, 2);

	CU_ASSERT_EQUAL(pnvme_poll_group_destroy(group), -EBUSY);
	for (i = 0; i < N; i++) {
		if (i != 1 && i != 3) {
			CU_ASSERT_EQUAL(pnvme_poll_group_remove(group, &fx[i].tq.qpair), 0);
		}
	}
	CU_ASSERT_EQUAL(pnvme_poll_group_destroy(group), 0);
	for (i = 0; i < N; i++) {
		fx_teardown(&fx[i]);
	}
	free(fx);
}

/* A connection opened while in a group (a reconnect) is watched: its
 * answer is seen through the group's readiness check. */
static void
test_poll_group_watches_new_connection(void)
{
	struct fixture fx;
	struct pnvme_poll_group *group = pnvme_poll_group_create(NULL);
	struct tcp_capsule_cmd cap;
	uint8_t data[16];
	int sv[2];

	CU_ASSERT_FATAL(group != NULL);
	fx_setup(&fx, false, false, 4096, 8192);
	tcp_qpair_close_socket(&fx.tq);
	close(fx.peer);
	CU_ASSERT_EQUAL(pnvme_poll_group_add(group, &fx.tq.qpair), 0);
	CU_ASSERT(!fx.tq.watched);
	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fx.tq.fd = sv[0];
	fx.peer = sv[1];
	tcp_poll_group_watch(&fx.tq);
	CU_ASSERT(fx.tq.watched);
	CU_ASSERT_EQUAL(submit(&fx, PNVME_OPC_FLUSH, NULL, 0), 0);
	CU_ASSERT_EQUAL(pnvme_poll_group_process_completions(group, 0, group_disconnected), 0);
	peer_read_capsule(&fx, &cap, data);
	peer_send_resp(&fx, cap.cmd.cid, 0);
	CU_ASSERT_EQUAL(pnvme_poll_group_process_completions(group, 0, group_disconnected), 1);
	CU_ASSERT_EQUAL(g_done, 1);
	CU_ASSERT_EQUAL(pnvme_poll_group_remove(group, &fx.tq.qpair), 0);
	CU_ASSERT(!fx.tq.watched);
	CU_ASSERT_EQUAL(pnvme_poll_group_destroy(group), 0);
	fx_teardown(&fx);
}

/* A listening socket on the loopback interface; its port in @p trid. */
static int
listen_loopback(struct pnvme_transport_id *trid)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL_FATAL(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CU_ASSERT_EQUAL_FATAL(listen(fd, 1), 0);
	CU_ASSERT_EQUAL_FATAL(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	memset(trid, 0, sizeof(*trid));
	trid->trtype = PNVME_TRANSPORT_TCP;
	trid->adrfam = PNVME_ADRFAM_IPV4;
	snprintf(trid->traddr, sizeof(trid->traddr), "127.0.0.1");
	snprintf(trid->trsvcid, sizeof(trid->trsvcid), "%u", ntohs(sa.sin_port));
	return fd;
}

/* ---------------------------------------------------------------- */
/* Zero-copy send                                                    */
/* ---------------------------------------------------------------- */

/* Submit a write of @p len bytes (no in-capsule data), answer its R2T for
 * all of it, and take the H2CData it brings: header and data. */
static void
zc_write_through_r2t(struct fixture *fx, const uint8_t *src, uint32_t len, uint16_t *cid)
{
	struct tcp_capsule_cmd cap;
	struct tcp_r2t_hdr r2t;
	struct tcp_data_hdr h2c;
	uint8_t *got = malloc(len);

	CU_ASSERT_FATAL(got != NULL);
	CU_ASSERT_EQUAL_FATAL(submit(fx, PNVME_OPC_WRITE, (void *)src, len), 0);
	CU_ASSERT_EQUAL_FATAL(tcp_qpair_process_completions(&fx->tq.qpair, 0), 0);
	peer_read_capsule(fx, &cap, NULL);
	memset(&r2t, 0, sizeof(r2t));
	r2t.ch.type = TCP_PDU_R2T;
	r2t.ch.hlen = 24;
	r2t.ch.plen = 24;
	r2t.cccid = cap.cmd.cid;
	r2t.r2tl = len;
	peer_write(fx, &r2t, sizeof(r2t));
	CU_ASSERT_EQUAL_FATAL(tcp_qpair_process_completions(&fx->tq.qpair, 0), 0);
	peer_read(fx, &h2c, sizeof(h2c));
	CU_ASSERT_EQUAL(h2c.datal, len);
	peer_read(fx, got, len);
	CU_ASSERT_EQUAL(memcmp(got, src, len), 0);
	*cid = cap.cmd.cid;
	free(got);
}

/*
 * A large H2CData goes out zero-copy; the controller's answer is held
 * until the kernel says it no longer reads the buffer, then completes it
 * once. A release note for a send never made changes nothing; a PDU for
 * the held command is refused; a connection that fails completes a held
 * command once, with the answer it had.
 */
static void
test_zero_copy_send_holds_the_answer(void)
{
	enum { LEN = 40 * 1024 };
	struct fixture fx;
	uint8_t *src = malloc(LEN);
	struct pnvme_qpair_stats st;
	uint16_t cid;
	uint32_t i;

	CU_ASSERT_FATAL(src != NULL);
	for (i = 0; i < LEN; i++) {
		src[i] = (uint8_t)(i * 31 + 1);
	}
	fx_setup(&fx, false, false, 128 * 1024, 0);
	/* A socket pair never sends release notes: they are given by hand. */
	fx.tq.zcopy = true;
	zc_write_through_r2t(&fx, src, LEN, &cid);
	pnvme_qpair_get_stats(&fx.tq.qpair, &st, sizeof(st));
	CU_ASSERT_EQUAL(st.zero_copy_sends, 1); /* the H2CData, not the capsule */
	CU_ASSERT_EQUAL(fx.tq.zc_sent, 1);
	peer_send_resp(&fx, cid, 0);
	CU_ASSERT_EQUAL(tcp_qpair_process_completions(&fx.tq.qpair, 0), 0);
	CU_ASSERT_EQUAL(g_done, 0);
	tcp_zcopy_released(&fx.tq, 1, 1); /* never sent: ignored */
	CU_ASSERT_EQUAL(tcp_qpair_process_completions(&fx.tq.qpair, 0), 0);
	CU_ASSERT_EQUAL(g_done, 0);
	tcp_zcopy_released(&fx.tq, 0, 0);
	CU_ASSERT_EQUAL(tcp_qpair_process_completions(&fx.tq.qpair, 0), 1);
	CU_ASSERT_EQUAL(g_done, 1);
	CU_ASSERT_EQUAL(g_errors, 0);

	/* Held, then a second answer for it: a protocol error, and the held
	 * command completes once, with its first answer. */
	zc_write_through_r2t(&fx, src, LEN, &cid);
	peer_send_resp(&fx, cid, 0);
	CU_ASSERT_EQUAL(tcp_qpair_process_completions(&fx.tq.qpair, 0), 0);
	CU_ASSERT_EQUAL(g_done, 1);
	peer_send_resp(&fx, cid, 0);
	CU_ASSERT_EQUAL(tcp_qpair_process_completions(&fx.tq.qpair, 0), -ENXIO);
	CU_ASSERT_EQUAL(g_done, 2);
	CU_ASSERT_EQUAL(g_errors, 0);
	CU_ASSERT_EQUAL(fx.tq.qpair.num_outstanding, 0);
	fx_teardown(&fx);
	free(src);
}

/* Over a real TCP connection on the loopback interface: the kernel's
 * release note arrives, the command completes, and since a peer on the
 * same host made the kernel copy anyway, zero copy turns itself off. */
static void
test_zero_copy_send_over_loopback(void)
{
	enum { LEN = 64 * 1024 };
	struct pnvme_transport_id trid;
	struct fixture fx;
	uint8_t *src = malloc(LEN);
	uint16_t cid;
	int lfd, cfd, i;

	CU_ASSERT_FATAL(src != NULL);
	memset(src, 0x5a, LEN);
	lfd = listen_loopback(&trid);
	cfd = tcp_sock_connect_start(&trid);
	CU_ASSERT_FATAL(cfd >= 0);
	fx_setup(&fx, false, false, 128 * 1024, 0);
	close(fx.tq.fd);
	close(fx.peer);
	fx.peer = accept(lfd, NULL, NULL);
	CU_ASSERT_FATAL(fx.peer >= 0);
	fx.tq.fd = cfd;
	CU_ASSERT_EQUAL_FATAL(tcp_sock_wait(cfd, POLLOUT, 1000), 0);
	tcp_zcopy_enable(&fx.tq);
	CU_ASSERT_FATAL(fx.tq.zcopy);
	zc_write_through_r2t(&fx, src, LEN, &cid);
	CU_ASSERT_EQUAL(fx.tq.zcopy_sends, 1);
	peer_send_resp(&fx, cid, 0);
	for (i = 0; i < 1000 && g_done == 0; i++) {
		CU_ASSERT_FATAL(tcp_qpair_process_completions(&fx.tq.qpair, 0) >= 0);
		usleep(1000);
	}
	CU_ASSERT_EQUAL(g_done, 1);
	CU_ASSERT_EQUAL(g_errors, 0);
	CU_ASSERT_EQUAL(fx.tq.zc_done, 1);
	CU_ASSERT(!fx.tq.zcopy);
	fx_teardown(&fx);
	close(lfd);
	free(src);
}

/* Connection set-up in steps: each poll moves it on without waiting, an
 * ICResp that arrives in pieces is put together, and a peer that never
 * answers makes it fail at its deadline with one line. */
static void
test_open_in_steps(void)
{
	struct pnvme_transport_id trid;
	struct pnvme_ctrlr ctrlr;
	struct tcp_qpair tq;
	struct tcp_ic_req icreq;
	struct tcp_ic_resp icresp;
	int lfd, peer, i, rc = -EAGAIN;

	test_log_capture_start();
	lfd = listen_loopback(&trid);
	memset(&ctrlr, 0, sizeof(ctrlr));
	CU_ASSERT_EQUAL_FATAL(nvme_ctrlr_construct(&ctrlr, &g_nvme_tcp_ops, &trid, NULL), 0);
	memset(&tq, 0, sizeof(tq));
	CU_ASSERT_EQUAL_FATAL(tcp_qpair_construct(&tq, &ctrlr, 0, 8, 8), 0);
	CU_ASSERT_EQUAL(tcp_qpair_open_start(&tq, false, false, 1000), 0);
	peer = accept(lfd, NULL, NULL);
	CU_ASSERT_FATAL(peer >= 0);
	for (i = 0; i < 100 && tq.open_step != TCP_OPEN_ICRESP; i++) {
		CU_ASSERT_EQUAL(tcp_qpair_open_poll(&tq), -EAGAIN);
	}
	CU_ASSERT_EQUAL(read(peer, &icreq, sizeof(icreq)), (ssize_t)sizeof(icreq));
	CU_ASSERT_EQUAL(icreq.ch.type, TCP_PDU_IC_REQ);
	memset(&icresp, 0, sizeof(icresp));
	icresp.ch.type = TCP_PDU_IC_RESP;
	icresp.ch.hlen = TCP_IC_LEN;
	icresp.ch.plen = TCP_IC_LEN;
	icresp.maxh2cdata = 8192;
	/* Half now: still under way. */
	CU_ASSERT_EQUAL(write(peer, &icresp, 64), 64);
	CU_ASSERT_EQUAL(tcp_qpair_open_poll(&tq), -EAGAIN);
	CU_ASSERT_FALSE(tq.ic_done);
	CU_ASSERT_EQUAL(write(peer, (uint8_t *)&icresp + 64, TCP_IC_LEN - 64), TCP_IC_LEN - 64);
	for (i = 0; i < 1000 && rc == -EAGAIN; i++) {
		rc = tcp_qpair_open_poll(&tq);
	}
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT(tq.ic_done);
	CU_ASSERT_EQUAL(tq.params.maxh2cdata, 8192);
	CU_ASSERT_EQUAL(test_log_lines(), 0);
	close(peer);
	close(tq.fd);
	tq.fd = -1;

	/* Connected, ICReq taken, no answer: the deadline ends it. */
	CU_ASSERT_EQUAL(tcp_qpair_open_start(&tq, false, false, 5), 0);
	peer = accept(lfd, NULL, NULL);
	g_test_tick_step = 1000;
	for (rc = -EAGAIN, i = 0; i < 1000 && rc == -EAGAIN; i++) {
		rc = tcp_qpair_open_poll(&tq);
	}
	g_test_tick_step = 1;
	CU_ASSERT_EQUAL(rc, -ETIMEDOUT);
	CU_ASSERT(test_log_contains("qpair 0: no ICResp: timed out"));
	CU_ASSERT_EQUAL(test_log_lines(), 1);
	CU_ASSERT_EQUAL(tq.fd, -1);
	close(peer);
	close(lfd);
	tcp_qpair_destruct(&tq);
	nvme_ctrlr_destruct_common(&ctrlr);
	pnvme_log_set_handler(NULL);
}

/* CAP.MQES 0xffff allows 65536 entries: command IDs 0-65535, no wrap. */
static void
test_queue_of_65536_entries(void)
{
	struct pnvme_transport_id trid = {.trtype = PNVME_TRANSPORT_TCP, .traddr = "peer"};
	struct pnvme_ctrlr ctrlr;
	struct tcp_qpair tq;

	memset(&tq, 0, sizeof(tq));
	CU_ASSERT_EQUAL_FATAL(nvme_ctrlr_construct(&ctrlr, &g_nvme_tcp_ops, &trid, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(tcp_qpair_construct(&tq, &ctrlr, 1, 65536, 4), 0);
	CU_ASSERT_EQUAL(tq.num_entries, 65536);
	CU_ASSERT_EQUAL(tq.num_free, 65536);
	CU_ASSERT_EQUAL(tq.reqs[65535].cid, 65535);
	CU_ASSERT_EQUAL(tq.free_cids[tq.num_free - 1], 0);
	tcp_qpair_destruct(&tq);
	memset(&tq, 0, sizeof(tq));
	CU_ASSERT_EQUAL(tcp_qpair_construct(&tq, &ctrlr, 1, 65537, 4), -EINVAL);
	nvme_ctrlr_destruct_common(&ctrlr);
}

/* ---------------------------------------------------------------- */
/* Discovery log                                                     */
/* ---------------------------------------------------------------- */

struct fake_log {
	uint8_t *log;      /* header + entries */
	size_t size;
	int header_reads;
	int bump_on_read;  /* header read after which genctr changes (0: never) */
	bool always_bump;
};

static int
fake_read(void *ctx, uint64_t offset, void *buf, uint32_t len)
{
	struct fake_log *f = ctx;
	struct pnvme_discovery_log_header *h = (void *)f->log;

	if (offset + len > f->size) {
		return -EINVAL;
	}
	if (offset == 0) {
		f->header_reads++;
		if (f->always_bump || f->header_reads == f->bump_on_read) {
			h->genctr++; /* someone changed the log since the last read */
		}
	}
	memcpy(buf, f->log + offset, len);
	return 0;
}

static void
put_entry(struct pnvme_discovery_log_entry *e, uint8_t trtype, uint8_t subtype, const char *addr,
	  const char *port, const char *nqn)
{
	memset(e, 0, sizeof(*e));
	e->trtype = trtype;
	e->adrfam = PNVME_ADRFAM_IPV4;
	e->subtype = subtype;
	memcpy(e->traddr, addr, strlen(addr));
	/* Ports padded with spaces, as some targets do. */
	memset(e->trsvcid, ' ', sizeof(e->trsvcid));
	memcpy(e->trsvcid, port, strlen(port));
	memcpy(e->subnqn, nqn, strlen(nqn));
}

static void
test_discovery_log(void)
{
	struct fake_log f = {0};
	struct pnvme_discovery_log_header *h;
	struct pnvme_discovery_log_entry *e, *got = NULL;
	struct pnvme_transport_id trid;
	uint32_t num = 0;
	uint64_t gen = 0;

	f.size = 1024 * 4;
	f.log = calloc(1, f.size);
	h = (void *)f.log;
	e = (void *)(f.log + 1024);
	h->genctr = 7;
	h->numrec = 3;
	put_entry(&e[0], PNVME_DISC_TRTYPE_TCP, PNVME_DISC_SUBTYPE_CURRENT, "10.0.2.15", "4420",
		  PNVME_DISCOVERY_NQN);
	put_entry(&e[1], PNVME_DISC_TRTYPE_TCP, PNVME_DISC_SUBTYPE_NVM, "10.0.2.15", "4420",
		  "nqn.2026-11.io.pnvme:a");
	put_entry(&e[2], PNVME_DISC_TRTYPE_RDMA, PNVME_DISC_SUBTYPE_NVM, "10.0.2.16", "4421",
		  "nqn.2026-11.io.pnvme:b");

	/* Read in 1-entry pieces; stable log: header, 3 pieces, header. */
	CU_ASSERT_EQUAL(nvme_discovery_log_read(fake_read, &f, 1024, &got, &num, &gen), 0);
	CU_ASSERT_EQUAL(num, 3);
	CU_ASSERT_EQUAL(gen, 7);
	CU_ASSERT_EQUAL(f.header_reads, 2);
	CU_ASSERT_EQUAL(memcmp(got, e, 3 * 1024), 0);
	CU_ASSERT_EQUAL(nvme_discovery_entry_to_trid(&got[1], &trid), 0);
	CU_ASSERT_EQUAL(trid.trtype, PNVME_TRANSPORT_TCP);
	CU_ASSERT_STRING_EQUAL(trid.traddr, "10.0.2.15");
	CU_ASSERT_STRING_EQUAL(trid.trsvcid, "4420");
	CU_ASSERT_STRING_EQUAL(trid.subnqn, "nqn.2026-11.io.pnvme:a");
	CU_ASSERT_EQUAL(nvme_discovery_entry_to_trid(&got[2], &trid), 0);
	CU_ASSERT_EQUAL(trid.trtype, PNVME_TRANSPORT_RDMA);
	free(got);

	/* The log changes while it is read: read again, whole. */
	f.header_reads = 0;
	f.bump_on_read = 2;
	CU_ASSERT_EQUAL(nvme_discovery_log_read(fake_read, &f, 4096, &got, &num, &gen), 0);
	CU_ASSERT_EQUAL(f.header_reads, 4);
	CU_ASSERT_EQUAL(gen, 8);
	free(got);

	/* It never settles: give up with -EAGAIN and a line. */
	test_log_capture_start();
	f.always_bump = true;
	CU_ASSERT_EQUAL(nvme_discovery_log_read(fake_read, &f, 4096, &got, &num, &gen), -EAGAIN);
	CU_ASSERT(test_log_contains("still changing"));
	f.always_bump = false;

	/* Untrusted counts and entries. */
	h->numrec = 1u << 20;
	CU_ASSERT_EQUAL(nvme_discovery_log_read(fake_read, &f, 4096, &got, &num, &gen), -E2BIG);
	h->numrec = 3;
	e[1].trtype = 2; /* Fibre Channel */
	CU_ASSERT_EQUAL(nvme_discovery_entry_to_trid(&e[1], &trid), -ENOTSUP);
	e[1].trtype = PNVME_DISC_TRTYPE_TCP;
	memset(e[1].subnqn, 'x', sizeof(e[1].subnqn)); /* no terminator, too long */
	CU_ASSERT_EQUAL(nvme_discovery_entry_to_trid(&e[1], &trid), -EINVAL);
	memcpy(e[1].subnqn, "nqn.x", 6);
	memset(e[1].traddr, 0, sizeof(e[1].traddr));
	CU_ASSERT_EQUAL(nvme_discovery_entry_to_trid(&e[1], &trid), -EINVAL);
	/* A terminal escape sequence in a string field. */
	memcpy(e[1].traddr, "10.0.2.15", 10);
	CU_ASSERT_EQUAL(nvme_discovery_entry_to_trid(&e[1], &trid), 0);
	memcpy(e[1].subnqn, "nqn.\x1b[2J", 9);
	CU_ASSERT_EQUAL(nvme_discovery_entry_to_trid(&e[1], &trid), -EINVAL);
	CU_ASSERT(test_log_contains("unprintable"));
	pnvme_log_set_handler(NULL);
	free(f.log);
}

int
main(void)
{
	static const struct ut_test tests[] = {
		{"crc32c_known_answers", test_crc32c_known_answers},
		{"pdu_header_checks", test_pdu_header_checks},
		{"ic_resp_checks", test_ic_resp_checks},
		{"read_with_success_flag", test_read_with_success_flag},
		{"write_in_capsule_and_r2t", test_write_in_capsule_and_r2t},
		{"malformed_pdus", test_malformed_pdus},
		{"pdu_for_unsent_capsule", test_pdu_for_unsent_capsule},
		{"write_success_without_data", test_write_success_without_data},
		{"fused_pair_waits_for_two_ids", test_fused_pair_waits_for_two_ids},
		{"connect_timeout", test_connect_timeout},
		{"connect_reserved_cntlid", test_connect_reserved_cntlid},
		{"one_receive_call_per_poll", test_one_receive_call_per_poll},
		{"pdus_split_and_coalesced", test_pdus_split_and_coalesced},
		{"poll_group_idle_and_failing", test_poll_group_idle_and_failing},
		{"poll_group_watches_new_connection", test_poll_group_watches_new_connection},
		{"zero_copy_send_holds_the_answer", test_zero_copy_send_holds_the_answer},
		{"zero_copy_send_over_loopback", test_zero_copy_send_over_loopback},
		{"open_in_steps", test_open_in_steps},
		{"queue_of_65536_entries", test_queue_of_65536_entries},
		{"discovery_log", test_discovery_log},
		{NULL, NULL},
	};

	return ut_run("tcp", tests);
}
