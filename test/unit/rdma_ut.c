/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVMe over RDMA without verbs: capsule descriptors (in-capsule data, one
 * keyed block, a Last Segment list, the MSDBD and 2^24 limits), completion
 * order (response before the SEND's completion and the reverse: complete
 * only with both), and work completions that must be refused or only
 * accounted (unknown IDs, work never posted, flushes, short responses,
 * responses for commands not outstanding or never sent, duplicates); the
 * memory map (keys of a range, ranges across or outside regions, updates
 * while another thread looks up).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "nvme/rdma_cmd.h"
#include "nvme/rdma_mem_map.h"
#include "ut.h"

static uint32_t
keyed_len(const struct pnvme_sgl_keyed_descriptor *d)
{
	return d->length[0] | (uint32_t)d->length[1] << 8 | (uint32_t)d->length[2] << 16;
}

static uint32_t
keyed_key(const struct pnvme_sgl_keyed_descriptor *d)
{
	return d->key[0] | (uint32_t)d->key[1] << 8 | (uint32_t)d->key[2] << 16 |
	       (uint32_t)d->key[3] << 24;
}

static void
test_capsule_descriptors(void)
{
	struct rdma_remote_piece p[17];
	struct pnvme_sgl_keyed_descriptor k;
	struct rdma_capsule cap;
	char why[128];
	uint32_t i;

	for (i = 0; i < 17; i++) {
		p[i].addr = 0x100000ull * (i + 1);
		p[i].len = 4096 * (i + 1);
		p[i].rkey = 0xa0b0c000u + i;
	}
	/* In-capsule write data: a Data Block at offset 0 of the capsule. */
	memset(&cap, 0xff, sizeof(cap));
	CU_ASSERT_EQUAL(rdma_capsule_set_data(&cap, NULL, 0, 16, 4096, why, sizeof(why)), 64);
	CU_ASSERT_EQUAL(cap.sqe.psdt, PNVME_PSDT_SGL_MPTR_CONTIG);
	CU_ASSERT_EQUAL(cap.sqe.dptr.sgl1.type, PNVME_SGL_TYPE_DATA_BLOCK);
	CU_ASSERT_EQUAL(cap.sqe.dptr.sgl1.subtype, PNVME_SGL_SUBTYPE_OFFSET);
	CU_ASSERT_EQUAL(cap.sqe.dptr.sgl1.address, 0);
	CU_ASSERT_EQUAL(cap.sqe.dptr.sgl1.length, 4096);
	/* One piece: a Keyed Data Block in the SQE, fields in place. */
	CU_ASSERT_EQUAL(rdma_capsule_set_data(&cap, p, 1, 16, 0, why, sizeof(why)), 64);
	memcpy(&k, &cap.sqe.dptr.sgl1, sizeof(k));
	CU_ASSERT_EQUAL(k.type, PNVME_SGL_TYPE_KEYED_DATA_BLOCK);
	CU_ASSERT_EQUAL(k.subtype, PNVME_SGL_SUBTYPE_ADDRESS);
	CU_ASSERT_EQUAL(k.address, 0x100000ull);
	CU_ASSERT_EQUAL(keyed_len(&k), 4096);
	CU_ASSERT_EQUAL(keyed_key(&k), 0xa0b0c000u);
	CU_ASSERT_EQUAL(((const uint8_t *)&cap.sqe.dptr.sgl1)[15], 0x40);
	/* No data: a zero Keyed Data Block. */
	CU_ASSERT_EQUAL(rdma_capsule_set_data(&cap, NULL, 0, 16, 0, why, sizeof(why)), 64);
	memcpy(&k, &cap.sqe.dptr.sgl1, sizeof(k));
	CU_ASSERT_EQUAL(k.type, PNVME_SGL_TYPE_KEYED_DATA_BLOCK);
	CU_ASSERT_EQUAL(keyed_len(&k) | keyed_key(&k) | (uint32_t)k.address, 0);
	/* Several: a Last Segment at offset 0 listing a keyed block each. */
	CU_ASSERT_EQUAL(rdma_capsule_set_data(&cap, p, 3, 16, 0, why, sizeof(why)), 64 + 48);
	CU_ASSERT_EQUAL(cap.sqe.dptr.sgl1.type, PNVME_SGL_TYPE_LAST_SEGMENT);
	CU_ASSERT_EQUAL(cap.sqe.dptr.sgl1.subtype, PNVME_SGL_SUBTYPE_OFFSET);
	CU_ASSERT_EQUAL(cap.sqe.dptr.sgl1.address, 0);
	CU_ASSERT_EQUAL(cap.sqe.dptr.sgl1.length, 48);
	for (i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(cap.descs[i].type, PNVME_SGL_TYPE_KEYED_DATA_BLOCK);
		CU_ASSERT_EQUAL(cap.descs[i].address, p[i].addr);
		CU_ASSERT_EQUAL(keyed_len(&cap.descs[i]), p[i].len);
		CU_ASSERT_EQUAL(keyed_key(&cap.descs[i]), p[i].rkey);
	}
	/* The whole list follows the SQE in one buffer. */
	CU_ASSERT_EQUAL((const uint8_t *)&cap.descs[0] - (const uint8_t *)&cap, 64);
	/* Limits: the controller's MSDBD, the capsule's room, 24-bit lengths. */
	CU_ASSERT_EQUAL(rdma_capsule_set_data(&cap, p, 4, 3, 0, why, sizeof(why)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "more than the 3"));
	CU_ASSERT_EQUAL(rdma_capsule_set_data(&cap, p, 17, 64, 0, why, sizeof(why)), -EINVAL);
	CU_ASSERT_EQUAL(rdma_capsule_set_data(&cap, p, 16, 64, 0, why, sizeof(why)), 64 + 256);
	p[1].len = 1u << 24;
	CU_ASSERT_EQUAL(rdma_capsule_set_data(&cap, p, 2, 16, 0, why, sizeof(why)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "piece 1"));
	p[1].len = (1u << 24) - 1;
	CU_ASSERT_EQUAL(rdma_capsule_set_data(&cap, p, 2, 16, 0, why, sizeof(why)), 64 + 32);
	p[1].len = 0;
	CU_ASSERT_EQUAL(rdma_capsule_set_data(&cap, p, 2, 16, 0, why, sizeof(why)), -EINVAL);
}

/* Receive buffers of the tests: 4 of 32 bytes. */
#define RSP_SIZE 32u
static uint8_t g_rsp[4 * RSP_SIZE];

static void
put_response(uint32_t slot, uint16_t cid, uint8_t sc)
{
	struct pnvme_cpl cpl;

	memset(&cpl, 0, sizeof(cpl));
	cpl.cid = cid;
	cpl.status.sc = sc;
	memcpy(g_rsp + slot * RSP_SIZE, &cpl, sizeof(cpl));
}

static enum rdma_wc_verdict
judge(struct rdma_cmd_table *t, uint64_t wr_id, bool success, uint32_t byte_len, uint16_t *cid,
      uint32_t *slot, char *why)
{
	struct rdma_wc_view wc = {.wr_id = wr_id, .success = success, .byte_len = byte_len};

	return rdma_cmd_table_judge(t, &wc, g_rsp, RSP_SIZE, cid, slot, why, 128);
}

/* A command completes once both halves are in: response first, or SEND. */
static void
test_completion_needs_send_and_response(void)
{
	struct rdma_cmd_table t;
	uint32_t slot = 99;
	uint16_t cid = 0xffff;
	int a = 1, b = 2, ca, cb, i;
	char why[128];

	CU_ASSERT_EQUAL_FATAL(rdma_cmd_table_init(&t, 4), 0);
	for (i = 0; i < 4; i++) {
		rdma_cmd_table_recv_posted(&t, (uint32_t)i);
	}
	ca = rdma_cmd_table_take(&t, &a);
	cb = rdma_cmd_table_take(&t, &b);
	CU_ASSERT_EQUAL(ca, 0);
	CU_ASSERT_EQUAL(cb, 1);
	rdma_cmd_table_sent(&t, (uint16_t)ca);
	rdma_cmd_table_sent(&t, (uint16_t)cb);
	CU_ASSERT_EQUAL(t.sends_in_flight, 2);

	/* a: the response arrives before its SEND completes. */
	put_response(0, (uint16_t)ca, 0);
	CU_ASSERT_EQUAL(judge(&t, RDMA_WR_ID(RDMA_WR_RECV, 0), true, 16, &cid, &slot, why),
			RDMA_WC_WAIT);
	CU_ASSERT_EQUAL(cid, ca);
	CU_ASSERT_EQUAL(slot, 0); /* to post again before any callback */
	CU_ASSERT(t.slots[ca].answered);
	CU_ASSERT_EQUAL(judge(&t, RDMA_WR_ID(RDMA_WR_SEND, ca), true, 0, &cid, &slot, why),
			RDMA_WC_COMPLETE);
	CU_ASSERT_EQUAL(cid, ca);

	/* b: the SEND completes first, then the response (with an error). */
	CU_ASSERT_EQUAL(judge(&t, RDMA_WR_ID(RDMA_WR_SEND, cb), true, 0, &cid, &slot, why),
			RDMA_WC_WAIT);
	put_response(1, (uint16_t)cb, 0x81);
	CU_ASSERT_EQUAL(judge(&t, RDMA_WR_ID(RDMA_WR_RECV, 1), true, 16, &cid, &slot, why),
			RDMA_WC_COMPLETE);
	CU_ASSERT_EQUAL(cid, cb);
	CU_ASSERT_EQUAL(t.slots[cb].cpl.status.sc, 0x81);
	CU_ASSERT_EQUAL(t.sends_in_flight, 0);
	CU_ASSERT_EQUAL(t.recvs_in_flight, 2);
	rdma_cmd_table_release(&t, (uint16_t)ca);
	rdma_cmd_table_release(&t, (uint16_t)cb);
	CU_ASSERT_EQUAL(t.num_free, 4);
	rdma_cmd_table_fini(&t);
}

/* Completions to refuse, and flushes only to account. */
static void
test_malformed_and_flushed_completions(void)
{
	struct rdma_cmd_table t;
	uint32_t slot;
	uint16_t cid;
	int a = 1, b = 2, c;
	char why[128];

	CU_ASSERT_EQUAL(rdma_cmd_table_init(&t, 1), -EINVAL);
	CU_ASSERT_EQUAL(rdma_cmd_table_init(&t, 65537), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(rdma_cmd_table_init(&t, 4), 0);
	rdma_cmd_table_recv_posted(&t, 0);
	rdma_cmd_table_recv_posted(&t, 1);
	rdma_cmd_table_recv_posted(&t, 2);
	c = rdma_cmd_table_take(&t, &a);
	CU_ASSERT_EQUAL(c, 0);

	/* Unknown kind, slot out of range, work never posted. */
	CU_ASSERT_EQUAL(judge(&t, 0x300000000ull, true, 16, &cid, &slot, why), RDMA_WC_MALFORMED);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "unknown ID"));
	CU_ASSERT_EQUAL(judge(&t, RDMA_WR_ID(RDMA_WR_RECV, 7), true, 16, &cid, &slot, why),
			RDMA_WC_MALFORMED);
	CU_ASSERT_EQUAL(judge(&t, RDMA_WR_ID(RDMA_WR_RECV, 3), true, 16, &cid, &slot, why),
			RDMA_WC_MALFORMED);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "not posted"));
	CU_ASSERT_EQUAL(judge(&t, RDMA_WR_ID(RDMA_WR_SEND, 0), true, 0, &cid, &slot, why),
			RDMA_WC_MALFORMED); /* taken, but its SEND not posted */
	CU_ASSERT_EQUAL(judge(&t, RDMA_WR_ID(RDMA_WR_SEND, 9), true, 0, &cid, &slot, why),
			RDMA_WC_MALFORMED);

	/* A response for a command taken but never sent. */
	put_response(0, 0, 0);
	CU_ASSERT_EQUAL(judge(&t, RDMA_WR_ID(RDMA_WR_RECV, 0), true, 16, &cid, &slot, why),
			RDMA_WC_MALFORMED);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "never sent"));
	rdma_cmd_table_recv_posted(&t, 0);
	/* For a command ID not outstanding, or out of range. */
	rdma_cmd_table_sent(&t, (uint16_t)c);
	put_response(0, 2, 0);
	CU_ASSERT_EQUAL(judge(&t, RDMA_WR_ID(RDMA_WR_RECV, 0), true, 16, &cid, &slot, why),
			RDMA_WC_MALFORMED);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "not outstanding"));
	rdma_cmd_table_recv_posted(&t, 0);
	put_response(0, 4000, 0);
	CU_ASSERT_EQUAL(judge(&t, RDMA_WR_ID(RDMA_WR_RECV, 0), true, 16, &cid, &slot, why),
			RDMA_WC_MALFORMED);
	rdma_cmd_table_recv_posted(&t, 0);
	/* Too short, or longer than the buffer. */
	put_response(0, (uint16_t)c, 0);
	CU_ASSERT_EQUAL(judge(&t, RDMA_WR_ID(RDMA_WR_RECV, 0), true, 15, &cid, &slot, why),
			RDMA_WC_MALFORMED);
	rdma_cmd_table_recv_posted(&t, 0);
	CU_ASSERT_EQUAL(judge(&t, RDMA_WR_ID(RDMA_WR_RECV, 0), true, RSP_SIZE + 1, &cid, &slot,
			      why),
			RDMA_WC_MALFORMED);
	rdma_cmd_table_recv_posted(&t, 0);
	/* A proper one, then a second response for the same command. */
	CU_ASSERT_EQUAL(judge(&t, RDMA_WR_ID(RDMA_WR_RECV, 0), true, 16, &cid, &slot, why),
			RDMA_WC_WAIT);
	put_response(1, (uint16_t)c, 0);
	CU_ASSERT_EQUAL(judge(&t, RDMA_WR_ID(RDMA_WR_RECV, 1), true, 16, &cid, &slot, why),
			RDMA_WC_MALFORMED);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "second response"));

	/* After a disconnect: errors are accounted by wr_id alone, whatever
	 * else the provider put in them, until nothing is in flight. */
	CU_ASSERT_EQUAL(rdma_cmd_table_take(&t, &b), 1);
	rdma_cmd_table_sent(&t, 1);
	CU_ASSERT_EQUAL(t.sends_in_flight, 2);
	CU_ASSERT_EQUAL(judge(&t, RDMA_WR_ID(RDMA_WR_SEND, 1), false, 0xdeadbeef, &cid, &slot, why),
			RDMA_WC_FLUSHED);
	CU_ASSERT_EQUAL(cid, 1);
	CU_ASSERT_EQUAL(judge(&t, RDMA_WR_ID(RDMA_WR_SEND, 0), false, 7, &cid, &slot, why),
			RDMA_WC_FLUSHED);
	CU_ASSERT_EQUAL(judge(&t, RDMA_WR_ID(RDMA_WR_RECV, 2), false, 0, &cid, &slot, why),
			RDMA_WC_FLUSHED);
	CU_ASSERT_EQUAL(slot, 2);
	CU_ASSERT_EQUAL(t.sends_in_flight, 0);
	CU_ASSERT_EQUAL(t.recvs_in_flight, 0);
	/* A flush twice for the same work is refused. */
	CU_ASSERT_EQUAL(judge(&t, RDMA_WR_ID(RDMA_WR_RECV, 2), false, 0, &cid, &slot, why),
			RDMA_WC_MALFORMED);
	rdma_cmd_table_fini(&t);
}

static struct rdma_mem_region
region(uintptr_t start, size_t len, uint32_t key)
{
	struct rdma_mem_region r = {.start = start, .len = len, .lkey = key, .rkey = key + 1000};

	return r;
}

static void
test_mem_map_lookup(void)
{
	struct rdma_mem_map *map = rdma_mem_map_create();
	struct rdma_mem_region r, out;
	uint32_t lkey = 0, rkey = 0, num;

	CU_ASSERT_FATAL(map != NULL);
	r = region(0x200000, 0x200000, 7);
	CU_ASSERT_EQUAL(rdma_mem_map_add(map, &r), 0);
	r = region(0x800000, 0x400000, 9);
	CU_ASSERT_EQUAL(rdma_mem_map_add(map, &r), 0);
	r = region(0x400000, 0x200000, 8); /* between, touching both */
	CU_ASSERT_EQUAL(rdma_mem_map_add(map, &r), 0);
	r = region(0x3ff000, 0x2000, 1); /* overlaps two */
	CU_ASSERT_EQUAL(rdma_mem_map_add(map, &r), -EEXIST);
	r = region(0xbff000, 0x2000, 1); /* overlaps the last */
	CU_ASSERT_EQUAL(rdma_mem_map_add(map, &r), -EEXIST);
	CU_ASSERT_PTR_NOT_NULL(rdma_mem_map_regions(map, &num));
	CU_ASSERT_EQUAL(num, 3);

	CU_ASSERT_EQUAL(rdma_mem_map_find(map, (void *)0x200000, 4096, &lkey, &rkey), 0);
	CU_ASSERT_EQUAL(lkey, 7);
	CU_ASSERT_EQUAL(rkey, 1007);
	CU_ASSERT_EQUAL(rdma_mem_map_find(map, (void *)0x3ff000, 0x1000, &lkey, &rkey), 0);
	CU_ASSERT_EQUAL(lkey, 7); /* the last bytes of the first */
	CU_ASSERT_EQUAL(rdma_mem_map_find(map, (void *)0x5ff000, 0x1000, &lkey, &rkey), 0);
	CU_ASSERT_EQUAL(lkey, 8);
	CU_ASSERT_EQUAL(rdma_mem_map_find(map, (void *)0xbfffff, 1, &lkey, &rkey), 0);
	CU_ASSERT_EQUAL(lkey, 9);
	/* Across two regions (even touching ones: two keys), outside, past the end. */
	CU_ASSERT_EQUAL(rdma_mem_map_find(map, (void *)0x3ff000, 0x2000, &lkey, &rkey), -EINVAL);
	CU_ASSERT_EQUAL(rdma_mem_map_find(map, (void *)0x100000, 16, &lkey, &rkey), -EINVAL);
	CU_ASSERT_EQUAL(rdma_mem_map_find(map, (void *)0x600000, 16, &lkey, &rkey), -EINVAL);
	CU_ASSERT_EQUAL(rdma_mem_map_find(map, (void *)0xbff000, 0x2000, &lkey, &rkey), -EINVAL);
	CU_ASSERT_EQUAL(rdma_mem_map_find(map, (void *)0xc00000, 1, &lkey, &rkey), -EINVAL);
	CU_ASSERT_EQUAL(rdma_mem_map_find(map, (void *)UINTPTR_MAX, 2, &lkey, &rkey), -EINVAL);

	/* A removed region is gone at once, also for a thread that had it last. */
	CU_ASSERT_EQUAL(rdma_mem_map_find(map, (void *)0x400000, 16, &lkey, &rkey), 0);
	CU_ASSERT_EQUAL(rdma_mem_map_remove(map, 0x400000, &out), 0);
	CU_ASSERT_EQUAL(out.lkey, 8);
	CU_ASSERT_EQUAL(rdma_mem_map_find(map, (void *)0x400000, 16, &lkey, &rkey), -EINVAL);
	CU_ASSERT_EQUAL(rdma_mem_map_remove(map, 0x400000, &out), -ENOENT);
	rdma_mem_map_destroy(map);

	/* A new map at the same address does not inherit a remembered region. */
	map = rdma_mem_map_create();
	CU_ASSERT_FATAL(map != NULL);
	CU_ASSERT_EQUAL(rdma_mem_map_find(map, (void *)0x200000, 16, &lkey, &rkey), -EINVAL);
	rdma_mem_map_destroy(map);
}

struct map_reader {
	struct rdma_mem_map *map;
	atomic_bool stop;
	unsigned long lookups;
	unsigned long misses;
};

static void *
map_reader_main(void *arg)
{
	struct map_reader *r = arg;
	uint32_t lkey, rkey;

	while (!atomic_load(&r->stop)) {
		if (rdma_mem_map_find(r->map, (void *)0x10000000, 4096, &lkey, &rkey) != 0 ||
		    lkey != 1) {
			r->misses++;
		}
		r->lookups++;
	}
	return NULL;
}

/* Regions come and go while another thread looks up one that stays: it is
 * found every time. */
static void
test_mem_map_updates_while_reading(void)
{
	struct map_reader rd = {.map = rdma_mem_map_create()};
	struct rdma_mem_region r, out;
	pthread_t tid;
	int i;

	CU_ASSERT_FATAL(rd.map != NULL);
	r = region(0x10000000, 0x200000, 1);
	CU_ASSERT_EQUAL(rdma_mem_map_add(rd.map, &r), 0);
	atomic_init(&rd.stop, false);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&tid, NULL, map_reader_main, &rd), 0);
	for (i = 0; i < 2000; i++) {
		r = region(0x20000000 + (uintptr_t)(i % 50) * 0x200000, 0x200000, 100 + (uint32_t)i);
		if (i < 50) {
			CU_ASSERT_EQUAL(rdma_mem_map_add(rd.map, &r), 0);
		} else {
			CU_ASSERT_EQUAL(rdma_mem_map_remove(rd.map, r.start, &out), 0);
			CU_ASSERT_EQUAL(rdma_mem_map_add(rd.map, &r), 0);
		}
	}
	atomic_store(&rd.stop, true);
	pthread_join(tid, NULL);
	CU_ASSERT(rd.lookups > 0);
	CU_ASSERT_EQUAL(rd.misses, 0);
	rdma_mem_map_destroy(rd.map);
}

int
main(void)
{
	static const struct ut_test tests[] = {
		{"capsule_descriptors", test_capsule_descriptors},
		{"completion_needs_send_and_response", test_completion_needs_send_and_response},
		{"malformed_and_flushed_completions", test_malformed_and_flushed_completions},
		{"mem_map_lookup", test_mem_map_lookup},
		{"mem_map_updates_while_reading", test_mem_map_updates_while_reading},
		{NULL, NULL},
	};

	return ut_run("rdma", tests);
}
