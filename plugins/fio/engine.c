/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fio ioengine "pnvme": fio's jobs drive NVMe namespaces through pnvme.
 * Loaded with ioengine=external:PATH; jobs run as threads (thread=1), each
 * with its own qpair per controller, so the I/O path takes no lock. fio's
 * I/O buffers are DMA memory (iomem_alloc), so the device reads and writes
 * them in place: no copy, and verify sees exactly what the device returned.
 */
#include "fio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pnvme/nvme.h"

#include "ctrlr_table.h"
#include "filename.h"

/* A namespace named by one of the job's files. */
struct file_ctx {
	struct fio_ctrlr *ctrlr;
	struct pnvme_ns *ns;
	struct pnvme_qpair *qpair; /* the job's qpair on that controller */
	uint32_t block_size;
	uint64_t num_blocks;
	uint32_t io_flags; /* on every read and write: the protection information's */
};

/* One job (one fio thread). */
struct job {
	struct file_ctx *files; /* indexed like td->files */
	unsigned int nr_files;
	struct pnvme_qpair **qpairs; /* one per distinct controller */
	struct fio_ctrlr **qpair_ctrlrs;
	unsigned int nr_qpairs;
	struct io_u **done; /* completed, not yet handed to fio */
	unsigned int nr_done;
	unsigned int nr_reported; /* the first ones, returned by the last getevents() */
	unsigned int depth;
	struct pnvme_dsm_range *ranges; /* DMA memory, one per io_u for trims */
	uint64_t next_admin_poll;
	uint64_t ticks_hz;
	uint64_t errors;
	int failed; /* a qpair reported failure */
};

static void job_free(struct job *job)
{
	unsigned int i;

	if (job == NULL) {
		return;
	}
	for (i = 0; i < job->nr_qpairs; i++) {
		pnvme_ctrlr_free_io_qpair(job->qpairs[i]);
	}
	for (i = 0; i < job->nr_files; i++) {
		fio_ctrlr_put(job->files[i].ctrlr);
	}
	pnvme_dma_free(job->ranges);
	free(job->qpairs);
	free(job->qpair_ctrlrs);
	free(job->done);
	free(job->files);
	free(job);
}

/*
 * fio's buffers hold data only. Protection information in 8 bytes of
 * metadata is the controller's to insert and strip (PRACT), with its guard
 * and, but for type 3, its reference tag checked on every read and write;
 * other metadata would have to come from the host, so such a namespace is
 * refused.
 */
static int
choose_io_flags(struct file_ctx *fc, const char *file_name)
{
	uint32_t md = pnvme_ns_get_md_size(fc->ns);
	enum pnvme_pi_type pi = pnvme_ns_get_pi_type(fc->ns);

	fc->io_flags = 0;
	if (md == 0) {
		return 0;
	}
	if (md == 8 && pi != PNVME_PI_NONE) {
		fc->io_flags = PNVME_IO_FLAGS_PRACT | PNVME_IO_FLAGS_PRCHK_GUARD |
			       (pi != PNVME_PI_TYPE3 ? PNVME_IO_FLAGS_PRCHK_REFTAG : 0);
		return 0;
	}
	log_err("pnvme: filename '%s': the namespace has %u bytes of metadata per block that "
		"the controller cannot insert for fio (only 8 bytes of protection information "
		"can be)\n",
		file_name, md);
	return 1;
}

/* Main thread, before the jobs start: attach the controllers (shared) and
 * tell fio each namespace's size. */
static int pnvme_fio_setup(struct thread_data *td)
{
	struct fio_file *f;
	struct job *job;
	unsigned int i;
	char err[256];

	if (td->io_ops_data != NULL) {
		return 0;
	}
	if (!td->o.use_thread) {
		log_err("pnvme: job '%s' needs thread=1 (the engine's jobs share one process's "
			"controllers)\n", td->o.name);
		return 1;
	}
	if (fio_env_init() != 0) {
		return 1;
	}
	job = calloc(1, sizeof(*job));
	if (job != NULL) {
		job->files = calloc(td->files_index ? td->files_index : 1, sizeof(*job->files));
	}
	if (job == NULL || job->files == NULL) {
		free(job);
		log_err("pnvme: out of memory\n");
		return 1;
	}
	td->io_ops_data = job;
	for_each_file(td, f, i) {
		struct file_ctx *fc = &job->files[i];
		struct pnvme_transport_id trid;
		uint32_t nsid;

		if (fio_filename_parse(f->file_name, &trid, &nsid, err, sizeof(err)) != 0) {
			log_err("pnvme: filename '%s': %s\n", f->file_name, err);
			return 1;
		}
		fc->ctrlr = fio_ctrlr_get(&trid);
		if (fc->ctrlr == NULL) {
			log_err("pnvme: filename '%s': cannot attach the controller\n", f->file_name);
			return 1;
		}
		job->nr_files = i + 1;
		fc->ns = pnvme_ctrlr_get_ns(fc->ctrlr->ctrlr, nsid);
		if (fc->ns == NULL || !pnvme_ns_is_active(fc->ns)) {
			log_err("pnvme: filename '%s': namespace %u is not active on the controller\n",
				f->file_name, nsid);
			return 1;
		}
		if (choose_io_flags(fc, f->file_name) != 0) {
			return 1;
		}
		fc->block_size = pnvme_ns_get_sector_size(fc->ns);
		fc->num_blocks = pnvme_ns_get_num_sectors(fc->ns);
		f->engine_data = fc;
		f->real_file_size = pnvme_ns_get_size(fc->ns);
		fio_file_set_size_known(f);
	}
	return 0;
}

/* The job's thread: a qpair per controller its files name. */
static int pnvme_fio_init(struct thread_data *td)
{
	struct job *job = td->io_ops_data;
	struct pnvme_io_qpair_opts qopts;
	unsigned int i, j;

	if (job == NULL) {
		log_err("pnvme: job '%s' was not set up\n", td->o.name);
		return 1;
	}
	job->depth = td->o.iodepth ? td->o.iodepth : 1;
	job->done = calloc(job->depth, sizeof(*job->done));
	job->qpairs = calloc(job->nr_files, sizeof(*job->qpairs));
	job->qpair_ctrlrs = calloc(job->nr_files, sizeof(*job->qpair_ctrlrs));
	job->ranges = pnvme_dma_zmalloc(job->depth * sizeof(*job->ranges), 4096, NULL);
	if (!job->done || !job->qpairs || !job->qpair_ctrlrs || !job->ranges) {
		log_err("pnvme: job '%s': out of memory\n", td->o.name);
		return 1;
	}
	job->ticks_hz = pnvme_get_ticks_hz();
	for (i = 0; i < job->nr_files; i++) {
		struct file_ctx *fc = &job->files[i];

		for (j = 0; j < job->nr_qpairs && job->qpair_ctrlrs[j] != fc->ctrlr; j++) {
		}
		if (j == job->nr_qpairs) {
			pnvme_ctrlr_get_default_io_qpair_opts(fc->ctrlr->ctrlr, &qopts, sizeof(qopts));
			/* Room for the whole depth, plus the pieces of I/O split at MDTS. */
			if (qopts.io_queue_size < job->depth + 1) {
				qopts.io_queue_size = job->depth + 1;
			}
			if (qopts.io_queue_requests < 4 * job->depth) {
				qopts.io_queue_requests = 4 * job->depth;
			}
			job->qpairs[j] = pnvme_ctrlr_alloc_io_qpair(fc->ctrlr->ctrlr, &qopts,
								    sizeof(qopts));
			if (job->qpairs[j] == NULL) {
				log_err("pnvme: job '%s': no I/O qpair on %s (every queue in use?)\n",
					td->o.name, fc->ctrlr->trid.traddr);
				return 1;
			}
			job->qpair_ctrlrs[j] = fc->ctrlr;
			job->nr_qpairs++;
		}
		fc->qpair = job->qpairs[j];
	}
	return 0;
}

static void pnvme_fio_cleanup(struct thread_data *td)
{
	struct job *job = td->io_ops_data;

	if (job != NULL && job->errors > 1) {
		log_err("pnvme: job '%s': %llu I/O errors in all\n", td->o.name,
			(unsigned long long)job->errors);
	}
	job_free(job);
	td->io_ops_data = NULL;
}

/* fio's I/O buffers, from DMA memory so the device uses them directly. */
static int pnvme_fio_iomem_alloc(struct thread_data *td, size_t total)
{
	td->orig_buffer = pnvme_dma_zmalloc(total, 4096, NULL);
	if (td->orig_buffer == NULL) {
		log_err("pnvme: job '%s': cannot allocate %zu bytes of DMA memory for I/O buffers\n",
			td->o.name, total);
		return 1;
	}
	return 0;
}

static void pnvme_fio_iomem_free(struct thread_data *td)
{
	pnvme_dma_free(td->orig_buffer);
	td->orig_buffer = NULL;
}

static int pnvme_fio_open_file(struct thread_data *td, struct fio_file *f)
{
	(void)td;
	return f->engine_data ? 0 : 1;
}

static int pnvme_fio_close_file(struct thread_data *td, struct fio_file *f)
{
	(void)td;
	(void)f;
	return 0;
}

static const char *ddir_name(enum fio_ddir ddir)
{
	switch (ddir) {
	case DDIR_READ:
		return "read";
	case DDIR_WRITE:
		return "write";
	case DDIR_TRIM:
		return "trim";
	default:
		return "flush";
	}
}

static void io_done(void *arg, const struct pnvme_cpl *cpl)
{
	struct io_u *io_u = arg;
	struct job *job = io_u->engine_data;

	if (pnvme_cpl_is_error(cpl)) {
		io_u->error = EIO;
		/* The first error of a job is logged; fio counts them all. */
		if (job->errors++ == 0) {
			log_err("pnvme: %s of %llu bytes at offset %llu: %s (SCT %u, SC 0x%02x)\n",
				ddir_name(io_u->ddir), io_u->xfer_buflen, io_u->offset,
				pnvme_status_string(&cpl->status), cpl->status.sct, cpl->status.sc);
		}
	} else {
		io_u->error = 0;
	}
	/* The qpair completes at most what getevents() asked for (<= depth). */
	if (job->nr_done < job->depth) {
		job->done[job->nr_done++] = io_u;
	}
}

static enum fio_q_status pnvme_fio_queue(struct thread_data *td, struct io_u *io_u)
{
	struct job *job = td->io_ops_data;
	struct file_ctx *fc = io_u->file->engine_data;
	uint64_t lba, count;
	int rc;

	fio_ro_check(td, io_u);
	io_u->engine_data = job;
	if (io_u->ddir == DDIR_READ || io_u->ddir == DDIR_WRITE || io_u->ddir == DDIR_TRIM) {
		if (io_u->offset % fc->block_size || io_u->xfer_buflen % fc->block_size ||
		    io_u->xfer_buflen == 0) {
			log_err("pnvme: %s of %llu bytes at offset %llu is not in whole %u-byte "
				"blocks\n", ddir_name(io_u->ddir), io_u->xfer_buflen, io_u->offset,
				fc->block_size);
			io_u->error = EINVAL;
			return FIO_Q_COMPLETED;
		}
		lba = io_u->offset / fc->block_size;
		count = io_u->xfer_buflen / fc->block_size;
		if (count > 65536 && io_u->ddir != DDIR_TRIM) {
			log_err("pnvme: %s of %llu blocks: at most 65536 per I/O\n",
				ddir_name(io_u->ddir), (unsigned long long)count);
			io_u->error = EINVAL;
			return FIO_Q_COMPLETED;
		}
	} else {
		lba = count = 0;
	}

	switch (io_u->ddir) {
	case DDIR_READ:
		rc = pnvme_ns_cmd_read(fc->ns, fc->qpair, io_u->xfer_buf, lba, (uint32_t)count,
				       io_done, io_u, fc->io_flags);
		break;
	case DDIR_WRITE:
		rc = pnvme_ns_cmd_write(fc->ns, fc->qpair, io_u->xfer_buf, lba, (uint32_t)count,
					io_done, io_u, fc->io_flags);
		break;
	case DDIR_TRIM: {
		struct pnvme_dsm_range *r = &job->ranges[io_u->index % job->depth];

		if (count > UINT32_MAX) {
			io_u->error = EINVAL;
			return FIO_Q_COMPLETED;
		}
		r->attributes = 0;
		r->length = (uint32_t)count;
		r->starting_lba = lba;
		rc = pnvme_ns_cmd_dsm(fc->ns, fc->qpair, r, 1, PNVME_DSM_ATTR_DEALLOCATE, io_done,
				      io_u);
		break;
	}
	case DDIR_SYNC:
	case DDIR_DATASYNC:
		rc = pnvme_ns_cmd_flush(fc->ns, fc->qpair, io_done, io_u);
		break;
	default:
		io_u->error = EINVAL;
		return FIO_Q_COMPLETED;
	}
	if (rc == -ENOMEM) {
		return FIO_Q_BUSY; /* the qpair's request pool is full: reap, then retry */
	}
	if (rc != 0) {
		io_u->error = rc == -ENXIO ? EIO : -rc;
		return FIO_Q_COMPLETED;
	}
	return FIO_Q_QUEUED;
}

/* Commands go to the device in queue(); nothing is held back. */
static int pnvme_fio_commit(struct thread_data *td)
{
	(void)td;
	return 0;
}

static int pnvme_fio_getevents(struct thread_data *td, unsigned int min, unsigned int max,
			       const struct timespec *t)
{
	struct job *job = td->io_ops_data;
	uint64_t now, deadline = 0;
	unsigned int i;
	int32_t rc;

	/* fio has taken what the last call returned; keep any that came since. */
	job->nr_done -= job->nr_reported;
	memmove(job->done, job->done + job->nr_reported, job->nr_done * sizeof(*job->done));
	job->nr_reported = 0;
	if (max > job->depth) {
		max = job->depth;
	}
	if (t != NULL) {
		deadline = pnvme_get_ticks() + (uint64_t)t->tv_sec * job->ticks_hz +
			   (uint64_t)t->tv_nsec * job->ticks_hz / 1000000000u;
	}
	for (;;) {
		for (i = 0; i < job->nr_qpairs && job->nr_done < max; i++) {
			rc = pnvme_qpair_process_completions(job->qpairs[i], max - job->nr_done);
			if (rc < 0 && !job->failed) {
				/* Its outstanding commands completed with an error status. */
				job->failed = 1;
				log_err("pnvme: job '%s': qpair failed (%s)\n", td->o.name,
					strerror(-rc));
			}
		}
		if (job->nr_done >= min || (job->failed && job->nr_done > 0)) {
			break;
		}
		if (job->failed) {
			return -EIO;
		}
		now = pnvme_get_ticks();
		if (deadline && now >= deadline) {
			break;
		}
		/* Keep-alive and events on the admin queue, about once a second. */
		if (now >= job->next_admin_poll) {
			for (i = 0; i < job->nr_qpairs; i++) {
				fio_ctrlr_poll_admin(job->qpair_ctrlrs[i]);
			}
			job->next_admin_poll = now + job->ticks_hz;
		}
	}
	if (job->nr_done > max) {
		job->nr_reported = max;
	} else {
		job->nr_reported = job->nr_done;
	}
	return (int)job->nr_reported;
}

static struct io_u *pnvme_fio_event(struct thread_data *td, int event)
{
	struct job *job = td->io_ops_data;

	return event >= 0 && (unsigned int)event < job->nr_reported ? job->done[event] : NULL;
}

struct ioengine_ops ioengine = {
	.name = "pnvme",
	.version = FIO_IOOPS_VERSION,
	.flags = FIO_RAWIO | FIO_NOEXTEND | FIO_NODISKUTIL | FIO_MEMALIGN | FIO_DISKLESSIO,
	.setup = pnvme_fio_setup,
	.init = pnvme_fio_init,
	.queue = pnvme_fio_queue,
	.commit = pnvme_fio_commit,
	.getevents = pnvme_fio_getevents,
	.event = pnvme_fio_event,
	.cleanup = pnvme_fio_cleanup,
	.open_file = pnvme_fio_open_file,
	.close_file = pnvme_fio_close_file,
	.iomem_alloc = pnvme_fio_iomem_alloc,
	.iomem_free = pnvme_fio_iomem_free,
};
