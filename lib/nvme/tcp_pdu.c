/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe/TCP PDU header checks and builders. Everything the controller sends
 * is untrusted: these checks run before any length or offset is used.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nvme/crc32c.h"
#include "nvme/tcp_pdu.h"

/* Describe the problem in @p why; return the fatal error status. */
static int bad(char *why, size_t why_len, int fes, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
bad(char *why, size_t why_len, int fes, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
	return fes;
}

static const char *
type_name(uint8_t type)
{
	switch (type) {
	case TCP_PDU_IC_REQ:
		return "ICReq";
	case TCP_PDU_IC_RESP:
		return "ICResp";
	case TCP_PDU_H2C_TERM_REQ:
		return "H2CTermReq";
	case TCP_PDU_C2H_TERM_REQ:
		return "C2HTermReq";
	case TCP_PDU_CAPSULE_CMD:
		return "CapsuleCmd";
	case TCP_PDU_CAPSULE_RESP:
		return "CapsuleResp";
	case TCP_PDU_H2C_DATA:
		return "H2CData";
	case TCP_PDU_C2H_DATA:
		return "C2HData";
	case TCP_PDU_R2T:
		return "R2T";
	default:
		return "unknown";
	}
}

int
tcp_pdu_check_common(const struct tcp_common_hdr *ch, const struct tcp_conn_params *params,
		     bool ic_done, uint32_t *hdr_rest, char *why, size_t why_len)
{
	uint32_t hlen, hd;

	if (!ic_done) {
		if (ch->type != TCP_PDU_IC_RESP) {
			return bad(why, why_len, TCP_FES_PDU_SEQUENCE_ERROR,
				   "PDU type 0x%02x (%s) before ICResp", ch->type,
				   type_name(ch->type));
		}
		if (ch->hlen != TCP_IC_LEN || ch->plen != TCP_IC_LEN || ch->pdo != 0) {
			return bad(why, why_len, TCP_FES_INVALID_HEADER_FIELD,
				   "ICResp with HLEN %u, PDO %u, PLEN %u (want 128, 0, 128)",
				   ch->hlen, ch->pdo, ch->plen);
		}
		*hdr_rest = TCP_IC_LEN - sizeof(*ch);
		return 0;
	}

	switch (ch->type) {
	case TCP_PDU_CAPSULE_RESP:
		hlen = TCP_CAPSULE_RESP_HLEN;
		break;
	case TCP_PDU_C2H_DATA:
		hlen = TCP_DATA_HLEN;
		break;
	case TCP_PDU_R2T:
		hlen = TCP_R2T_HLEN;
		break;
	case TCP_PDU_C2H_TERM_REQ:
		if (ch->hlen != TCP_TERM_HLEN || ch->pdo != 0 || ch->plen < TCP_TERM_HLEN ||
		    ch->plen > TCP_TERM_MAX_PLEN) {
			return bad(why, why_len, TCP_FES_INVALID_HEADER_FIELD,
				   "C2HTermReq with HLEN %u, PDO %u, PLEN %u", ch->hlen, ch->pdo,
				   ch->plen);
		}
		/* No digests on termination requests. */
		*hdr_rest = TCP_TERM_HLEN - sizeof(*ch);
		return 0;
	case TCP_PDU_IC_RESP:
		return bad(why, why_len, TCP_FES_PDU_SEQUENCE_ERROR,
			   "a second ICResp after the connection was set up");
	default:
		return bad(why, why_len, TCP_FES_INVALID_HEADER_FIELD,
			   "PDU type 0x%02x (%s) is not one a controller sends to a host", ch->type,
			   type_name(ch->type));
	}
	if (ch->hlen != hlen) {
		return bad(why, why_len, TCP_FES_INVALID_HEADER_FIELD, "%s with HLEN %u (want %u)",
			   type_name(ch->type), ch->hlen, hlen);
	}
	if (!!(ch->flags & TCP_FLAG_HDGST) != params->hdgst) {
		return bad(why, why_len, TCP_FES_INVALID_HEADER_FIELD,
			   "%s header digest flag %s, but digests were negotiated %s",
			   type_name(ch->type), (ch->flags & TCP_FLAG_HDGST) ? "set" : "clear",
			   params->hdgst ? "on" : "off");
	}
	hd = params->hdgst ? TCP_DIGEST_LEN : 0;
	if (ch->type == TCP_PDU_C2H_DATA) {
		/* The host asked for no alignment (HPDA 0): data follows the header. */
		if (ch->pdo != hlen + hd) {
			return bad(why, why_len, TCP_FES_INVALID_HEADER_FIELD,
				   "C2HData with PDO %u (want %u)", ch->pdo, hlen + hd);
		}
		if (!!(ch->flags & TCP_FLAG_DDGST) != params->ddgst) {
			return bad(why, why_len, TCP_FES_INVALID_HEADER_FIELD,
				   "C2HData data digest flag %s, but digests were negotiated %s",
				   (ch->flags & TCP_FLAG_DDGST) ? "set" : "clear",
				   params->ddgst ? "on" : "off");
		}
		if (ch->plen <= (uint32_t)ch->pdo + (params->ddgst ? TCP_DIGEST_LEN : 0)) {
			return bad(why, why_len, TCP_FES_INVALID_HEADER_FIELD,
				   "C2HData with PLEN %u carries no data", ch->plen);
		}
		if ((ch->flags & TCP_FLAG_SUCCESS) && !(ch->flags & TCP_FLAG_LAST_PDU)) {
			return bad(why, why_len, TCP_FES_INVALID_HEADER_FIELD,
				   "C2HData with SUCCESS but not LAST_PDU");
		}
	} else {
		if (ch->pdo != 0 || ch->plen != hlen + hd || (ch->flags & TCP_FLAG_DDGST)) {
			return bad(why, why_len, TCP_FES_INVALID_HEADER_FIELD,
				   "%s with PDO %u, PLEN %u, flags 0x%02x (want 0, %u, no data "
				   "digest)",
				   type_name(ch->type), ch->pdo, ch->plen, ch->flags, hlen + hd);
		}
	}
	*hdr_rest = hlen + hd - (uint32_t)sizeof(*ch);
	return 0;
}

bool
tcp_pdu_hdgst_ok(const struct tcp_common_hdr *ch)
{
	uint32_t want, got;

	want = crc32c(ch, ch->hlen);
	memcpy(&got, (const uint8_t *)ch + ch->hlen, sizeof(got));
	return want == got;
}

void
tcp_pdu_set_hdgst(struct tcp_common_hdr *ch)
{
	uint32_t crc = crc32c(ch, ch->hlen);

	memcpy((uint8_t *)ch + ch->hlen, &crc, sizeof(crc));
}

void
tcp_pdu_build_ic_req(struct tcp_ic_req *req, bool hdgst, bool ddgst)
{
	memset(req, 0, sizeof(*req));
	req->ch.type = TCP_PDU_IC_REQ;
	req->ch.hlen = TCP_IC_LEN;
	req->ch.plen = TCP_IC_LEN;
	req->pfv = 0;
	req->hpda = 0;   /* no data alignment wanted */
	req->maxr2t = 0; /* one R2T outstanding per command (0's based) */
	req->digest = (uint8_t)((hdgst ? 1u : 0u) | (ddgst ? 2u : 0u));
}

int
tcp_pdu_check_ic_resp(const struct tcp_ic_resp *resp, bool want_hdgst, bool want_ddgst,
		      struct tcp_conn_params *params, char *why, size_t why_len)
{
	if (resp->pfv != 0) {
		snprintf(why, why_len, "ICResp PFV %u (only 0 is known)", resp->pfv);
		return -EPROTO;
	}
	if (resp->cpda != 0) {
		/* Padding the host's data is not implemented, and no known
		 * controller asks for it. */
		snprintf(why, why_len, "ICResp CPDA %u (only 0 is supported)", resp->cpda);
		return -EPROTO;
	}
	if (!!(resp->digest & 1) != want_hdgst || !!(resp->digest & 2) != want_ddgst) {
		snprintf(why, why_len, "ICResp digests 0x%x differ from the 0x%x asked for",
			 resp->digest, (want_hdgst ? 1u : 0u) | (want_ddgst ? 2u : 0u));
		return -EPROTO;
	}
	if (resp->maxh2cdata < TCP_MIN_MAXH2CDATA || (resp->maxh2cdata & 3) != 0) {
		snprintf(why, why_len, "ICResp MAXH2CDATA %u (want a multiple of 4, at least %u)",
			 resp->maxh2cdata, TCP_MIN_MAXH2CDATA);
		return -EPROTO;
	}
	params->hdgst = want_hdgst;
	params->ddgst = want_ddgst;
	params->maxh2cdata = resp->maxh2cdata;
	return 0;
}
