/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe/TCP PDU formats and the checks every received PDU header passes
 * before any field of it is used.
 */
#ifndef PNVME_TCP_PDU_H
#define PNVME_TCP_PDU_H

#include <stdbool.h>
#include <stdint.h>

#include "pnvme/nvme_spec.h"

enum tcp_pdu_type {
	TCP_PDU_IC_REQ = 0x00,
	TCP_PDU_IC_RESP = 0x01,
	TCP_PDU_H2C_TERM_REQ = 0x02,
	TCP_PDU_C2H_TERM_REQ = 0x03,
	TCP_PDU_CAPSULE_CMD = 0x04,
	TCP_PDU_CAPSULE_RESP = 0x05,
	TCP_PDU_H2C_DATA = 0x06,
	TCP_PDU_C2H_DATA = 0x07,
	TCP_PDU_R2T = 0x09,
};

#define TCP_FLAG_HDGST (1u << 0)
#define TCP_FLAG_DDGST (1u << 1)
#define TCP_FLAG_LAST_PDU (1u << 2)
#define TCP_FLAG_SUCCESS (1u << 3)

#define TCP_DIGEST_LEN 4u
#define TCP_IC_LEN 128u
#define TCP_CAPSULE_CMD_HLEN 72u
#define TCP_CAPSULE_RESP_HLEN 24u
#define TCP_DATA_HLEN 24u
#define TCP_R2T_HLEN 24u
#define TCP_TERM_HLEN 24u
#define TCP_TERM_MAX_PLEN 152u
/* Largest header any PDU the host receives may have (ICResp), plus a digest. */
#define TCP_MAX_RECV_HDR (TCP_IC_LEN + TCP_DIGEST_LEN)
/* In-capsule data limit on the admin queue and for fabrics commands. */
#define TCP_ADMIN_ICD_MAX 8192u
/* MAXH2CDATA below this is not allowed. */
#define TCP_MIN_MAXH2CDATA 4096u

/* Fatal error status of a termination request. */
enum tcp_term_fes {
	TCP_FES_INVALID_HEADER_FIELD = 1,
	TCP_FES_PDU_SEQUENCE_ERROR = 2,
	TCP_FES_HDGST_ERROR = 3,
	TCP_FES_DATA_OUT_OF_RANGE = 4,
	TCP_FES_DATA_LIMIT_EXCEEDED = 5,
	TCP_FES_UNSUPPORTED_PARAMETER = 6,
};

struct tcp_common_hdr {
	uint8_t type;
	uint8_t flags;
	uint8_t hlen;
	uint8_t pdo;
	uint32_t plen;
};
_Static_assert(sizeof(struct tcp_common_hdr) == 8, "common header");

struct tcp_ic_req {
	struct tcp_common_hdr ch;
	uint16_t pfv;
	uint8_t hpda;
	uint8_t digest; /* bit 0 header, bit 1 data */
	uint32_t maxr2t;
	uint8_t rsvd16[112];
};
_Static_assert(sizeof(struct tcp_ic_req) == TCP_IC_LEN, "ICReq");

struct tcp_ic_resp {
	struct tcp_common_hdr ch;
	uint16_t pfv;
	uint8_t cpda;
	uint8_t digest;
	uint32_t maxh2cdata;
	uint8_t rsvd16[112];
};
_Static_assert(sizeof(struct tcp_ic_resp) == TCP_IC_LEN, "ICResp");

struct tcp_capsule_cmd {
	struct tcp_common_hdr ch;
	struct pnvme_cmd cmd;
};
_Static_assert(sizeof(struct tcp_capsule_cmd) == TCP_CAPSULE_CMD_HLEN, "CapsuleCmd");

struct tcp_capsule_resp {
	struct tcp_common_hdr ch;
	struct pnvme_cpl cpl;
};
_Static_assert(sizeof(struct tcp_capsule_resp) == TCP_CAPSULE_RESP_HLEN, "CapsuleResp");

/* H2CData and C2HData. */
struct tcp_data_hdr {
	struct tcp_common_hdr ch;
	uint16_t cccid;
	uint16_t ttag;
	uint32_t datao;
	uint32_t datal;
	uint32_t rsvd20;
};
_Static_assert(sizeof(struct tcp_data_hdr) == TCP_DATA_HLEN, "data PDU");

struct tcp_r2t_hdr {
	struct tcp_common_hdr ch;
	uint16_t cccid;
	uint16_t ttag;
	uint32_t r2to;
	uint32_t r2tl;
	uint32_t rsvd20;
};
_Static_assert(sizeof(struct tcp_r2t_hdr) == TCP_R2T_HLEN, "R2T");

struct tcp_term_hdr {
	struct tcp_common_hdr ch;
	uint16_t fes;
	uint16_t feil; /* field error information, bytes 10-13 */
	uint16_t feiu;
	uint8_t rsvd14[10];
};
_Static_assert(sizeof(struct tcp_term_hdr) == TCP_TERM_HLEN, "TermReq");

/* What a connection negotiated (ICReq/ICResp). */
struct tcp_conn_params {
	bool hdgst;
	bool ddgst;
	uint32_t maxh2cdata;
};

/*
 * Check a received common header against the connection's state: the type
 * is one the host may receive now, HLEN is that type's, the digest flags
 * match what was negotiated, PDO and PLEN agree with HLEN. On success
 * returns 0 and sets *hdr_rest to the bytes of header (and header digest)
 * that follow the common header. Otherwise returns the fatal error status
 * and writes a description to @p why.
 */
int tcp_pdu_check_common(const struct tcp_common_hdr *ch, const struct tcp_conn_params *params,
			 bool ic_done, uint32_t *hdr_rest, char *why, size_t why_len);

/* Verify the header digest that follows the header of @p ch. */
bool tcp_pdu_hdgst_ok(const struct tcp_common_hdr *ch);
/* Write the header digest after the header of @p ch (hlen bytes long). */
void tcp_pdu_set_hdgst(struct tcp_common_hdr *ch);

/* Check an ICResp (from the whole 128 bytes) and fill @p params. 0 or -EPROTO. */
int tcp_pdu_check_ic_resp(const struct tcp_ic_resp *resp, bool want_hdgst, bool want_ddgst,
			  struct tcp_conn_params *params, char *why, size_t why_len);
void tcp_pdu_build_ic_req(struct tcp_ic_req *req, bool hdgst, bool ddgst);

#endif
