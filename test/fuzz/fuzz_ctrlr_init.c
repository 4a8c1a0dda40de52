/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Controller bring-up and the decoding of what the controller reports.
 *
 * Mode 0 drives the bring-up state machine (ctrlr_init.c) against the fake
 * transport of the unit tests, whose registers (CAP, VS, CSTS.RDY timing,
 * CFS) come from the input, and whose admin commands are answered from the
 * input: a status, maybe no answer yet, and data that is a sane template
 * (Identify Controller, Active Namespace list, Identify Namespace,
 * Namespace Identification Descriptors), the template with patches, or raw
 * bytes. Bring-up must end; when it reports READY the essential commands
 * must have succeeded and the namespace table must be sane and sorted.
 * Modes 1 and 2 feed Identify Namespace data and descriptor lists straight
 * to nvme_ns_apply_identify() and nvme_ns_apply_id_descs().
 */
#include <errno.h>
#include <sanitizer/asan_interface.h>
#include <stdlib.h>
#include <string.h>

#include "fake_ctrlr.h"
#include "fuzz_check.h"
#include "fuzz_input.h"
#include "test_env.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
void *__real_calloc(size_t nmemb, size_t size);
void *__wrap_calloc(size_t nmemb, size_t size);

/* The harness is linked with --wrap=calloc (mk/fuzz.mk): a calloc() of
 * more than 1 MiB fails. The only one is the namespace table of a scan
 * that hit the 1024-namespace cap (4 MiB): with at most MAX_ANSWERS
 * commands answered such a bring-up cannot reach READY anyway, and
 * mapping, poisoning and unmapping 4 MiB per input made those inputs cost
 * some 1.5 ms each against about 0.1 ms for the rest. The cap is still
 * reached (the IDs are gathered before the table is allocated), and the
 * table's allocation failure is handled on the way. */
#define CALLOC_LIMIT (1u << 20)

void *
__wrap_calloc(size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > CALLOC_LIMIT / size) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_calloc(nmemb, size);
}

/* Far more polls than any finite bring-up here needs: every wait has a
 * deadline of at most 128 s and a tick read is one second. */
#define MAX_POLLS 200000
/* Full template pages of the active namespace list, per input (each means
 * 1024 namespaces to identify). */
#define MAX_FULL_PAGES 2
/* Admin commands the controller answers per input; after that it goes
 * quiet and the bring-up times out. Identifying the full 1024 namespaces
 * costs some 2000 admin commands and a 4 MiB namespace table (about 15 ms
 * under the sanitizers, against well under 1 ms for everything else), and
 * such inputs took over the corpus. The namespace cap itself is still
 * reached: the IDs are gathered (from NN before 1.1, from full list
 * pages after) before any of them is identified. */
#define MAX_ANSWERS 64
#define TRANSPORT_MAX_XFER (128u * 1024)

struct admin_script {
	struct fuzz_input *in;
	struct fake_ctrlr *f;
	int full_pages;
	int answered;
	/* First essential command that completed with an error, or NULL. */
	const char *essential_failed;
};

static struct admin_script g_script;
static struct nvme_transport_ops g_ops; /* the fake's, answering from the input */
/* One fake controller (76 KiB) for every input. A fresh heap block per
 * input cost more than the bring-up itself (new pages behind the
 * sanitizer's quarantine); between inputs the block is poisoned, so the
 * library touching a freed controller is still reported. */
static struct fake_ctrlr *g_fake;

/* ---------------------------------------------------------------- */
/* Admin answers                                                     */
/* ---------------------------------------------------------------- */

static void
template_active_list(struct admin_script *s, uint32_t after, uint32_t *list, uint8_t how)
{
	uint32_t nn = s->f->cdata.nn, max = 8, i;

	if ((how & 0x20) && s->full_pages < MAX_FULL_PAGES) {
		max = PNVME_IDENTIFY_DATA_SIZE / sizeof(uint32_t);
		s->full_pages++;
	}
	for (i = 0; i < max && after + i < nn; i++) {
		list[i] = after + i + 1;
	}
}

static void
template_id_descs(uint8_t *buf)
{
	struct pnvme_ns_id_desc *d = (void *)buf;

	d->nidt = PNVME_NIDT_NGUID;
	d->nidl = 16;
	memset(d->nid, 0x11, 16);
	d = (void *)(buf + 4 + 16);
	d->nidt = PNVME_NIDT_CSI;
	d->nidl = 1;
	d->nid[0] = PNVME_CSI_NVM;
}

static void
apply_patches(struct fuzz_input *in, uint8_t *buf, uint32_t len)
{
	uint8_t n = fuzz_u8(in) % 5, patch[16];
	uint32_t off, plen;

	while (n-- > 0) {
		off = fuzz_u16(in) % len;
		plen = fuzz_range(in, 1, sizeof(patch));
		plen = PNVME_MIN(plen, len - off);
		fuzz_bytes(in, patch, plen);
		memcpy(buf + off, patch, plen);
	}
}

static void
fill_identify(struct admin_script *s, const struct pnvme_cmd *cmd, uint8_t *buf, uint32_t len)
{
	uint8_t how = fuzz_u8(s->in);
	uint8_t page[PNVME_IDENTIFY_DATA_SIZE];

	memset(page, 0, sizeof(page));
	switch (cmd->cdw10 & 0xff) {
	case PNVME_IDENTIFY_CTRLR:
		memcpy(page, &s->f->cdata, sizeof(s->f->cdata));
		break;
	case PNVME_IDENTIFY_ACTIVE_NS_LIST:
		template_active_list(s, cmd->nsid, (uint32_t *)page, how);
		break;
	case PNVME_IDENTIFY_NS:
		memcpy(page, &s->f->nsdata[0], sizeof(s->f->nsdata[0]));
		break;
	case PNVME_IDENTIFY_NS_ID_DESCRIPTOR_LIST:
		template_id_descs(page);
		break;
	default:
		break;
	}
	switch (how & 3) {
	case 1:
	case 3:
		apply_patches(s->in, page, sizeof(page));
		break;
	case 2:
		memset(page, 0, sizeof(page));
		fuzz_bytes(s->in, page, fuzz_range(s->in, 0, sizeof(page)));
		break;
	default:
		break;
	}
	memcpy(buf, page, PNVME_MIN(len, (uint32_t)sizeof(page)));
}

/* Commands bring-up cannot do without: an error here must not lead to READY. */
static const char *
essential_name(const struct pnvme_cmd *cmd)
{
	if (cmd->opc == PNVME_OPC_IDENTIFY && (cmd->cdw10 & 0xff) == PNVME_IDENTIFY_CTRLR) {
		return "Identify Controller";
	}
	if (cmd->opc == PNVME_OPC_IDENTIFY && (cmd->cdw10 & 0xff) == PNVME_IDENTIFY_ACTIVE_NS_LIST) {
		return "Identify Active Namespace List";
	}
	if (cmd->opc == PNVME_OPC_SET_FEATURES &&
	    (cmd->cdw10 & 0xff) == PNVME_FEAT_NUMBER_OF_QUEUES) {
		return "Set Features Number of Queues";
	}
	return NULL;
}

static int32_t
answer_admin(struct pnvme_qpair *qpair, uint32_t max)
{
	struct admin_script *s = &g_script;
	struct fake_ctrlr *f = s->f;
	struct nvme_request *req;
	struct pnvme_cpl cpl;
	uint8_t action;
	int32_t n = 0;

	(void)max;
	while ((req = STAILQ_FIRST(&f->pending)) != NULL && s->answered < MAX_ANSWERS) {
		action = fuzz_u8(s->in);
		if (action % 16 == 15) {
			break; /* not answered yet */
		}
		STAILQ_REMOVE_HEAD(&f->pending, link);
		memset(&cpl, 0, sizeof(cpl));
		cpl.cid = req->cmd.cid;
		if (action >= 0xe0) {
			cpl.status_raw = (uint16_t)(fuzz_u16(s->in) & ~1u);
		}
		/* An erring controller may still have written data. */
		if (req->cmd.opc == PNVME_OPC_IDENTIFY && req->payload != NULL &&
		    (!pnvme_cpl_is_error(&cpl) || (action & 0x10))) {
			fill_identify(s, &req->cmd, req->payload, req->payload_size);
		}
		if (req->cmd.opc == PNVME_OPC_SET_FEATURES) {
			cpl.cdw0 = (action & 0x20) ? fuzz_u32(s->in) : f->queues_granted;
		}
		if (pnvme_cpl_is_error(&cpl) && s->essential_failed == NULL) {
			s->essential_failed = essential_name(&req->cmd);
		}
		nvme_qpair_complete_request(qpair, req, &cpl);
		s->answered++;
		n++;
	}
	return n;
}

/* ---------------------------------------------------------------- */
/* Bring-up                                                          */
/* ---------------------------------------------------------------- */

static void
configure(struct fuzz_input *in, struct fake_ctrlr *f)
{
	static const uint32_t versions[] = {
		PNVME_VERSION(1, 0, 0), PNVME_VERSION(1, 1, 0), PNVME_VERSION(1, 2, 0),
		PNVME_VERSION(1, 3, 0), PNVME_VERSION(1, 4, 0), PNVME_VERSION(2, 0, 0),
	};
	uint8_t flags = fuzz_u8(in), sel;

	if (flags & 1) {
		f->cap.raw = fuzz_u64(in);
	} else {
		f->cap.bits.mqes = fuzz_u16(in);
		f->cap.bits.to = fuzz_u8(in);
		f->cap.bits.dstrd = fuzz_u8(in);
		f->cap.bits.mpsmin = fuzz_u8(in);
		f->cap.bits.mpsmax = fuzz_u8(in);
	}
	sel = fuzz_u8(in);
	f->vs = sel < 0xf0 ? versions[sel % PNVME_ARRAY_SIZE(versions)] : fuzz_u32(in);
	f->rdy_after = (int)fuzz_range(in, 0, 6) - 1; /* -1: never */
	f->cfs = (flags & 2) != 0;
	if (flags & 4) {
		/* Left enabled (and maybe ready) by an earlier user. */
		f->cc.bits.en = 1;
		f->rdy = (flags & 8) != 0;
	}
	if (flags & 0x10) {
		f->ctrlr.quirks |= NVME_QUIRK_DELAY_BEFORE_CHK_RDY;
	}
	f->ctrlr.is_discovery = (flags & 0x20) != 0;
	sel = fuzz_u8(in);
	f->cdata.nn = sel < 0xf0 ? sel % 9 : fuzz_u32(in);
	f->ctrlr.opts.admin_timeout_ms = fuzz_range(in, 1, 4000);
	f->ctrlr.opts.num_io_queues = fuzz_range(in, 1, 64);
}

static void
check_ready(struct fake_ctrlr *f)
{
	struct pnvme_ctrlr *c = &f->ctrlr;
	uint32_t i, id, seen = 0;

	FUZZ_CHECK(g_script.essential_failed == NULL, "bring-up reached READY although %s failed",
		   g_script.essential_failed);
	FUZZ_CHECK(!nvme_ctrlr_is_failed(c), "READY but the controller is failed");
	FUZZ_CHECK(c->page_size >= 4096 && (c->page_size & (c->page_size - 1)) == 0,
		   "page size %u", c->page_size);
	FUZZ_CHECK(c->max_xfer_size >= c->min_page_size || c->max_xfer_size == TRANSPORT_MAX_XFER,
		   "max transfer %u below the page size %u", c->max_xfer_size, c->min_page_size);
	FUZZ_CHECK(c->max_xfer_size <= TRANSPORT_MAX_XFER, "max transfer %u above the transport's",
		   c->max_xfer_size);
	if (c->is_discovery) {
		return;
	}
	FUZZ_CHECK(c->num_io_queues >= 1 && c->num_io_queues <= c->opts.num_io_queues,
		   "%u I/O queues (asked for %u)", c->num_io_queues, c->opts.num_io_queues);
	for (i = 0; i < c->num_ns; i++) {
		const struct pnvme_ns *ns = c->ns[i];

		FUZZ_CHECK(ns->id >= 1 && ns->id <= c->cdata.nn, "namespace %u outside 1..NN %u",
			   ns->id, c->cdata.nn);
		FUZZ_CHECK(i == 0 || ns->id > c->ns[i - 1]->id, "namespace table out of order at %u",
			   i);
		FUZZ_CHECK(ns->ctrlr == c, "namespace %u points at another controller", ns->id);
		FUZZ_CHECK(ns->data.nsze != 0, "inactive namespace %u in the table", ns->id);
		FUZZ_CHECK(ns->sector_size >= 512 && ns->sector_size <= 65536 &&
				   (ns->sector_size & (ns->sector_size - 1)) == 0,
			   "namespace %u sector size %u", ns->id, ns->sector_size);
		FUZZ_CHECK(ns->extended_lba_size >= ns->sector_size,
			   "namespace %u extended sector %u < %u", ns->id, ns->extended_lba_size,
			   ns->sector_size);
	}
	/* The public walk sees the same table. */
	for (id = pnvme_ctrlr_get_first_active_ns(c); id != 0;
	     id = pnvme_ctrlr_get_next_active_ns(c, id)) {
		FUZZ_CHECK(seen < c->num_ns && c->ns[seen]->id == id,
			   "active namespace walk gives %u at step %u", id, seen);
		FUZZ_CHECK(pnvme_ctrlr_get_ns(c, id) == c->ns[seen], "get_ns(%u) misses", id);
		seen++;
	}
	FUZZ_CHECK(seen == c->num_ns, "walk saw %u of %u namespaces", seen, c->num_ns);
}

/* The fake transport's destructor without the free: the block is reused. */
static void
fake_destruct_keep(struct pnvme_ctrlr *ctrlr)
{
	struct fake_ctrlr *f = (struct fake_ctrlr *)ctrlr;

	nvme_qpair_fini(&f->adminq);
	nvme_ctrlr_destruct_common(ctrlr);
	ASAN_POISON_MEMORY_REGION(f, sizeof(*f));
}

/* What fake_ctrlr_create() sets up (NVMe 1.4, one namespace, RDY after
 * three reads), in the reused block, answering from the input. */
static struct fake_ctrlr *
fake_setup(void)
{
	struct pnvme_transport_id trid = {.trtype = PNVME_TRANSPORT_RDMA};
	struct pnvme_ctrlr_opts opts;
	struct fake_ctrlr *f = g_fake;

	ASAN_UNPOISON_MEMORY_REGION(f, sizeof(*f));
	memset(f, 0, sizeof(*f));
	strcpy(trid.traddr, "fake0");
	pnvme_ctrlr_get_default_opts(&opts, sizeof(opts));
	opts.num_io_queues = 8;
	FUZZ_CHECK(nvme_ctrlr_construct(&f->ctrlr, &g_ops, &trid, &opts) == 0,
		   "controller construction failed");
	STAILQ_INIT(&f->pending);
	FUZZ_CHECK(nvme_qpair_init(&f->adminq, &f->ctrlr, 0, 32) == 0,
		   "admin queue construction failed");
	f->ctrlr.adminq = &f->adminq;
	f->present = true;
	f->cap.bits.mqes = 1023;
	f->cap.bits.to = 2;
	f->cap.bits.css = PNVME_CAP_CSS_NVM;
	f->vs = PNVME_VERSION(1, 4, 0);
	f->rdy_after = 3;
	f->queues_granted = (3u << 16) | 5u;
	memcpy(f->cdata.sn, "FAKESERIAL          ", 20);
	memcpy(f->cdata.mn, "Fake Controller                         ", 40);
	f->cdata.mdts = 5;
	f->cdata.sgls = 1;
	fake_ctrlr_add_ns(f, 1, 1u << 21, 9);
	return f;
}

static void
run_bring_up(struct fuzz_input *in)
{
	struct fake_ctrlr *f = fake_setup();
	int polls, rc = 0;

	memset(&g_script, 0, sizeof(g_script));
	g_script.in = in;
	g_script.f = f;
	configure(in, f);

	nvme_ctrlr_init_start(&f->ctrlr);
	for (polls = 0; polls < MAX_POLLS && rc == 0; polls++) {
		rc = nvme_ctrlr_init_poll(&f->ctrlr);
	}
	FUZZ_CHECK(rc != 0, "bring-up still in state %s after %d polls",
		   nvme_ctrlr_init_state_name(f->ctrlr.init.state), polls);
	if (rc == 1) {
		FUZZ_CHECK(f->ctrlr.init.state == NVME_INIT_READY, "ready in state %s",
			   nvme_ctrlr_init_state_name(f->ctrlr.init.state));
		check_ready(f);
	} else {
		FUZZ_CHECK(rc < 0 && f->ctrlr.init.state == NVME_INIT_FAILED && nvme_ctrlr_is_failed(&f->ctrlr),
			   "bring-up returned %d in state %s", rc,
			   nvme_ctrlr_init_state_name(f->ctrlr.init.state));
	}
	/* Detach: what is still outstanding completes, the controller shuts
	 * down (or is disabled) and is freed. */
	nvme_ctrlr_shutdown_and_free(&f->ctrlr);
}

/* ---------------------------------------------------------------- */
/* Decoders on their own                                             */
/* ---------------------------------------------------------------- */

static void
run_apply_identify(struct fuzz_input *in)
{
	struct pnvme_ns ns;

	memset(&ns, 0, sizeof(ns));
	ns.id = 1;
	fuzz_bytes(in, &ns.data, sizeof(ns.data));
	if (nvme_ns_apply_identify(&ns) != 0) {
		return;
	}
	FUZZ_CHECK(ns.sector_size >= 512 && ns.sector_size <= 65536 &&
			   (ns.sector_size & (ns.sector_size - 1)) == 0,
		   "sector size %u accepted", ns.sector_size);
	FUZZ_CHECK(ns.extended_lba_size >= ns.sector_size, "extended sector %u < %u",
		   ns.extended_lba_size, ns.sector_size);
}

static void
run_apply_id_descs(struct fuzz_input *in)
{
	size_t len = fuzz_range(in, 0, PNVME_IDENTIFY_DATA_SIZE);
	/* Exactly the list's size: any read past it is caught. */
	uint8_t *buf = malloc(len ? len : 1);
	struct pnvme_ns ns;
	int rc;

	FUZZ_CHECK(buf != NULL, "out of memory");
	fuzz_bytes(in, buf, len);
	memset(&ns, 0, sizeof(ns));
	ns.id = 1;
	rc = nvme_ns_apply_id_descs(&ns, buf, len);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL, "descriptor list decoding returned %d", rc);
	free(buf);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_log_init();
	/* One second per tick read: every deadline passes within a few
	 * hundred polls. */
	g_test_tick_step = 1000000;
	g_ops = g_fake_ops;
	g_ops.qpair_process_completions = answer_admin;
	g_ops.ctrlr_destruct = fake_destruct_keep;
	g_fake = malloc(sizeof(*g_fake));
	FUZZ_CHECK(g_fake != NULL, "out of memory");
	ASAN_POISON_MEMORY_REGION(g_fake, sizeof(*g_fake));
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in;

	fuzz_input_init(&in, data, size);
	switch (fuzz_u8(&in) % 3) {
	case 0:
		run_bring_up(&in);
		break;
	case 1:
		run_apply_identify(&in);
		break;
	default:
		run_apply_id_descs(&in);
		break;
	}
	return 0;
}
