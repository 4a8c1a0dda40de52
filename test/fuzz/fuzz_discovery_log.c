/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Discovery log reading and entry decoding. The input gives a read size,
 * up to four versions of the log (raw bytes, header and entries), and then
 * one event per read: serve it, switch to the next version first, bump the
 * generation counter first, or fail the read. So the log may change between
 * (and during) reads, as a live discovery service's does.
 *
 * Every entry returned is read whole (the sanitizer checks its size) and
 * decoded; a decoded transport ID must be well formed, must format, and
 * when the formatted string parses it must name the same transport ID.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "fuzz_input.h"
#include "nvme/fabrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_VERSIONS 4
/* Header and seven entries: enough for every path, small enough to fuzz. */
#define LOG_SIZE (8u * 1024)

struct log_versions {
	struct fuzz_input *in; /* the event stream */
	uint8_t logs[MAX_VERSIONS][LOG_SIZE];
	uint32_t num;
	uint32_t cur;
	uint32_t reads;
};

static struct log_versions g_versions;
/* Where entry bytes are summed, so reading them is not optimised away. */
static volatile uint8_t g_sink;

static int
read_log(void *ctx, uint64_t offset, void *buf, uint32_t len)
{
	struct log_versions *v = ctx;
	struct pnvme_discovery_log_header *hdr = (void *)v->logs[v->cur];
	uint8_t event = fuzz_u8(v->in);

	v->reads++;
	FUZZ_CHECK(v->reads < 100000, "the discovery log is read without end");
	FUZZ_CHECK(len > 0, "a read of 0 bytes at offset %llu", (unsigned long long)offset);
	switch (event % 8) {
	case 5:
		v->cur = (v->cur + 1) % v->num;
		hdr = (void *)v->logs[v->cur];
		break;
	case 6:
		hdr->genctr++;
		break;
	case 7:
		return -EIO;
	default:
		break;
	}
	if (offset > LOG_SIZE || len > LOG_SIZE - offset) {
		return -EINVAL; /* past the end of the log page */
	}
	memcpy(buf, v->logs[v->cur] + offset, len);
	return 0;
}

static void
check_trid(const struct pnvme_transport_id *trid)
{
	struct pnvme_transport_id again;
	char str[2048];

	FUZZ_CHECK(trid->trtype == PNVME_TRANSPORT_TCP || trid->trtype == PNVME_TRANSPORT_RDMA,
		   "entry decoded to transport type %d", trid->trtype);
	FUZZ_CHECK(trid->adrfam == PNVME_ADRFAM_IPV4 || trid->adrfam == PNVME_ADRFAM_IPV6,
		   "entry decoded to address family %d", trid->adrfam);
	FUZZ_CHECK(strnlen(trid->traddr, sizeof(trid->traddr)) < sizeof(trid->traddr) &&
			   trid->traddr[0] != '\0',
		   "traddr empty or unterminated");
	FUZZ_CHECK(strnlen(trid->trsvcid, sizeof(trid->trsvcid)) < sizeof(trid->trsvcid) &&
			   trid->trsvcid[0] != '\0',
		   "trsvcid empty or unterminated");
	FUZZ_CHECK(strnlen(trid->subnqn, sizeof(trid->subnqn)) < sizeof(trid->subnqn) &&
			   trid->subnqn[0] != '\0',
		   "subnqn empty or unterminated");
	FUZZ_CHECK(pnvme_transport_id_fmt(str, sizeof(str), trid) == 0,
		   "a decoded transport ID does not format");
	/* Fields with spaces or bad ports do not parse back; those that do
	 * must not turn into another controller's address. */
	if (pnvme_transport_id_parse(&again, str) == 0) {
		FUZZ_CHECK(pnvme_transport_id_compare(trid, &again) == 0,
			   "'%s' parses back as another transport ID", str);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct log_versions *v = &g_versions;
	struct pnvme_discovery_log_entry *entries = NULL;
	struct pnvme_transport_id trid;
	struct fuzz_input in;
	uint32_t chunk, num = 0, i, len;
	uint64_t genctr = 0;
	uint8_t sum = 0;
	size_t j;
	int rc;

	fuzz_input_init(&in, data, size);
	chunk = fuzz_u16(&in);
	v->in = &in;
	v->num = fuzz_range(&in, 1, MAX_VERSIONS);
	v->cur = 0;
	v->reads = 0;
	for (i = 0; i < v->num; i++) {
		len = fuzz_range(&in, 0, LOG_SIZE);
		fuzz_bytes(&in, v->logs[i], len);
		memset(v->logs[i] + len, 0, LOG_SIZE - len);
	}

	rc = nvme_discovery_log_read(read_log, v, chunk, &entries, &num, &genctr);
	if (rc != 0) {
		FUZZ_CHECK(rc < 0, "log read returned %d", rc);
		return 0;
	}
	FUZZ_CHECK(num <= NVME_DISCOVERY_MAX_ENTRIES, "%u entries returned", num);
	FUZZ_CHECK(entries != NULL, "success without an entry array");
	for (i = 0; i < num; i++) {
		const uint8_t *e = (const uint8_t *)&entries[i];

		for (j = 0; j < sizeof(entries[i]); j++) {
			sum ^= e[j];
		}
		memset(&trid, 0x5a, sizeof(trid));
		rc = nvme_discovery_entry_to_trid(&entries[i], &trid);
		if (rc == 0) {
			check_trid(&trid);
		} else {
			FUZZ_CHECK(rc == -ENOTSUP || rc == -EINVAL, "entry decoding returned %d", rc);
		}
	}
	g_sink = sum;
	free(entries);
	return 0;
}
