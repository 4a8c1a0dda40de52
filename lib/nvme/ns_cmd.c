/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Namespace commands: argument checks, command encoding and splitting of
 * large transfers into child commands with one completion to the caller.
 * Nothing here allocates, locks or makes a system call.
 */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "nvme/nvme_internal.h"

#define RW_FLAGS_MASK (PNVME_IO_FLAGS_FUA | PNVME_IO_FLAGS_LIMITED_RETRY)
#define PI_FLAGS_MASK                                                                   \
	(PNVME_IO_FLAGS_PRACT | PNVME_IO_FLAGS_PRCHK_GUARD | PNVME_IO_FLAGS_PRCHK_APPTAG | \
	 PNVME_IO_FLAGS_PRCHK_REFTAG)
#define FUSE_FLAGS_MASK (PNVME_IO_FLAGS_FUSE_FIRST | PNVME_IO_FLAGS_FUSE_SECOND)
/* NLB is a 16-bit, 0-based field. */
#define MAX_BLOCKS_PER_CMD 65536u

/* What one namespace command carries, before splitting. */
struct ns_io {
	uint8_t opc;
	uint64_t lba;
	uint32_t lba_count;
	uint32_t io_flags;
	void *buf;
	const struct iovec *iov;
	uint16_t iovcnt;
	bool has_data;
	uint32_t block;      /* bytes of data per block, metadata interleaved included */
	uint32_t max_blocks; /* per child command */
	/* Metadata in a separate buffer (MPTR), and the expected application
	 * tag for protection information checks. */
	void *md_buf;
	uint16_t apptag_mask;
	uint16_t apptag;
	/* Vectored data: pieces of memory one command may carry (0: any),
	 * for transports whose commands describe few (NVMe/RDMA's MSDBD). */
	uint32_t max_pieces;
};

static PNVME_ALWAYS_INLINE int
check_common(struct pnvme_ns *ns, struct pnvme_qpair *qpair, const char *what)
{
	if (pnvme_unlikely(ns == NULL || qpair == NULL)) {
		PNVME_ERRLOG("%s: NULL namespace or qpair", what);
		return -EINVAL;
	}
	if (pnvme_unlikely(qpair->ctrlr != ns->ctrlr || qpair->id == 0)) {
		PNVME_ERRLOG("%s: qpair %u is not an I/O qpair of namespace %u's controller", what,
			     qpair->id, ns->id);
		return -EINVAL;
	}
	/* A reset or failure this qpair's poll has not caught up with yet:
	 * refused until it has. Catching up here could run inside that poll
	 * (a completion callback submitting) and pull its ring from under it. */
	if (pnvme_unlikely(qpair->failed || qpair->epoch != ns->ctrlr->epoch || ns->removed)) {
		return -ENXIO;
	}
	return 0;
}

static PNVME_ALWAYS_INLINE int
check_range(const struct pnvme_ns *ns, uint64_t lba, uint32_t count, const char *what)
{
	if (pnvme_unlikely(count == 0)) {
		PNVME_ERRLOG("%s: zero blocks", what);
		return -EINVAL;
	}
	if (pnvme_unlikely(lba >= ns->data.nsze || count > ns->data.nsze - lba)) {
		PNVME_ERRLOG("%s: blocks %llu+%u lie beyond namespace %u's %llu blocks", what,
			     (unsigned long long)lba, count, ns->id,
			     (unsigned long long)ns->data.nsze);
		return -EINVAL;
	}
	return 0;
}

static bool
oncs_has(const struct pnvme_ns *ns, uint16_t bit, const char *what)
{
	if (ns->ctrlr->cdata.oncs & bit) {
		return true;
	}
	PNVME_ERRLOG("%s: the controller does not support it (ONCS 0x%04x)", what,
		     ns->ctrlr->cdata.oncs);
	return false;
}

/* DMA-ability, alignment and length of a vector's elements. */
static int
check_payload_iov(const struct pnvme_ns *ns, const struct ns_io *io, uint64_t bytes,
		  const char *what)
{
	bool sgl = (ns->ctrlr->flags & PNVME_CTRLR_SGL_SUPPORTED) != 0;
	uint32_t page = ns->ctrlr->page_size;
	uint64_t total = 0;
	int i;

	if (io->iovcnt < 1 || io->iovcnt > PNVME_MAX_IOVCNT) {
		PNVME_ERRLOG("%s: %d vector elements is outside 1-%d", what, io->iovcnt,
			     PNVME_MAX_IOVCNT);
		return -EINVAL;
	}
	for (i = 0; i < io->iovcnt; i++) {
		uintptr_t base = (uintptr_t)io->iov[i].iov_base;
		size_t len = io->iov[i].iov_len;

		if (base == 0 || len == 0 || (base & 3) != 0 || (len & 3) != 0) {
			PNVME_ERRLOG("%s: element %d (%p, %zu bytes) is empty or not dword-aligned",
				     what, i, (void *)base, len);
			return -EINVAL;
		}
		if (!ns->ctrlr->ops->any_memory &&
		    (pnvme_vtophys((void *)base, NULL) == PNVME_VTOPHYS_ERROR ||
		     pnvme_vtophys((void *)(base + len - 1), NULL) == PNVME_VTOPHYS_ERROR)) {
			PNVME_ERRLOG("%s: element %d is not DMA-able memory", what, i);
			return -EINVAL;
		}
		/* PRP rules: inner element edges fall on pages. */
		if (!sgl && ((i > 0 && (base & (page - 1)) != 0) ||
			     (i < io->iovcnt - 1 && ((base + len) & (page - 1)) != 0))) {
			PNVME_ERRLOG("%s: element %d does not start and end on page boundaries, "
				     "which the controller needs without SGL support",
				     what, i);
			return -EINVAL;
		}
		total += len;
	}
	if (total != bytes) {
		PNVME_ERRLOG("%s: vector holds %llu bytes, the blocks need %llu", what,
			     (unsigned long long)total, (unsigned long long)bytes);
		return -EINVAL;
	}
	return 0;
}

/* DMA-ability and alignment of the data, checked before anything is sent:
 * a refusal here is a return value, never a completion. */
static PNVME_ALWAYS_INLINE int
check_payload(const struct pnvme_ns *ns, const struct ns_io *io, uint64_t bytes, const char *what)
{
	if (pnvme_unlikely(bytes > UINT32_MAX)) {
		PNVME_ERRLOG("%s: %llu bytes in one call is more than 4 GiB", what,
			     (unsigned long long)bytes);
		return -EINVAL;
	}
	if (io->iov != NULL) {
		return check_payload_iov(ns, io, bytes, what);
	}
	if (pnvme_unlikely(io->buf == NULL || ((uintptr_t)io->buf & 3) != 0)) {
		PNVME_ERRLOG("%s: buffer %p is NULL or not dword-aligned", what, io->buf);
		return -EINVAL;
	}
	if (!ns->ctrlr->ops->any_memory &&
	    pnvme_unlikely(pnvme_vtophys(io->buf, NULL) == PNVME_VTOPHYS_ERROR ||
			   pnvme_vtophys((uint8_t *)io->buf + bytes - 1, NULL) ==
				   PNVME_VTOPHYS_ERROR)) {
		PNVME_ERRLOG("%s: buffer %p is not DMA-able memory (pnvme_dma_zmalloc)", what,
			     io->buf);
		return -EINVAL;
	}
	return 0;
}

static PNVME_ALWAYS_INLINE void
encode(struct pnvme_cmd *cmd, const struct ns_io *io, const struct pnvme_ns *ns, uint64_t lba,
       uint32_t count)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->opc = io->opc;
	cmd->nsid = ns->id;
	cmd->cdw10 = (uint32_t)lba;
	cmd->cdw11 = (uint32_t)(lba >> 32);
	cmd->cdw12 = (count - 1) | (io->io_flags & (RW_FLAGS_MASK | PI_FLAGS_MASK));
	if (pnvme_unlikely(ns->pi_type != PNVME_PI_NONE)) {
		/* The initial reference tag: the LBA's low bits (type 3 has none). */
		cmd->cdw14 = ns->pi_type != PNVME_PI_TYPE3 ? (uint32_t)lba : 0;
		cmd->cdw15 = (uint32_t)io->apptag_mask << 16 | io->apptag;
	}
	if (pnvme_unlikely(io->md_buf != NULL)) {
		/* Checked contiguous up front: one pointer for all of it. */
		cmd->mptr = pnvme_vtophys((uint8_t *)io->md_buf + (lba - io->lba) * ns->md_size,
					  NULL);
	}
	if (io->io_flags & PNVME_IO_FLAGS_FUSE_FIRST) {
		cmd->fuse = PNVME_FUSE_FIRST;
	} else if (io->io_flags & PNVME_IO_FLAGS_FUSE_SECOND) {
		cmd->fuse = PNVME_FUSE_SECOND;
	}
}

static void
child_done(void *arg, const struct pnvme_cpl *cpl)
{
	struct nvme_request *parent = arg;

	/* The first error wins; success only when every child succeeded. */
	if (pnvme_cpl_is_error(cpl) && !pnvme_cpl_is_error(&parent->parent_cpl)) {
		parent->parent_cpl = *cpl;
	}
	if (--parent->num_children == 0) {
		if (parent->cb_fn != NULL) {
			parent->cb_fn(parent->cb_arg, &parent->parent_cpl);
		}
		nvme_qpair_free_request(parent->qpair, parent);
	}
}

/* Whole blocks that the vector elements from byte @p offset hold within
 * io->max_pieces elements (0: they hold less than one block). */
static uint32_t
pieces_blocks(const struct ns_io *io, uint64_t offset, uint32_t block)
{
	uint64_t bytes = 0;
	uint32_t pieces = 0;
	int i = 0;

	while (i < io->iovcnt && offset >= io->iov[i].iov_len) {
		offset -= io->iov[i].iov_len;
		i++;
	}
	for (; i < io->iovcnt && pieces < io->max_pieces; i++, pieces++) {
		bytes += io->iov[i].iov_len - offset;
		offset = 0;
	}
	return (uint32_t)PNVME_MIN(bytes / block, (uint64_t)UINT32_MAX);
}

/* Blocks the next child may carry from @p lba, its data from byte
 * @p offset. */
static PNVME_ALWAYS_INLINE uint32_t
child_blocks(const struct pnvme_ns *ns, const struct ns_io *io, uint64_t lba, uint32_t left,
	     uint64_t offset)
{
	uint32_t n = PNVME_MIN(left, io->max_blocks);
	uint32_t boundary = ns->optimal_io_boundary;

	if (boundary != 0 && io->has_data) {
		n = PNVME_MIN(n, boundary - (uint32_t)(lba % boundary));
	}
	if (pnvme_unlikely(io->max_pieces != 0 && io->iov != NULL && io->has_data)) {
		n = PNVME_MIN(n, pieces_blocks(io, offset, io->block));
	}
	return n;
}

static void
set_payload(struct nvme_request *req, const struct ns_io *io, uint32_t offset, uint32_t bytes)
{
	if (!io->has_data) {
		return;
	}
	if (io->iov != NULL) {
		req->iov = io->iov;
		req->iovcnt = io->iovcnt;
		req->payload_offset = offset;
	} else {
		req->payload = (uint8_t *)io->buf + offset;
	}
	req->payload_size = bytes;
}

static int
submit_split(struct pnvme_ns *ns, struct pnvme_qpair *qpair, const struct ns_io *io,
	     uint32_t nchildren, pnvme_cmd_cb cb_fn, void *cb_arg)
{
	uint32_t block = io->block;
	struct nvme_request *parent, *child;
	uint64_t lba = io->lba;
	uint32_t left = io->lba_count, offset = 0, n, i;
	int rc;

	parent = nvme_qpair_alloc_request(qpair, cb_fn, cb_arg);
	if (parent == NULL) {
		return -ENOMEM; /* counted by the caller; kept for safety */
	}
	memset(&parent->parent_cpl, 0, sizeof(parent->parent_cpl));
	parent->parent_cpl.sqid = qpair->id;
	parent->num_children = (uint16_t)nchildren;
	for (i = 0; i < nchildren; i++) {
		n = child_blocks(ns, io, lba, left, offset);
		child = nvme_qpair_alloc_request(qpair, child_done, parent);
		if (pnvme_likely(child != NULL)) {
			child->parent = parent;
			encode(&child->cmd, io, ns, lba, n);
			set_payload(child, io, offset, n * block);
			rc = nvme_qpair_submit_request(qpair, child);
		} else {
			rc = -ENOMEM;
		}
		if (pnvme_unlikely(rc != 0)) {
			/* Checked up front, so only a failing qpair gets here: the
			 * children not sent complete with the error, once. */
			struct pnvme_cpl cpl = {.sqid = qpair->id};

			cpl.status.sct = PNVME_SCT_GENERIC;
			cpl.status.sc = PNVME_SC_ABORTED_SQ_DELETION;
			cpl.status.dnr = 1;
			for (; i < nchildren; i++) {
				child_done(parent, &cpl);
			}
			return 0;
		}
		lba += n;
		left -= n;
		offset += n * block;
	}
	return 0;
}

/* A transfer of several commands: count them, check, submit. */
static int
submit_io_split(struct pnvme_ns *ns, struct pnvme_qpair *qpair, const struct ns_io *io,
		pnvme_cmd_cb cb_fn, void *cb_arg, const char *what)
{
	uint32_t block = io->block, nchildren = 0, left, n;
	uint64_t lba, offset = 0;

	for (lba = io->lba, left = io->lba_count; left > 0; nchildren++) {
		n = child_blocks(ns, io, lba, left, offset);
		if (n == 0) {
			PNVME_ERRLOG("%s: the vector elements from byte %llu hold less than one "
				     "%u-byte block in %u pieces, the most one command carries",
				     what, (unsigned long long)offset, block, io->max_pieces);
			return -EINVAL;
		}
		lba += n;
		left -= n;
		offset += (uint64_t)n * block;
	}
	if (io->io_flags & FUSE_FLAGS_MASK) {
		PNVME_ERRLOG("%s: a fused command may not be split (%u blocks exceed %u per "
			     "command)",
			     what, io->lba_count, io->max_blocks);
		return -EINVAL;
	}
	if (nchildren > UINT16_MAX || nchildren + 1 > qpair->num_reqs) {
		/* Not a passing shortage: -ENOMEM would invite a retry that can
		 * never succeed. */
		PNVME_ERRLOG("%s: %u blocks need %u commands (%u per command), more than the "
			     "qpair's %u requests",
			     what, io->lba_count, nchildren + 1, io->max_blocks, qpair->num_reqs);
		return -EINVAL;
	}
	if (qpair->num_free_reqs < nchildren + 1) {
		return -ENOMEM;
	}
	return submit_split(ns, qpair, io, nchildren, cb_fn, cb_arg);
}

/* io_flags beyond the plain and fused ones: protection information flags,
 * and only where they mean something. */
static int
check_pi_flags(const struct pnvme_ns *ns, uint32_t io_flags, const char *what)
{
	if (io_flags & ~(RW_FLAGS_MASK | FUSE_FLAGS_MASK | PI_FLAGS_MASK)) {
		PNVME_ERRLOG("%s: unknown io_flags 0x%08x", what, io_flags);
		return -EINVAL;
	}
	if (ns->pi_type == PNVME_PI_NONE) {
		PNVME_ERRLOG("%s: protection information flags 0x%08x, but namespace %u has none",
			     what, io_flags & PI_FLAGS_MASK, ns->id);
		return -EINVAL;
	}
	/* The specification makes the controller refuse this too. */
	if ((io_flags & PNVME_IO_FLAGS_PRCHK_REFTAG) && ns->pi_type == PNVME_PI_TYPE3) {
		PNVME_ERRLOG("%s: namespace %u has type 3 protection, whose reference tag is not "
			     "checked: drop PNVME_IO_FLAGS_PRCHK_REFTAG",
			     what, ns->id);
		return -EINVAL;
	}
	return 0;
}

static PNVME_ALWAYS_INLINE int
submit_io(struct pnvme_ns *ns, struct pnvme_qpair *qpair, struct ns_io *io, pnvme_cmd_cb cb_fn,
	  void *cb_arg, const char *what)
{
	uint32_t block = io->block;
	struct nvme_request *req;
	int rc;

	rc = check_common(ns, qpair, what);
	if (rc == 0) {
		rc = check_range(ns, io->lba, io->lba_count, what);
	}
	if (rc == 0 && io->has_data) {
		rc = check_payload(ns, io, (uint64_t)io->lba_count * block, what);
	}
	if (rc != 0) {
		return rc;
	}
	/* One test on the common path: no unknown flags, no protection flags. */
	if (pnvme_unlikely(io->io_flags & ~(RW_FLAGS_MASK | FUSE_FLAGS_MASK))) {
		rc = check_pi_flags(ns, io->io_flags, what);
		if (rc != 0) {
			return rc;
		}
	}

	/* One command, nearly always: nothing more to check. */
	if (pnvme_unlikely(child_blocks(ns, io, io->lba, io->lba_count, 0) != io->lba_count)) {
		return submit_io_split(ns, qpair, io, cb_fn, cb_arg, what);
	}
	req = nvme_qpair_alloc_request(qpair, cb_fn, cb_arg);
	if (req == NULL) {
		return -ENOMEM;
	}
	encode(&req->cmd, io, ns, io->lba, io->lba_count);
	set_payload(req, io, 0, io->lba_count * block);
	return nvme_qpair_submit_request(qpair, req);
}

static uint32_t
max_data_blocks(const struct pnvme_ns *ns, uint32_t block)
{
	uint32_t n = ns->ctrlr->max_xfer_size / block;

	return PNVME_MAX(PNVME_MIN(n, MAX_BLOCKS_PER_CMD), 1u);
}

/* The metadata of a data command, when the caller gives it apart. */
struct ns_md {
	void *buf;
	uint16_t apptag_mask;
	uint16_t apptag;
};

/*
 * Where a data command's metadata goes: interleaved (the data block grows
 * by it), in the separate buffer @p md (checked: a fabrics command cannot
 * carry one, and MPTR is one physically contiguous range), or nowhere
 * (none, or only protection information the controller inserts and strips
 * with PRACT). Sets io->block and io->md_buf; 0 or -EINVAL/-ENOTSUP.
 */
static int
lay_out_metadata_present(const struct pnvme_ns *ns, struct ns_io *io, const struct ns_md *md,
			 const char *what)
{
	bool stripped, apart;
	uint64_t len, first, last;

	stripped = (io->io_flags & PNVME_IO_FLAGS_PRACT) && ns->pi_type != PNVME_PI_NONE &&
		   ns->md_size == 8;
	apart = ns->md_size != 0 && !pnvme_ns_supports_extended_lba(ns) && !stripped;
	len = (uint64_t)io->lba_count * ns->md_size;

	io->block = stripped ? ns->sector_size : ns->extended_lba_size;
	if (md != NULL) {
		io->apptag_mask = md->apptag_mask;
		io->apptag = md->apptag;
	}
	if (!apart) {
		if (pnvme_unlikely(md != NULL && md->buf != NULL)) {
			PNVME_ERRLOG("%s: namespace %u takes no separate metadata buffer here", what,
				     ns->id);
			return -EINVAL;
		}
		return 0;
	}
	if (md == NULL || md->buf == NULL || io->iov != NULL) {
		PNVME_ERRLOG("%s: namespace %u keeps %u bytes of metadata per block in a separate "
			     "buffer: use the _with_md calls with one",
			     what, ns->id, ns->md_size);
		return -EINVAL;
	}
	if (ns->ctrlr->ops->fabrics) {
		PNVME_ERRLOG("%s: a fabrics transport carries no separate metadata buffer", what);
		return -ENOTSUP;
	}
	first = pnvme_vtophys(md->buf, NULL);
	last = len > 0 ? pnvme_vtophys((uint8_t *)md->buf + len - 1, NULL) : first;
	if (first == PNVME_VTOPHYS_ERROR || last == PNVME_VTOPHYS_ERROR ||
	    last - first != len - 1 || ((uintptr_t)md->buf & 3) != 0) {
		PNVME_ERRLOG("%s: metadata buffer %p is not dword-aligned, physically contiguous "
			     "DMA memory (one pnvme_dma_zmalloc allocation)",
			     what, md->buf);
		return -EINVAL;
	}
	io->md_buf = md->buf;
	return 0;
}

static PNVME_ALWAYS_INLINE int
lay_out_metadata(const struct pnvme_ns *ns, struct ns_io *io, const struct ns_md *md,
		 const char *what)
{
	/* Most namespaces have no metadata: nothing to lay out. */
	if (pnvme_likely(ns->md_size == 0 && md == NULL)) {
		io->block = ns->extended_lba_size;
		return 0;
	}
	return lay_out_metadata_present(ns, io, md, what);
}

static PNVME_ALWAYS_INLINE int
rw(struct pnvme_ns *ns, struct pnvme_qpair *qpair, uint8_t opc, void *buf, const struct iovec *iov,
   int iovcnt, uint64_t lba, uint32_t lba_count, pnvme_cmd_cb cb_fn, void *cb_arg,
   uint32_t io_flags, const struct ns_md *md, const char *what)
{
	int rc;

	struct ns_io io = {
		.opc = opc,
		.lba = lba,
		.lba_count = lba_count,
		.io_flags = io_flags,
		.buf = buf,
		.iov = iov,
		.iovcnt = (uint16_t)(iovcnt < 0 ? 0 : iovcnt),
		.has_data = true,
	};

	if (pnvme_unlikely(io_flags & FUSE_FLAGS_MASK) && ns != NULL) {
		uint32_t allowed = opc == PNVME_OPC_COMPARE ? PNVME_IO_FLAGS_FUSE_FIRST
				   : opc == PNVME_OPC_WRITE ? PNVME_IO_FLAGS_FUSE_SECOND
							    : 0;

		if (!(ns->ctrlr->flags & PNVME_CTRLR_FUSED_COMPARE_WRITE)) {
			PNVME_ERRLOG("%s: the controller does not support fused compare-and-write "
				     "(FUSES 0x%04x)",
				     what, ns->ctrlr->cdata.fuses);
			return -ENOTSUP;
		}
		if ((io_flags & FUSE_FLAGS_MASK) != allowed) {
			PNVME_ERRLOG("%s: only a compare may be FUSE_FIRST and only a write "
				     "FUSE_SECOND",
				     what);
			return -EINVAL;
		}
	}
	if (iov != NULL && (iovcnt < 1 || iovcnt > PNVME_MAX_IOVCNT)) {
		PNVME_ERRLOG("%s: %d vector elements is outside 1-%d", what, iovcnt,
			     PNVME_MAX_IOVCNT);
		return -EINVAL;
	}
	if (ns != NULL) {
		rc = lay_out_metadata(ns, &io, md, what);
		if (rc != 0) {
			return rc;
		}
		io.max_blocks = max_data_blocks(ns, io.block);
		if (iov != NULL && iovcnt > 1 && ns->ctrlr->ops->ctrlr_get_max_data_pieces != NULL) {
			io.max_pieces = ns->ctrlr->ops->ctrlr_get_max_data_pieces(ns->ctrlr);
		}
	}
	return submit_io(ns, qpair, &io, cb_fn, cb_arg, what);
}

/* rw() for the calls off the common path (metadata, vectors, compare):
 * one shared copy, while plain reads and writes get their own. */
static PNVME_NOINLINE int
rw_shared(struct pnvme_ns *ns, struct pnvme_qpair *qpair, uint8_t opc, void *buf,
	  const struct iovec *iov, int iovcnt, uint64_t lba, uint32_t lba_count,
	  pnvme_cmd_cb cb_fn, void *cb_arg, uint32_t io_flags, const struct ns_md *md,
	  const char *what)
{
	return rw(ns, qpair, opc, buf, iov, iovcnt, lba, lba_count, cb_fn, cb_arg, io_flags, md,
		  what);
}

int
pnvme_ns_cmd_read(struct pnvme_ns *ns, struct pnvme_qpair *qpair, void *buf, uint64_t lba,
		  uint32_t lba_count, pnvme_cmd_cb cb_fn, void *cb_arg, uint32_t io_flags)
{
	return rw(ns, qpair, PNVME_OPC_READ, buf, NULL, 0, lba, lba_count, cb_fn, cb_arg, io_flags,
		  NULL, "read");
}

int
pnvme_ns_cmd_write(struct pnvme_ns *ns, struct pnvme_qpair *qpair, void *buf, uint64_t lba,
		   uint32_t lba_count, pnvme_cmd_cb cb_fn, void *cb_arg, uint32_t io_flags)
{
	return rw(ns, qpair, PNVME_OPC_WRITE, buf, NULL, 0, lba, lba_count, cb_fn, cb_arg,
		  io_flags, NULL, "write");
}

int
pnvme_ns_cmd_read_with_md(struct pnvme_ns *ns, struct pnvme_qpair *qpair, void *buf, void *md_buf,
			  uint64_t lba, uint32_t lba_count, pnvme_cmd_cb cb_fn, void *cb_arg,
			  uint32_t io_flags, uint16_t apptag_mask, uint16_t apptag)
{
	const struct ns_md md = {.buf = md_buf, .apptag_mask = apptag_mask, .apptag = apptag};

	return rw_shared(ns, qpair, PNVME_OPC_READ, buf, NULL, 0, lba, lba_count, cb_fn, cb_arg,
			 io_flags, &md, "read_with_md");
}

int
pnvme_ns_cmd_write_with_md(struct pnvme_ns *ns, struct pnvme_qpair *qpair, void *buf,
			   void *md_buf, uint64_t lba, uint32_t lba_count, pnvme_cmd_cb cb_fn,
			   void *cb_arg, uint32_t io_flags, uint16_t apptag_mask, uint16_t apptag)
{
	const struct ns_md md = {.buf = md_buf, .apptag_mask = apptag_mask, .apptag = apptag};

	return rw_shared(ns, qpair, PNVME_OPC_WRITE, buf, NULL, 0, lba, lba_count, cb_fn, cb_arg,
			 io_flags, &md, "write_with_md");
}

static int
rwv(struct pnvme_ns *ns, struct pnvme_qpair *qpair, uint8_t opc, const struct iovec *iov,
    int iovcnt, uint64_t lba, uint32_t lba_count, pnvme_cmd_cb cb_fn, void *cb_arg,
    uint32_t io_flags, const char *what)
{
	if (iov == NULL) {
		PNVME_ERRLOG("%s: NULL vector", what);
		return -EINVAL;
	}
	return rw_shared(ns, qpair, opc, NULL, iov, iovcnt, lba, lba_count, cb_fn, cb_arg,
			 io_flags, NULL, what);
}

int
pnvme_ns_cmd_readv(struct pnvme_ns *ns, struct pnvme_qpair *qpair, const struct iovec *iov,
		   int iovcnt, uint64_t lba, uint32_t lba_count, pnvme_cmd_cb cb_fn, void *cb_arg,
		   uint32_t io_flags)
{
	return rwv(ns, qpair, PNVME_OPC_READ, iov, iovcnt, lba, lba_count, cb_fn, cb_arg, io_flags,
		   "readv");
}

int
pnvme_ns_cmd_writev(struct pnvme_ns *ns, struct pnvme_qpair *qpair, const struct iovec *iov,
		    int iovcnt, uint64_t lba, uint32_t lba_count, pnvme_cmd_cb cb_fn, void *cb_arg,
		    uint32_t io_flags)
{
	return rwv(ns, qpair, PNVME_OPC_WRITE, iov, iovcnt, lba, lba_count, cb_fn, cb_arg,
		   io_flags, "writev");
}

static int
compare(struct pnvme_ns *ns, struct pnvme_qpair *qpair, void *buf, uint64_t lba,
	uint32_t lba_count, pnvme_cmd_cb cb_fn, void *cb_arg, uint32_t io_flags,
	const struct ns_md *md, const char *what)
{
	if (ns != NULL && !oncs_has(ns, PNVME_ONCS_COMPARE, what)) {
		return -ENOTSUP;
	}
	return rw_shared(ns, qpair, PNVME_OPC_COMPARE, buf, NULL, 0, lba, lba_count, cb_fn,
			 cb_arg, io_flags, md, what);
}

int
pnvme_ns_cmd_compare(struct pnvme_ns *ns, struct pnvme_qpair *qpair, void *buf, uint64_t lba,
		     uint32_t lba_count, pnvme_cmd_cb cb_fn, void *cb_arg, uint32_t io_flags)
{
	return compare(ns, qpair, buf, lba, lba_count, cb_fn, cb_arg, io_flags, NULL, "compare");
}

int
pnvme_ns_cmd_compare_with_md(struct pnvme_ns *ns, struct pnvme_qpair *qpair, void *buf,
			     void *md_buf, uint64_t lba, uint32_t lba_count, pnvme_cmd_cb cb_fn,
			     void *cb_arg, uint32_t io_flags, uint16_t apptag_mask, uint16_t apptag)
{
	const struct ns_md md = {.buf = md_buf, .apptag_mask = apptag_mask, .apptag = apptag};

	return compare(ns, qpair, buf, lba, lba_count, cb_fn, cb_arg, io_flags, &md,
		       "compare_with_md");
}

static int
no_data(struct pnvme_ns *ns, struct pnvme_qpair *qpair, uint8_t opc, uint64_t lba,
	uint32_t lba_count, pnvme_cmd_cb cb_fn, void *cb_arg, uint32_t io_flags, uint32_t max_blocks,
	const char *what)
{
	struct ns_io io = {
		.opc = opc,
		.lba = lba,
		.lba_count = lba_count,
		.io_flags = io_flags,
		.max_blocks = max_blocks,
	};

	if (io_flags & FUSE_FLAGS_MASK) {
		PNVME_ERRLOG("%s: only compare and write can be fused", what);
		return -EINVAL;
	}
	return submit_io(ns, qpair, &io, cb_fn, cb_arg, what);
}

int
pnvme_ns_cmd_write_zeroes(struct pnvme_ns *ns, struct pnvme_qpair *qpair, uint64_t lba,
			  uint32_t lba_count, pnvme_cmd_cb cb_fn, void *cb_arg, uint32_t io_flags)
{
	if (ns != NULL && !oncs_has(ns, PNVME_ONCS_WRITE_ZEROES, "write_zeroes")) {
		return -ENOTSUP;
	}
	return no_data(ns, qpair, PNVME_OPC_WRITE_ZEROES, lba, lba_count, cb_fn, cb_arg, io_flags,
		       MAX_BLOCKS_PER_CMD, "write_zeroes");
}

int
pnvme_ns_cmd_verify(struct pnvme_ns *ns, struct pnvme_qpair *qpair, uint64_t lba,
		    uint32_t lba_count, pnvme_cmd_cb cb_fn, void *cb_arg, uint32_t io_flags)
{
	if (ns != NULL && !oncs_has(ns, PNVME_ONCS_VERIFY, "verify")) {
		return -ENOTSUP;
	}
	/* Controllers limit verify like a transfer (MDTS or a verify limit).
	 * PRCHK says which protection information fields it checks. */
	return no_data(ns, qpair, PNVME_OPC_VERIFY, lba, lba_count, cb_fn, cb_arg,
		       io_flags & (PNVME_IO_FLAGS_LIMITED_RETRY | PI_FLAGS_MASK),
		       ns ? max_data_blocks(ns, ns->extended_lba_size) : 1,
		       "verify");
}

/* Commands whose only data is a descriptor list in DMA-able memory. */
static int
submit_list_cmd(struct pnvme_qpair *qpair, const struct pnvme_cmd *cmd, const void *list, uint32_t list_bytes, pnvme_cmd_cb cb_fn, void *cb_arg,
		const char *what)
{
	struct nvme_request *req;

	if (list == NULL || pnvme_vtophys(list, NULL) == PNVME_VTOPHYS_ERROR ||
	    ((uintptr_t)list & 3) != 0) {
		PNVME_ERRLOG("%s: range list %p is not dword-aligned DMA-able memory", what, list);
		return -EINVAL;
	}
	req = nvme_qpair_alloc_request(qpair, cb_fn, cb_arg);
	if (req == NULL) {
		return -ENOMEM;
	}
	req->cmd = *cmd;
	req->payload = (void *)list;
	req->payload_size = list_bytes;
	return nvme_qpair_submit_request(qpair, req);
}

int
pnvme_ns_cmd_dsm(struct pnvme_ns *ns, struct pnvme_qpair *qpair,
		 const struct pnvme_dsm_range *ranges, uint16_t num_ranges, uint32_t attributes,
		 pnvme_cmd_cb cb_fn, void *cb_arg)
{
	struct pnvme_cmd cmd;
	uint16_t i;
	int rc;

	rc = check_common(ns, qpair, "dsm");
	if (rc != 0) {
		return rc;
	}
	if (!oncs_has(ns, PNVME_ONCS_DSM, "dsm")) {
		return -ENOTSUP;
	}
	if (ranges == NULL || num_ranges == 0 || num_ranges > 256) {
		PNVME_ERRLOG("dsm: %u ranges is outside 1-256", num_ranges);
		return -EINVAL;
	}
	for (i = 0; i < num_ranges; i++) {
		rc = check_range(ns, ranges[i].starting_lba, ranges[i].length, "dsm");
		if (rc != 0) {
			return rc;
		}
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = PNVME_OPC_DATASET_MANAGEMENT;
	cmd.nsid = ns->id;
	cmd.cdw10 = num_ranges - 1u;
	cmd.cdw11 = attributes;
	return submit_list_cmd(qpair, &cmd, ranges, num_ranges * (uint32_t)sizeof(*ranges),
			       cb_fn, cb_arg, "dsm");
}

int
pnvme_ns_cmd_copy(struct pnvme_ns *ns, struct pnvme_qpair *qpair,
		  const struct pnvme_copy_range *ranges, uint16_t num_ranges, uint64_t dest_lba,
		  pnvme_cmd_cb cb_fn, void *cb_arg)
{
	const struct pnvme_ns_data *nd;
	struct pnvme_cmd cmd;
	uint64_t total = 0;
	uint16_t i;
	int rc;

	rc = check_common(ns, qpair, "copy");
	if (rc != 0) {
		return rc;
	}
	if (!oncs_has(ns, PNVME_ONCS_COPY, "copy")) {
		return -ENOTSUP;
	}
	nd = &ns->data;
	/* A controller that supports Copy reports non-zero limits; zero ones
	 * (seen on emulated namespaces) mean every Copy would be refused. */
	if (nd->mssrl == 0 || nd->mcl == 0 || (ns->ctrlr->cdata.ocfs & 1) == 0) {
		PNVME_ERRLOG("copy: namespace %u accepts none (MSSRL %u, MCL %u, OCFS 0x%x)", ns->id,
			     nd->mssrl, nd->mcl, ns->ctrlr->cdata.ocfs);
		return -ENOTSUP;
	}
	if (ranges == NULL || num_ranges == 0 || num_ranges > nd->msrc + 1u) {
		PNVME_ERRLOG("copy: %u ranges is outside 1-%u (MSRC)", num_ranges, nd->msrc + 1u);
		return -EINVAL;
	}
	for (i = 0; i < num_ranges; i++) {
		uint32_t n = ranges[i].nlb + 1u;

		rc = check_range(ns, ranges[i].slba, n, "copy");
		if (rc != 0) {
			return rc;
		}
		if (n > nd->mssrl) {
			PNVME_ERRLOG("copy: range %u has %u blocks, above MSSRL %u", i, n, nd->mssrl);
			return -EINVAL;
		}
		total += n;
	}
	if (total > nd->mcl) {
		PNVME_ERRLOG("copy: %llu blocks in all, above MCL %u", (unsigned long long)total,
			     nd->mcl);
		return -EINVAL;
	}
	rc = check_range(ns, dest_lba, (uint32_t)PNVME_MIN(total, UINT32_MAX), "copy destination");
	if (rc != 0) {
		return rc;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = PNVME_OPC_COPY;
	cmd.nsid = ns->id;
	cmd.cdw10 = (uint32_t)dest_lba;
	cmd.cdw11 = (uint32_t)(dest_lba >> 32);
	cmd.cdw12 = num_ranges - 1u; /* format 0 */
	return submit_list_cmd(qpair, &cmd, ranges, num_ranges * (uint32_t)sizeof(*ranges),
			       cb_fn, cb_arg, "copy");
}

int
pnvme_ns_cmd_flush(struct pnvme_ns *ns, struct pnvme_qpair *qpair, pnvme_cmd_cb cb_fn,
		   void *cb_arg)
{
	struct nvme_request *req;
	int rc;

	rc = check_common(ns, qpair, "flush");
	if (rc != 0) {
		return rc;
	}
	req = nvme_qpair_alloc_request(qpair, cb_fn, cb_arg);
	if (req == NULL) {
		return -ENOMEM;
	}
	memset(&req->cmd, 0, sizeof(req->cmd));
	req->cmd.opc = PNVME_OPC_FLUSH;
	req->cmd.nsid = ns->id;
	return nvme_qpair_submit_request(qpair, req);
}

int
pnvme_ctrlr_cmd_io_raw(struct pnvme_ctrlr *ctrlr, struct pnvme_qpair *qpair,
		       const struct pnvme_cmd *cmd, void *buf, uint32_t len, pnvme_cmd_cb cb_fn,
		       void *cb_arg)
{
	struct nvme_request *req;

	if (ctrlr == NULL || qpair == NULL || cmd == NULL || qpair->ctrlr != ctrlr ||
	    qpair->id == 0) {
		PNVME_ERRLOG("io_raw: NULL argument, or qpair is not an I/O qpair of the controller");
		return -EINVAL;
	}
	if ((buf == NULL) != (len == 0) ||
	    (buf != NULL && pnvme_vtophys(buf, NULL) == PNVME_VTOPHYS_ERROR)) {
		PNVME_ERRLOG("io_raw: buffer %p (%u bytes) is not DMA-able memory", buf, len);
		return -EINVAL;
	}
	if (len > ctrlr->max_xfer_size) {
		PNVME_ERRLOG("io_raw: %u bytes exceed the %u-byte transfer limit", len,
			     ctrlr->max_xfer_size);
		return -EINVAL;
	}
	if (qpair->failed || qpair->epoch != ctrlr->epoch) {
		return -ENXIO; /* as for namespace commands */
	}
	req = nvme_qpair_alloc_request(qpair, cb_fn, cb_arg);
	if (req == NULL) {
		return -ENOMEM;
	}
	req->cmd = *cmd;
	memset(&req->cmd.dptr, 0, sizeof(req->cmd.dptr));
	req->payload = buf;
	req->payload_size = len;
	return nvme_qpair_submit_request(qpair, req);
}
