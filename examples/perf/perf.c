/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pnvme_perf: drive I/O at a fixed queue depth and report IOPS, bandwidth
 * and latency per namespace and thread.
 *
 * Each thread owns its workers (one per namespace x qpair) and polls them,
 * through a poll group when it has more than one; nothing on the I/O path
 * takes a lock or allocates.
 * With --reset-every the main thread resets the controllers while the
 * workload runs: commands the reset aborts are sent again, and each thread
 * reconnects its qpairs.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fabrics_opts.h"
#include "json_writer.h"
#include "latency_hist.h"
#include "latency_plot.h"
#include "pnvme/nvme.h"

#define MAX_CTRLRS 16
#define MAX_THREADS 64
#define MAX_WORKERS 256
/* getopt_long codes of the long-only options. */
#define OPT_RESET 0x2001
#define OPT_TIMEOUT 0x2002
#define OPT_TIMEOUT_ACTION 0x2003
#define OPT_NO_HUGEPAGES 0x2004
#define OPT_LATENCY_CSV 0x2005
#define OPT_PLOT 0x2006
#define OPT_PI 0x2007

enum pattern { PAT_READ, PAT_WRITE, PAT_RANDREAD, PAT_RANDWRITE, PAT_RW, PAT_RANDRW };
static const char *const g_pattern_names[] = {"read",	   "write", "randread",
					      "randwrite", "rw",    "randrw"};

/* End-to-end protection (--pi): none asked; the controller inserts and
 * strips it (PRACT); the host generates it for each write and, with
 * --verify, checks what it reads back. Both have the controller check it. */
enum pi_mode { PI_OFF, PI_PRACT, PI_HOST };

struct config {
	uint32_t depth;
	uint32_t io_size;
	enum pattern pattern;
	int read_pct;
	uint32_t seconds;
	char core_mask[32];
	uint32_t num_threads;
	uint32_t qpairs_per_ns;
	int latency_level; /* 0 none, 1 percentiles, 2 + histogram */
	const char *latency_csv; /* --latency-csv FILE */
	const char *plot_svg;    /* --plot FILE.svg */
	bool verify;
	enum pi_mode pi_mode;
	bool json;
	bool no_hugepages;
	bool random;
	uint32_t reset_every_s;  /* 0: never */
	uint64_t io_timeout_us;  /* 0: none */
	enum pnvme_timeout_action timeout_action;
};

struct worker;

struct task {
	struct worker *worker;
	uint8_t *buf;
	uint8_t *vbuf; /* verify: read-back buffer */
	uint8_t *md;   /* metadata kept apart from the data, or NULL */
	uint8_t *vmd;
	uint64_t lba;
	uint64_t start;
	bool is_read;
	bool verifying; /* verify: this completion is the read-back */
	bool idle;      /* not submitted (its qpair is reconnecting): send again */
	uint32_t seq;
	/* verify: the task only uses slots = stripe (mod stripes), so no two
	 * tasks of the namespace ever have the same block in flight. */
	uint32_t stripe;
};

struct worker {
	struct pnvme_ns *ns;
	struct pnvme_qpair *qpair;
	uint32_t thread;
	uint32_t blocks_per_io;
	/* Bytes of one I/O's data buffer (metadata interleaved included) and
	 * of its separate metadata buffer; the protection flags it uses. */
	uint32_t buf_bytes;
	uint32_t md_bytes;
	uint32_t io_flags;
	uint64_t num_ios_range; /* I/O-sized slots in the namespace */
	uint32_t stripes;       /* verify: tasks sharing the namespace */
	uint64_t seq_next;
	uint64_t rng;
	struct task *tasks;
	uint32_t outstanding;
	uint32_t idle;
	bool draining;
	bool disconnected; /* its poll group said so: reconnect it */
	/* Results. */
	_Atomic uint64_t ios;
	uint64_t lat_sum, lat_min, lat_max;
	uint64_t verify_errors;
	uint64_t io_errors;
	uint64_t submit_errors;
	uint64_t aborted; /* completed aborted by a reset: sent again */
	uint64_t retries; /* tasks sent again after an abort or a refused submission */
	/* Every request handed to the driver and every completion seen: equal
	 * at the end, however the run ended. */
	uint64_t submitted;
	uint64_t completed;
	uint64_t *hist;
};

struct thread_ctx {
	pthread_t tid;
	int core;
	uint32_t index;
	struct worker *workers[MAX_WORKERS];
	uint32_t num_workers;
	/* More than one worker: they are polled as one group. */
	struct pnvme_poll_group *group;
	uint32_t num_grouped; /* workers[0..num_grouped) are in it */
	struct pnvme_poll_group_stats group_stats;
	int failed;
};

static struct config g_cfg;
static struct pnvme_ctrlr *g_ctrlrs[MAX_CTRLRS];
static int g_num_ctrlrs;
static struct worker g_workers[MAX_WORKERS];
static uint32_t g_num_workers;
static struct thread_ctx g_threads[MAX_THREADS];
static atomic_bool g_stop;
static atomic_int g_threads_running;
static uint64_t g_hz;
static uint64_t g_resets;

static void
usage(const char *prog)
{
	printf("Usage: %s -q DEPTH -o SIZE -w PATTERN -t SECONDS [options]\n"
	       "  -q, --depth N        outstanding I/Os per qpair\n"
	       "  -o, --size BYTES     I/O size (a multiple of the block size)\n"
	       "  -w, --pattern P      read, write, randread, randwrite, rw, randrw\n"
	       "  -M, --rwmix PCT      reads in percent for rw/randrw (default 50)\n"
	       "  -t, --time SEC       run time\n"
	       "  -c, --cores MASK|N   0x-prefixed core mask, or a thread count (default 1)\n"
	       "  -r, --trid TRID      controller (repeatable; default every local one)\n"
	       "  -P, --qpairs N       qpairs per namespace (default 1)\n"
	       "  -L                   latency percentiles; -LL adds the histogram\n"
	       "  --latency-csv FILE   the latency histogram as CSV (whole run, then per job)\n"
	       "  --plot FILE.svg      draw the histogram and its CDF (scripts/latency_plot.sh)\n"
	       "  -V, --verify         write, read back and compare every block\n"
	       "  --pi pract|host      end-to-end protection checked by the controller; pract:\n"
	       "                       it inserts and strips it; host: generated per write\n"
	       "                       (and with --verify checked on reads) by the host\n"
	       "  --reset-every SEC    reset the controllers every SEC seconds while running\n"
	       "  --timeout-us US      I/O timeout; late commands are logged\n"
	       "  --timeout-action A   none, abort or reset: what a timeout does\n"
	       "  -j, --json           results as JSON\n"
	       "  --no-hugepages       plain memory instead of hugepages (fabrics only)\n"
	       "  -h, --help           this text\n" FABRICS_USAGE,
	       prog);
}

static int
parse_pattern(const char *s, enum pattern *p)
{
	int i;

	for (i = 0; i < 6; i++) {
		if (strcmp(s, g_pattern_names[i]) == 0) {
			*p = (enum pattern)i;
			return 0;
		}
	}
	return -1;
}

static int
parse_timeout_action(const char *s, enum pnvme_timeout_action *a)
{
	static const char *const names[] = {"none", "abort", "reset"};
	int i;

	for (i = 0; i < 3; i++) {
		if (strcmp(s, names[i]) == 0) {
			*a = (enum pnvme_timeout_action)i;
			return 0;
		}
	}
	return -1;
}

static uint64_t
xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static double
ticks_to_us(uint64_t ticks)
{
	return hist_ticks_to_us(ticks, g_hz);
}

/* A histogram is kept for -L, --latency-csv and --plot. */
static bool
hist_wanted(void)
{
	return g_cfg.latency_level > 0 || g_cfg.latency_csv != NULL || g_cfg.plot_svg != NULL;
}

/* ---------------- I/O ---------------- */

static void io_done(void *arg, const struct pnvme_cpl *cpl);
static void task_set_idle(struct task *t, int rc);

static void
fill_pattern(struct task *t)
{
	struct worker *w = t->worker;
	uint64_t *p = (uint64_t *)t->buf;
	uint32_t i;

	for (i = 0; i < w->buf_bytes / 8; i++) {
		p[i] = (t->lba << 20) ^ ((uint64_t)t->seq << 40) ^ i ^ 0x5a5a5a5a5a5a5a5aull;
	}
	for (i = 0; i < w->md_bytes; i++) {
		t->md[i] = (uint8_t)(t->seq + i);
	}
}

static void
submit_task(struct task *t)
{
	struct worker *w = t->worker;
	uint64_t slot;
	int rc;

	if (g_cfg.verify) {
		slot = (g_cfg.random ? xorshift(&w->rng) : w->seq_next++) %
			       (w->num_ios_range / w->stripes) * w->stripes +
		       t->stripe;
	} else if (g_cfg.random) {
		slot = xorshift(&w->rng) % w->num_ios_range;
	} else {
		slot = w->seq_next++;
		if (w->seq_next >= w->num_ios_range) {
			w->seq_next = 0;
		}
	}
	t->lba = slot * w->blocks_per_io;
	t->verifying = false;
	if (g_cfg.verify) {
		t->is_read = false;
		t->seq++;
		fill_pattern(t);
	} else if (g_cfg.pattern == PAT_READ || g_cfg.pattern == PAT_RANDREAD) {
		t->is_read = true;
	} else if (g_cfg.pattern == PAT_WRITE || g_cfg.pattern == PAT_RANDWRITE) {
		t->is_read = false;
	} else {
		t->is_read = (int)(xorshift(&w->rng) % 100) < g_cfg.read_pct;
	}
	if (!t->is_read && g_cfg.pi_mode == PI_HOST) {
		pnvme_ns_dif_generate(w->ns, t->buf, t->md, t->lba, w->blocks_per_io, 0);
	}
	t->start = pnvme_get_ticks();
	rc = t->is_read ? pnvme_ns_cmd_read_with_md(w->ns, w->qpair, t->buf, t->md, t->lba,
						    w->blocks_per_io, io_done, t, w->io_flags, 0, 0)
			: pnvme_ns_cmd_write_with_md(w->ns, w->qpair, t->buf, t->md, t->lba,
						     w->blocks_per_io, io_done, t, w->io_flags, 0, 0);
	if (rc == 0) {
		w->outstanding++;
		w->submitted++;
	} else {
		task_set_idle(t, rc);
	}
}

/* A submission refused: -ENXIO while the qpair waits to reconnect after a
 * reset (the task goes again then), anything else is an error. */
static void
task_set_idle(struct task *t, int rc)
{
	struct worker *w = t->worker;

	if (rc != -ENXIO) {
		w->submit_errors++;
	}
	t->idle = true;
	w->idle++;
}

/* After a reset: bring the qpair back, then send the idle tasks again.
 * false when the qpair cannot come back. */
static bool
worker_recover(struct worker *w)
{
	uint32_t j;
	int rc = pnvme_ctrlr_reconnect_io_qpair(w->qpair);

	if (rc == -EAGAIN) {
		return true; /* still resetting */
	}
	if (rc != 0) {
		return false;
	}
	w->disconnected = false;
	for (j = 0; j < g_cfg.depth && w->idle > 0 && !w->draining; j++) {
		struct task *t = &w->tasks[j];

		if (t->idle) {
			t->idle = false;
			w->idle--;
			w->retries++;
			submit_task(t);
		}
	}
	return true;
}

static void
io_done(void *arg, const struct pnvme_cpl *cpl)
{
	struct task *t = arg;
	struct worker *w = t->worker;
	uint64_t lat = pnvme_get_ticks() - t->start;

	w->outstanding--;
	w->completed++;
	if (pnvme_cpl_is_error(cpl) && cpl->status.sct == PNVME_SCT_GENERIC &&
	    cpl->status.sc == PNVME_SC_ABORTED_SQ_DELETION) {
		/* A reset took it: the task goes again, not counted as done. */
		w->aborted++;
		if (!w->draining) {
			w->retries++;
			submit_task(t);
		}
		return;
	}
	if (pnvme_cpl_is_error(cpl)) {
		w->io_errors++;
	}
	if (g_cfg.verify && !t->verifying && !pnvme_cpl_is_error(cpl)) {
		/* The write landed: read it back into the second buffer. */
		t->verifying = true;
		memset(t->vbuf, 0, w->buf_bytes);
		if (pnvme_ns_cmd_read_with_md(w->ns, w->qpair, t->vbuf, t->vmd, t->lba,
					      w->blocks_per_io, io_done, t, w->io_flags, 0, 0) == 0) {
			w->outstanding++;
			w->submitted++;
		} else {
			task_set_idle(t, -ENXIO); /* the write is redone with the task */
		}
		return;
	}
	if (g_cfg.verify && t->verifying &&
	    (memcmp(t->buf, t->vbuf, w->buf_bytes) != 0 ||
	     (w->md_bytes != 0 && memcmp(t->md, t->vmd, w->md_bytes) != 0) ||
	     (g_cfg.pi_mode == PI_HOST &&
	      pnvme_ns_dif_verify(w->ns, t->vbuf, t->vmd, t->lba, w->blocks_per_io,
				  w->io_flags, 0, 0, NULL) != 0))) {
		w->verify_errors++;
	}
	atomic_fetch_add_explicit(&w->ios, 1, memory_order_relaxed);
	w->lat_sum += lat;
	if (lat < w->lat_min) {
		w->lat_min = lat;
	}
	if (lat > w->lat_max) {
		w->lat_max = lat;
	}
	if (w->hist != NULL) {
		w->hist[hist_index(lat)]++;
	}
	if (!w->draining) {
		submit_task(t);
	}
}

/* A poll group told: the qpair is disconnected. */
static void
group_qpair_disconnected(struct pnvme_qpair *qpair, void *ctx)
{
	struct thread_ctx *tc = ctx;
	uint32_t i;

	for (i = 0; i < tc->num_workers; i++) {
		if (tc->workers[i]->qpair == qpair) {
			tc->workers[i]->disconnected = true;
		}
	}
}

static int
thread_group_create(struct thread_ctx *tc)
{
	uint32_t i;

	tc->group = pnvme_poll_group_create(tc);
	if (tc->group == NULL) {
		return -1;
	}
	for (i = 0; i < tc->num_workers; i++) {
		if (pnvme_poll_group_add(tc->group, tc->workers[i]->qpair) != 0) {
			return -1;
		}
		tc->num_grouped++;
	}
	return 0;
}

static void
thread_group_destroy(struct thread_ctx *tc)
{
	uint32_t i;

	if (tc->group == NULL) {
		return;
	}
	pnvme_poll_group_get_stats(tc->group, &tc->group_stats, sizeof(tc->group_stats));
	for (i = 0; i < tc->num_grouped; i++) {
		pnvme_poll_group_remove(tc->group, tc->workers[i]->qpair);
	}
	pnvme_poll_group_destroy(tc->group);
	tc->group = NULL;
}

/* One poll of every qpair of the thread: marks the disconnected ones. */
static void
thread_poll(struct thread_ctx *tc)
{
	uint32_t i;

	if (tc->group != NULL) {
		pnvme_poll_group_process_completions(tc->group, 0, group_qpair_disconnected);
		return;
	}
	for (i = 0; i < tc->num_workers; i++) {
		struct worker *w = tc->workers[i];

		if (pnvme_qpair_process_completions(w->qpair, 0) < 0) {
			w->disconnected = true;
		}
	}
}

static void *
thread_main(void *arg)
{
	struct thread_ctx *tc = arg;
	uint32_t i, j;
	cpu_set_t set;
	bool busy;

	if (tc->core >= 0) {
		CPU_ZERO(&set);
		CPU_SET(tc->core, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	if (tc->num_workers > 1 && thread_group_create(tc) != 0) {
		/* Polled one by one instead, so the drain below still works. */
		thread_group_destroy(tc);
		tc->failed = 1;
		atomic_store(&g_stop, true);
	}
	for (i = 0; i < tc->num_workers; i++) {
		for (j = 0; j < g_cfg.depth; j++) {
			submit_task(&tc->workers[i]->tasks[j]);
		}
	}
	while (!atomic_load_explicit(&g_stop, memory_order_relaxed)) {
		thread_poll(tc);
		for (i = 0; i < tc->num_workers; i++) {
			struct worker *w = tc->workers[i];

			if ((w->disconnected || w->idle > 0) && !worker_recover(w)) {
				tc->failed = 1;
				atomic_store(&g_stop, true);
			}
		}
	}
	/* Drain: everything submitted completes before the qpair goes. */
	for (i = 0; i < tc->num_workers; i++) {
		tc->workers[i]->draining = true;
	}
	do {
		thread_poll(tc);
		busy = false;
		for (i = 0; i < tc->num_workers; i++) {
			struct worker *w = tc->workers[i];

			if (w->disconnected) {
				w->outstanding = 0; /* failed: all completed with errors */
			}
			busy |= w->outstanding > 0;
		}
	} while (busy);
	thread_group_destroy(tc);
	atomic_fetch_sub(&g_threads_running, 1);
	return NULL;
}

/* ---------------- set-up ---------------- */

/* Controllers the driver reported removed (remove_cb), by index. */
static bool g_removed[MAX_CTRLRS];
static bool g_any_pcie;
static void attach_cb(void *ctx, const struct pnvme_transport_id *trid, struct pnvme_ctrlr *ctrlr,
		      const struct pnvme_ctrlr_opts *opts);

static void
remove_cb(void *ctx, struct pnvme_ctrlr *ctrlr)
{
	int i;

	(void)ctx;
	for (i = 0; i < g_num_ctrlrs; i++) {
		if (g_ctrlrs[i] == ctrlr) {
			g_removed[i] = true;
		}
	}
	fprintf(stderr, "pnvme_perf: controller %s was removed\n",
		pnvme_ctrlr_get_transport_id(ctrlr)->traddr);
	atomic_store(&g_stop, true);
}

/* The run's controllers are fixed: the hotplug poll only reports removals. */
static bool
no_new_ctrlr_cb(void *ctx, const struct pnvme_transport_id *trid, struct pnvme_ctrlr_opts *opts)
{
	(void)ctx;
	(void)trid;
	(void)opts;
	return false;
}

static void
watch_removals(void)
{
	if (g_any_pcie) {
		pnvme_hotplug_poll(NULL, no_new_ctrlr_cb, attach_cb, remove_cb);
	}
}

static void
attach_cb(void *ctx, const struct pnvme_transport_id *trid, struct pnvme_ctrlr *ctrlr,
	  const struct pnvme_ctrlr_opts *opts)
{
	(void)ctx;
	(void)opts;
	if (g_num_ctrlrs < MAX_CTRLRS) {
		g_ctrlrs[g_num_ctrlrs++] = ctrlr;
		if (!g_cfg.json) {
			printf("Attached %s\n", trid->traddr);
		}
	} else {
		pnvme_detach(ctrlr);
	}
}

static int
parse_cores(const char *arg)
{
	char *end;
	unsigned long v;

	if (strncmp(arg, "0x", 2) == 0 || strncmp(arg, "0X", 2) == 0) {
		v = strtoul(arg, &end, 16);
		if (*end != '\0' || v == 0) {
			return -1;
		}
		snprintf(g_cfg.core_mask, sizeof(g_cfg.core_mask), "0x%lx", v);
		g_cfg.num_threads = (uint32_t)__builtin_popcountl(v);
		return 0;
	}
	v = strtoul(arg, &end, 10);
	if (*end != '\0' || v == 0 || v > MAX_THREADS) {
		return -1;
	}
	g_cfg.num_threads = (uint32_t)v;
	snprintf(g_cfg.core_mask, sizeof(g_cfg.core_mask), "0x%lx",
		 v >= 64 ? ~0ul : (1ul << v) - 1);
	return 0;
}

/* The buffers and flags a worker's namespace format asks for: metadata
 * interleaved or apart, and the protection --pi asks for. */
static int
set_up_metadata(struct worker *w)
{
	enum pnvme_pi_type type = pnvme_ns_get_pi_type(w->ns);
	uint32_t md = pnvme_ns_get_md_size(w->ns), id = pnvme_ns_get_id(w->ns);
	bool stripped = g_cfg.pi_mode == PI_PRACT && md == 8;

	if (g_cfg.pi_mode != PI_OFF && type == PNVME_PI_NONE) {
		fprintf(stderr, "perf: --pi: namespace %u has no protection information\n", id);
		return -1;
	}
	if (g_cfg.pi_mode == PI_PRACT && md != 8) {
		fprintf(stderr, "perf: --pi pract: namespace %u has %u bytes of metadata; the "
				"controller inserts and strips only 8 (protection alone)\n",
			id, md);
		return -1;
	}
	w->buf_bytes = w->blocks_per_io * (stripped ? pnvme_ns_get_sector_size(w->ns)
						    : pnvme_ns_get_extended_sector_size(w->ns));
	w->md_bytes = md != 0 && !stripped && !pnvme_ns_supports_extended_lba(w->ns)
			      ? w->blocks_per_io * md
			      : 0;
	w->io_flags = 0;
	if (g_cfg.pi_mode != PI_OFF) {
		w->io_flags = PNVME_IO_FLAGS_PRCHK_GUARD |
			      (type != PNVME_PI_TYPE3 ? PNVME_IO_FLAGS_PRCHK_REFTAG : 0) |
			      (g_cfg.pi_mode == PI_PRACT ? PNVME_IO_FLAGS_PRACT : 0);
	}
	return 0;
}

static int
setup_workers(void)
{
	struct pnvme_io_qpair_opts qopts;
	uint32_t c, p, t = 0, j, max_entries;
	uint32_t nsid;

	for (c = 0; c < (uint32_t)g_num_ctrlrs; c++) {
		for (nsid = pnvme_ctrlr_get_first_active_ns(g_ctrlrs[c]); nsid != 0;
		     nsid = pnvme_ctrlr_get_next_active_ns(g_ctrlrs[c], nsid)) {
			struct pnvme_ns *ns = pnvme_ctrlr_get_ns(g_ctrlrs[c], nsid);
			uint32_t bs = pnvme_ns_get_sector_size(ns);

			if (g_cfg.io_size % bs != 0) {
				fprintf(stderr, "perf: I/O size %u is not a multiple of namespace %u's "
						"%u-byte blocks\n",
					g_cfg.io_size, nsid, bs);
				return -1;
			}
			for (p = 0; p < g_cfg.qpairs_per_ns; p++) {
				struct worker *w;

				if (g_num_workers == MAX_WORKERS) {
					fprintf(stderr, "perf: more than %d workers\n", MAX_WORKERS);
					return -1;
				}
				w = &g_workers[g_num_workers];
				w->ns = ns;
				w->thread = t;
				w->blocks_per_io = g_cfg.io_size / bs;
				if (set_up_metadata(w) != 0) {
					return -1;
				}
				w->num_ios_range = pnvme_ns_get_num_sectors(ns) / w->blocks_per_io;
				w->stripes = g_cfg.qpairs_per_ns * g_cfg.depth;
				if (g_cfg.verify && w->num_ios_range < w->stripes) {
					fprintf(stderr, "perf: namespace %u has fewer I/O-sized "
							"blocks than --verify needs (%u)\n",
						nsid, w->stripes);
					return -1;
				}
				w->rng = 0x9e3779b97f4a7c15ull * (g_num_workers + 1);
				w->lat_min = UINT64_MAX;
				pnvme_ctrlr_get_default_io_qpair_opts(g_ctrlrs[c], &qopts, sizeof(qopts));
				/* As deep as asked, up to what the controller allows
				 * (CAP.MQES); the library queues the rest in software. */
				max_entries = pnvme_ctrlr_get_regs_cap(g_ctrlrs[c]).bits.mqes + 1u;
				if (qopts.io_queue_size < g_cfg.depth + 1) {
					qopts.io_queue_size = g_cfg.depth + 1 < max_entries ? g_cfg.depth + 1 : max_entries;
				}
				qopts.io_queue_requests = g_cfg.depth * 2 + 16;
				qopts.delay_cmd_submit = true;
				w->qpair = pnvme_ctrlr_alloc_io_qpair(g_ctrlrs[c], &qopts, sizeof(qopts));
				w->tasks = calloc(g_cfg.depth, sizeof(*w->tasks));
				if (hist_wanted()) {
					w->hist = calloc(HIST_BUCKETS, sizeof(*w->hist));
				}
				if (w->qpair == NULL || w->tasks == NULL ||
				    (hist_wanted() && w->hist == NULL)) {
					fprintf(stderr, "perf: cannot set up a qpair for namespace %u\n",
						nsid);
					return -1;
				}
				for (j = 0; j < g_cfg.depth; j++) {
					w->tasks[j].worker = w;
					w->tasks[j].stripe = p * g_cfg.depth + j;
					w->tasks[j].buf = pnvme_dma_zmalloc(w->buf_bytes, 4096, NULL);
					w->tasks[j].vbuf = g_cfg.verify ? pnvme_dma_zmalloc(w->buf_bytes,
											4096, NULL)
									: NULL;
					if (w->md_bytes != 0) {
						w->tasks[j].md = pnvme_dma_zmalloc(w->md_bytes, 64, NULL);
						w->tasks[j].vmd = pnvme_dma_zmalloc(w->md_bytes, 64, NULL);
					}
					if (w->tasks[j].buf == NULL || (g_cfg.verify && !w->tasks[j].vbuf) ||
					    (w->md_bytes != 0 &&
					     (w->tasks[j].md == NULL || w->tasks[j].vmd == NULL))) {
						fprintf(stderr, "perf: out of DMA memory\n");
						return -1;
					}
				}
				g_threads[t].workers[g_threads[t].num_workers++] = w;
				g_num_workers++;
				t = (t + 1) % g_cfg.num_threads;
			}
		}
	}
	if (g_num_workers == 0) {
		fprintf(stderr, "perf: no namespace to drive\n");
		return -1;
	}
	return 0;
}

/* ---------------- report ---------------- */

struct summary {
	uint64_t ios, lat_sum, lat_min, lat_max, errors, verify_errors, aborted, retries;
	uint64_t sq_doorbells, cq_doorbells; /* doorbell writes that reached the device */
	uint64_t recv_calls, recv_empty_calls, send_calls; /* NVMe/TCP system calls */
	uint64_t post_send_calls, post_recv_calls, cq_polls, cq_empty_polls; /* NVMe/RDMA */
	bool shadow_doorbells;
};

static void
summarize(struct summary *s, const struct worker *w)
{
	s->ios += w->ios;
	s->lat_sum += w->lat_sum;
	if (w->lat_min < s->lat_min) {
		s->lat_min = w->lat_min;
	}
	if (w->lat_max > s->lat_max) {
		s->lat_max = w->lat_max;
	}
	struct pnvme_qpair_stats qs;

	s->errors += w->io_errors + w->submit_errors;
	s->verify_errors += w->verify_errors;
	s->aborted += w->aborted;
	s->retries += w->retries;
	if (pnvme_qpair_get_stats(w->qpair, &qs, sizeof(qs)) == 0) {
		s->sq_doorbells += qs.sq_doorbell_writes;
		s->cq_doorbells += qs.cq_doorbell_writes;
		s->shadow_doorbells |= qs.shadow_doorbells;
		s->recv_calls += qs.recv_calls;
		s->recv_empty_calls += qs.recv_empty_calls;
		s->send_calls += qs.send_calls;
		s->post_send_calls += qs.post_send_calls;
		s->post_recv_calls += qs.post_recv_calls;
		s->cq_polls += qs.cq_polls;
		s->cq_empty_polls += qs.cq_empty_polls;
	}
}

static double
per_io(uint64_t count, uint64_t ios)
{
	return ios ? (double)count / (double)ios : 0.0;
}

static double
percentile(const uint64_t *hist, uint64_t total, double pct)
{
	return hist_percentile_us(hist, total, pct, g_hz);
}

static void
worker_name(const struct worker *w, char *name, size_t len)
{
	snprintf(name, len, "%s ns %u",
		 pnvme_ctrlr_get_transport_id(pnvme_ns_get_ctrlr(w->ns))->traddr,
		 pnvme_ns_get_id(w->ns));
}

/* The transport of every controller, or "mixed". */
static const char *
transport_name(void)
{
	enum pnvme_transport_type t = pnvme_ctrlr_get_transport_id(g_ctrlrs[0])->trtype;
	int i;

	for (i = 1; i < g_num_ctrlrs; i++) {
		if (pnvme_ctrlr_get_transport_id(g_ctrlrs[i])->trtype != t) {
			return "mixed";
		}
	}
	return pnvme_transport_type_str(t);
}

/* --latency-csv: the whole run's rows (job "all"), then each worker's when
 * there are several. The '#' lines say what ran: the plot's title and
 * percentile marks come from them, so they match this run's report. */
static int
write_latency_csv(FILE *f, const uint64_t *hist, uint64_t ios, double elapsed)
{
	char name[PNVME_TRADDR_MAX_LEN + 32];
	uint32_t i, k;

	fprintf(f, "# pnvme_perf latency histogram\n# rw=%s\n", g_pattern_names[g_cfg.pattern]);
	if (g_cfg.pattern == PAT_RW || g_cfg.pattern == PAT_RANDRW) {
		fprintf(f, "# rwmix_read=%d\n", g_cfg.read_pct);
	}
	fprintf(f, "# bs=%u\n# qd=%u\n# transport=%s\n# jobs=%u\n# seconds=%.3f\n",
		g_cfg.io_size, g_cfg.depth, transport_name(), g_num_workers, elapsed);
	fprintf(f, "# ios=%" PRIu64 "\n# iops=%.1f\n", ios, (double)ios / elapsed);
	for (k = 0; k < HIST_NUM_PCTS; k++) {
		fprintf(f, "# p%g_us=%.9g\n", hist_pcts[k], percentile(hist, ios, hist_pcts[k]));
	}
	for (i = 0; i < g_num_workers && g_num_workers > 1; i++) {
		worker_name(&g_workers[i], name, sizeof(name));
		fprintf(f, "# job w%u: thread %u, %s\n", i, g_workers[i].thread, name);
	}
	hist_csv_header(f);
	hist_csv_rows(f, "all", hist, g_hz);
	for (i = 0; i < g_num_workers && g_num_workers > 1; i++) {
		snprintf(name, sizeof(name), "w%u", i);
		hist_csv_rows(f, name, g_workers[i].hist, g_hz);
	}
	return ferror(f) ? -EIO : 0;
}

/* --latency-csv and --plot; the plot reads the CSV, a temporary one when
 * no --latency-csv was asked for. */
static int
write_latency_files(const uint64_t *hist, uint64_t ios, double elapsed)
{
	char tmp[] = "/tmp/pnvme_perf_latency.XXXXXX";
	const char *csv = g_cfg.latency_csv;
	FILE *f;
	int fd, rc;

	if (csv != NULL) {
		f = fopen(csv, "w");
	} else {
		fd = mkstemp(tmp);
		f = fd < 0 ? NULL : fdopen(fd, "w");
		csv = tmp;
	}
	if (f == NULL) {
		fprintf(stderr, "perf: cannot write %s (%s)\n", csv, strerror(errno));
		return -1;
	}
	rc = write_latency_csv(f, hist, ios, elapsed);
	if (fclose(f) != 0 || rc != 0) {
		fprintf(stderr, "perf: cannot write %s\n", csv);
		rc = -1;
	}
	if (rc == 0 && g_cfg.plot_svg != NULL) {
		rc = latency_plot_run(csv, g_cfg.plot_svg);
	}
	if (rc == 0 && !g_cfg.json && g_cfg.latency_csv != NULL) {
		printf("Latency histogram (CSV): %s\n", g_cfg.latency_csv);
	}
	if (rc == 0 && !g_cfg.json && g_cfg.plot_svg != NULL) {
		printf("Latency plot: %s\n", g_cfg.plot_svg);
	}
	if (csv == tmp) {
		unlink(tmp);
	}
	return rc;
}

static int
report(double elapsed)
{
	struct summary total = {.lat_min = UINT64_MAX};
	uint64_t *hist = NULL, readiness_calls = 0;
	uint32_t grouped_threads = 0;
	struct json_writer jw;
	uint32_t i, k;
	int rc = 0;

	for (i = 0; i < g_cfg.num_threads; i++) {
		readiness_calls += g_threads[i].group_stats.readiness_calls;
		grouped_threads += g_threads[i].group_stats.polls > 0;
	}
	if (hist_wanted()) {
		hist = calloc(HIST_BUCKETS, sizeof(*hist));
		for (i = 0; i < g_num_workers && hist; i++) {
			for (k = 0; k < HIST_BUCKETS; k++) {
				hist[k] += g_workers[i].hist[k];
			}
		}
	}
	if (g_cfg.json) {
		json_init(&jw, stdout);
		json_begin_object(&jw, NULL);
		json_uint(&jw, "depth", g_cfg.depth);
		json_uint(&jw, "io_size", g_cfg.io_size);
		json_double(&jw, "seconds", elapsed);
		json_begin_array(&jw, "workers");
	} else {
		printf("\n%-34s %6s %12s %10s %10s %10s %10s\n", "Namespace / thread", "", "IOPS",
		       "MiB/s", "avg (us)", "min (us)", "max (us)");
	}
	for (i = 0; i < g_num_workers; i++) {
		const struct worker *w = &g_workers[i];
		struct summary s = {.lat_min = UINT64_MAX};
		char name[PNVME_TRADDR_MAX_LEN + 32];
		double iops;

		summarize(&s, w);
		summarize(&total, w);
		iops = (double)s.ios / elapsed;
		worker_name(w, name, sizeof(name));
		if (g_cfg.json) {
			json_begin_object(&jw, NULL);
			json_string(&jw, "namespace", name);
			json_uint(&jw, "thread", w->thread);
			json_double(&jw, "iops", iops);
			json_double(&jw, "mib_per_s", iops * g_cfg.io_size / 1048576.0);
			json_double(&jw, "avg_us", s.ios ? ticks_to_us(s.lat_sum / s.ios) : 0);
			json_double(&jw, "min_us", s.ios ? ticks_to_us(s.lat_min) : 0);
			json_double(&jw, "max_us", ticks_to_us(s.lat_max));
			json_uint(&jw, "errors", s.errors);
			json_uint(&jw, "verify_errors", s.verify_errors);
			json_end_object(&jw);
		} else {
			printf("%-34s %6u %12.1f %10.2f %10.2f %10.2f %10.2f\n", name, w->thread, iops,
			       iops * g_cfg.io_size / 1048576.0,
			       s.ios ? ticks_to_us(s.lat_sum / s.ios) : 0.0,
			       s.ios ? ticks_to_us(s.lat_min) : 0.0, ticks_to_us(s.lat_max));
		}
	}
	if (g_cfg.json) {
		json_end_array(&jw);
		json_begin_object(&jw, "total");
		json_double(&jw, "iops", (double)total.ios / elapsed);
		json_double(&jw, "mib_per_s", (double)total.ios / elapsed * g_cfg.io_size / 1048576.0);
		json_double(&jw, "avg_us", total.ios ? ticks_to_us(total.lat_sum / total.ios) : 0);
		json_double(&jw, "min_us", total.ios ? ticks_to_us(total.lat_min) : 0);
		json_double(&jw, "max_us", ticks_to_us(total.lat_max));
		json_uint(&jw, "errors", total.errors);
		json_uint(&jw, "verify_errors", total.verify_errors);
		json_uint(&jw, "aborted_by_reset", total.aborted);
		json_uint(&jw, "retries", total.retries);
		json_uint(&jw, "resets", g_resets);
		json_double(&jw, "sq_doorbells_per_io", per_io(total.sq_doorbells, total.ios));
		json_double(&jw, "cq_doorbells_per_io", per_io(total.cq_doorbells, total.ios));
		json_bool(&jw, "shadow_doorbells", total.shadow_doorbells);
		json_double(&jw, "recv_calls_per_io", per_io(total.recv_calls, total.ios));
		json_double(&jw, "recv_empty_calls_per_io", per_io(total.recv_empty_calls, total.ios));
		json_double(&jw, "send_calls_per_io", per_io(total.send_calls, total.ios));
		json_double(&jw, "readiness_calls_per_io", per_io(readiness_calls, total.ios));
		json_double(&jw, "post_send_calls_per_io", per_io(total.post_send_calls, total.ios));
		json_double(&jw, "post_recv_calls_per_io", per_io(total.post_recv_calls, total.ios));
		json_double(&jw, "cq_polls_per_io", per_io(total.cq_polls, total.ios));
		json_double(&jw, "cq_empty_polls_per_io", per_io(total.cq_empty_polls, total.ios));
		json_uint(&jw, "poll_group_threads", grouped_threads);
		json_double(&jw, "syscalls_per_io",
			    per_io(total.recv_calls + total.send_calls + readiness_calls, total.ios));
		if (hist != NULL) {
			for (k = 0; k < HIST_NUM_PCTS; k++) {
				char key[16];

				snprintf(key, sizeof(key), "p%g", hist_pcts[k]);
				json_double(&jw, key, percentile(hist, total.ios, hist_pcts[k]));
			}
		}
		json_end_object(&jw);
		json_end_object(&jw);
	} else {
		printf("%-34s %6s %12.1f %10.2f %10.2f %10.2f %10.2f\n", "Total", "",
		       (double)total.ios / elapsed,
		       (double)total.ios / elapsed * g_cfg.io_size / 1048576.0,
		       total.ios ? ticks_to_us(total.lat_sum / total.ios) : 0.0,
		       total.ios ? ticks_to_us(total.lat_min) : 0.0, ticks_to_us(total.lat_max));
		if (total.cq_polls > 0) {
			printf("RDMA calls per I/O, none a system call: post SEND %.3f, post RECV "
			       "%.3f; completion queue polls %.3f, of which %.3f found nothing; "
			       "shared queue polls %.3f\n",
			       per_io(total.post_send_calls, total.ios),
			       per_io(total.post_recv_calls, total.ios),
			       per_io(total.cq_polls, total.ios), per_io(total.cq_empty_polls, total.ios),
			       per_io(readiness_calls, total.ios));
		} else if (total.recv_calls > 0) {
			printf("System calls per I/O: %.3f (receive %.3f, of which %.3f found "
			       "nothing; send %.3f; poll group readiness %.3f)\n",
			       per_io(total.recv_calls + total.send_calls + readiness_calls, total.ios),
			       per_io(total.recv_calls, total.ios),
			       per_io(total.recv_empty_calls, total.ios),
			       per_io(total.send_calls, total.ios), per_io(readiness_calls, total.ios));
		} else {
			printf("Doorbell writes to the device per I/O: SQ %.3f, CQ %.3f (shadow "
			       "doorbells %s)\n",
			       per_io(total.sq_doorbells, total.ios),
			       per_io(total.cq_doorbells, total.ios),
			       total.shadow_doorbells ? "on" : "off");
		}
		if (grouped_threads > 0) {
			printf("Poll groups: %u threads poll their qpairs as a group\n",
			       grouped_threads);
		}
		if (total.errors || total.verify_errors || g_cfg.verify || g_resets ||
		    total.retries) {
			printf("I/O errors: %" PRIu64 ", verify mismatches: %" PRIu64 "\n", total.errors,
			       total.verify_errors);
		}
		if (g_resets || total.retries) {
			printf("Resets: %" PRIu64 ", I/Os aborted by them: %" PRIu64
			       ", retries: %" PRIu64 "\n",
			       g_resets, total.aborted, total.retries);
		}
		if (hist != NULL && g_cfg.latency_level > 0) {
			printf("\nLatency percentiles:\n");
			for (k = 0; k < HIST_NUM_PCTS; k++) {
				printf("  p%-6g %10.2f us\n", hist_pcts[k],
				       percentile(hist, total.ios, hist_pcts[k]));
			}
		}
		if (hist != NULL && g_cfg.latency_level > 1) {
			uint64_t cum = 0;

			printf("\nHistogram (upper bound us: count, cumulative %%):\n");
			for (k = 0; k < HIST_BUCKETS; k++) {
				if (hist[k] == 0) {
					continue;
				}
				cum += hist[k];
				printf("  %10.2f: %10" PRIu64 "  %7.3f%%\n", ticks_to_us(hist_upper(k)),
				       hist[k], 100.0 * (double)cum / (double)total.ios);
			}
		}
	}
	if (hist != NULL && (g_cfg.latency_csv != NULL || g_cfg.plot_svg != NULL)) {
		rc = write_latency_files(hist, total.ios, elapsed);
	} else if (hist == NULL && hist_wanted()) {
		fprintf(stderr, "perf: out of memory for the latency histogram\n");
		rc = -1;
	}
	free(hist);
	return rc;
}

static void
on_signal(int sig)
{
	(void)sig;
	atomic_store(&g_stop, true);
}

static uint64_t
total_ios(void)
{
	uint64_t n = 0;
	uint32_t i;

	for (i = 0; i < g_num_workers; i++) {
		n += atomic_load_explicit(&g_workers[i].ios, memory_order_relaxed);
	}
	return n;
}

int
main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{"depth", required_argument, NULL, 'q'}, {"size", required_argument, NULL, 'o'},
		{"pattern", required_argument, NULL, 'w'}, {"rwmix", required_argument, NULL, 'M'},
		{"time", required_argument, NULL, 't'}, {"cores", required_argument, NULL, 'c'},
		{"trid", required_argument, NULL, 'r'}, {"qpairs", required_argument, NULL, 'P'},
		{"verify", no_argument, NULL, 'V'}, {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'}, {"reset-every", required_argument, NULL, OPT_RESET},
		{"timeout-us", required_argument, NULL, OPT_TIMEOUT},
		{"timeout-action", required_argument, NULL, OPT_TIMEOUT_ACTION},
		{"no-hugepages", no_argument, NULL, OPT_NO_HUGEPAGES},
		{"latency-csv", required_argument, NULL, OPT_LATENCY_CSV},
		{"plot", required_argument, NULL, OPT_PLOT},
		{"pi", required_argument, NULL, OPT_PI}, FABRICS_LONG_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	struct pnvme_transport_id trids[MAX_CTRLRS];
	struct pnvme_env_opts env_opts;
	struct timespec t0, t1, now;
	int num_trids = 0, c, i, rc, failed = 0, resets_this_second = 0;
	bool resetting = false;
	uint64_t last = 0, sec, next_reset;
	double elapsed;

	g_cfg.depth = 0;
	g_cfg.read_pct = 50;
	g_cfg.qpairs_per_ns = 1;
	g_cfg.num_threads = 1;
	snprintf(g_cfg.core_mask, sizeof(g_cfg.core_mask), "0x1");
	g_cfg.pattern = (enum pattern)-1;
	while ((c = getopt_long(argc, argv, "q:o:w:M:t:c:r:P:LVjh", long_opts, NULL)) != -1) {
		if (fabrics_opts_parse(c)) {
			continue;
		}
		switch (c) {
		case 'q':
			g_cfg.depth = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'o':
			g_cfg.io_size = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'w':
			if (parse_pattern(optarg, &g_cfg.pattern) != 0) {
				fprintf(stderr, "perf: unknown pattern '%s'\n", optarg);
				return 2;
			}
			break;
		case 'M':
			g_cfg.read_pct = atoi(optarg);
			break;
		case 't':
			g_cfg.seconds = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'c':
			if (parse_cores(optarg) != 0) {
				fprintf(stderr, "perf: -c wants a 0x core mask or a thread count\n");
				return 2;
			}
			break;
		case 'r':
			if (num_trids == MAX_CTRLRS ||
			    pnvme_transport_id_parse(&trids[num_trids], optarg) != 0) {
				fprintf(stderr, "perf: invalid or too many -r '%s'\n", optarg);
				return 2;
			}
			num_trids++;
			break;
		case 'P':
			g_cfg.qpairs_per_ns = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'L':
			g_cfg.latency_level++;
			break;
		case 'V':
			g_cfg.verify = true;
			break;
		case 'j':
			g_cfg.json = true;
			break;
		case OPT_RESET:
			g_cfg.reset_every_s = (uint32_t)strtoul(optarg, NULL, 10);
			if (g_cfg.reset_every_s == 0) {
				fprintf(stderr, "perf: --reset-every wants seconds (1 or more)\n");
				return 2;
			}
			break;
		case OPT_TIMEOUT:
			g_cfg.io_timeout_us = strtoull(optarg, NULL, 10);
			break;
		case OPT_TIMEOUT_ACTION:
			if (parse_timeout_action(optarg, &g_cfg.timeout_action) != 0) {
				fprintf(stderr, "perf: --timeout-action is none, abort or reset\n");
				return 2;
			}
			break;
		case OPT_NO_HUGEPAGES:
			g_cfg.no_hugepages = true;
			break;
		case OPT_PI:
			if (strcmp(optarg, "pract") == 0) {
				g_cfg.pi_mode = PI_PRACT;
			} else if (strcmp(optarg, "host") == 0) {
				g_cfg.pi_mode = PI_HOST;
			} else {
				fprintf(stderr, "perf: --pi is pract or host\n");
				return 2;
			}
			break;
		case OPT_LATENCY_CSV:
			g_cfg.latency_csv = optarg;
			break;
		case OPT_PLOT:
			g_cfg.plot_svg = optarg;
			break;
		case 'h':
			usage(argv[0]);
			return 0;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	if (g_cfg.depth == 0 || g_cfg.depth > 4096 || g_cfg.io_size == 0 ||
	    g_cfg.io_size % 4 != 0 || g_cfg.seconds == 0 || (int)g_cfg.pattern < 0 ||
	    g_cfg.read_pct < 0 || g_cfg.read_pct > 100 || g_cfg.qpairs_per_ns == 0 ||
	    g_cfg.qpairs_per_ns > 64 || optind < argc) {
		fprintf(stderr, "perf: -q (1-4096), -o, -w and -t are required; see --help\n");
		return 2;
	}
	g_cfg.random = g_cfg.pattern == PAT_RANDREAD || g_cfg.pattern == PAT_RANDWRITE ||
		       g_cfg.pattern == PAT_RANDRW;

	pnvme_env_opts_init(&env_opts, sizeof(env_opts));
	env_opts.name = "pnvme_perf";
	env_opts.core_mask = g_cfg.core_mask;
	env_opts.no_hugepages = g_cfg.no_hugepages;
	rc = pnvme_env_init(&env_opts);
	if (rc != 0) {
		fprintf(stderr, "perf: cannot initialise the environment (%s)\n", strerror(-rc));
		return 1;
	}
	g_hz = pnvme_get_ticks_hz();
	if (num_trids == 0) {
		pnvme_probe(NULL, NULL, NULL, attach_cb, remove_cb);
	}
	for (i = 0; i < num_trids; i++) {
		if (pnvme_probe(&trids[i], NULL, fabrics_opts_probe_cb, attach_cb, remove_cb) != 0) {
			failed = 1;
		}
	}
	if (g_num_ctrlrs == 0) {
		fprintf(stderr, "perf: no controller attached (run scripts/setup.sh)\n");
		return 1;
	}
	for (i = 0; i < g_num_ctrlrs && (g_cfg.io_timeout_us || g_cfg.timeout_action); i++) {
		pnvme_ctrlr_register_timeout_callback(g_ctrlrs[i], g_cfg.io_timeout_us, 0, NULL,
						      NULL);
		pnvme_ctrlr_set_timeout_action(g_ctrlrs[i], g_cfg.timeout_action);
	}
	for (i = 0; i < g_num_ctrlrs; i++) {
		g_any_pcie |= pnvme_ctrlr_get_transport_id(g_ctrlrs[i])->trtype == PNVME_TRANSPORT_PCIE;
	}
	if (failed || setup_workers() != 0) {
		rc = 1;
		goto out;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	{
		/* Threads on the cores of the mask, in order. */
		unsigned long mask = strtoul(g_cfg.core_mask, NULL, 16);
		int core = 0;

		for (i = 0; i < (int)g_cfg.num_threads; i++) {
			while (core < 64 && !(mask & (1ul << core))) {
				core++;
			}
			g_threads[i].core = core < 64 ? core++ : -1;
			g_threads[i].index = (uint32_t)i;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	next_reset = g_cfg.reset_every_s;
	atomic_store(&g_threads_running, (int)g_cfg.num_threads);
	for (i = 0; i < (int)g_cfg.num_threads; i++) {
		pthread_create(&g_threads[i].tid, NULL, thread_main, &g_threads[i]);
	}
	/* The main thread watches the controllers, resets them when asked and
	 * prints progress. */
	for (sec = 1; !atomic_load(&g_stop);) {
		if (!resetting) {
			usleep(10000);
		}
		resetting = false;
		clock_gettime(CLOCK_MONOTONIC, &now);
		elapsed = (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
		if (g_cfg.reset_every_s && elapsed >= (double)next_reset) {
			next_reset += g_cfg.reset_every_s;
			for (i = 0; i < g_num_ctrlrs; i++) {
				/* Non-blocking: the admin poll below drives it. */
				if (pnvme_ctrlr_disconnect(g_ctrlrs[i]) == 0) {
					g_resets++;
					resets_this_second++;
				}
			}
		}
		/* Removals (the monitor's, or the health check's below) end the
		 * run: remove_cb names them. */
		watch_removals();
		for (i = 0; i < g_num_ctrlrs; i++) {
			if (!g_removed[i] && pnvme_ctrlr_process_admin_completions(g_ctrlrs[i]) < 0) {
				watch_removals();
				if (!g_removed[i]) {
					fprintf(stderr, "perf: controller %s failed; stopping\n",
						pnvme_ctrlr_get_transport_id(g_ctrlrs[i])->traddr);
				}
				atomic_store(&g_stop, true);
				failed = 1;
			}
			/* A reset in progress is polled without sleeping. */
			resetting |= pnvme_ctrlr_reconnect_poll_async(g_ctrlrs[i]) == -EAGAIN;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		elapsed = (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
		if (elapsed >= (double)sec) {
			uint64_t n = total_ios();

			if (!g_cfg.json) {
				fprintf(stderr, "[%3" PRIu64 " s] %12.1f IOPS %10.2f MiB/s%s\n", sec,
					(double)(n - last), (double)(n - last) * g_cfg.io_size / 1048576.0,
					resets_this_second ? "  (reset)" : "");
			}
			resets_this_second = 0;
			last = n;
			sec++;
		}
		if (elapsed >= (double)g_cfg.seconds) {
			atomic_store(&g_stop, true);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* The threads drain their qpairs; a reset under way must go on being
	 * driven meanwhile, or what it stopped would never complete. */
	while (atomic_load(&g_threads_running) > 0) {
		for (i = 0; i < g_num_ctrlrs; i++) {
			pnvme_ctrlr_process_admin_completions(g_ctrlrs[i]);
		}
		usleep(1000);
	}
	for (i = 0; i < (int)g_cfg.num_threads; i++) {
		pthread_join(g_threads[i].tid, NULL);
		failed |= g_threads[i].failed;
	}
	elapsed = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	rc = failed;
	if (report(elapsed) != 0) {
		rc = 1;
	}
	for (i = 0; i < g_num_ctrlrs; i++) {
		if (g_removed[i]) {
			uint64_t submitted = 0, completed = 0;
			uint32_t k;

			for (k = 0; k < g_num_workers; k++) {
				submitted += g_workers[k].submitted;
				completed += g_workers[k].completed;
			}
			fprintf(stderr, "pnvme_perf: stopped after %.1f s of %u: controller %s was "
				"removed; requests submitted %" PRIu64 ", completed %" PRIu64 "\n",
				elapsed, g_cfg.seconds,
				pnvme_ctrlr_get_transport_id(g_ctrlrs[i])->traddr, submitted,
				completed);
			rc = 1;
		}
	}
	for (i = 0; i < (int)g_num_workers; i++) {
		if (g_workers[i].verify_errors || g_workers[i].io_errors) {
			rc = 1;
		}
	}
out:
	for (i = 0; i < (int)g_num_workers; i++) {
		struct worker *w = &g_workers[i];
		uint32_t j;

		if (w->qpair != NULL) {
			pnvme_ctrlr_free_io_qpair(w->qpair);
		}
		for (j = 0; w->tasks != NULL && j < g_cfg.depth; j++) {
			pnvme_dma_free(w->tasks[j].buf);
			pnvme_dma_free(w->tasks[j].vbuf);
			pnvme_dma_free(w->tasks[j].md);
			pnvme_dma_free(w->tasks[j].vmd);
		}
		free(w->tasks);
		free(w->hist);
	}
	for (i = 0; i < g_num_ctrlrs; i++) {
		pnvme_detach(g_ctrlrs[i]);
	}
	pnvme_env_fini();
	return rc;
}
