/* SPDX-License-Identifier: BSD-3-Clause */
/* One attach per controller for all of fio's jobs, under a mutex taken only
 * while jobs are set up and torn down, never on the I/O path. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrlr_table.h"

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fio_ctrlr *g_ctrlrs;
static int g_env_rc = 1; /* 1: not tried yet */

int fio_env_init(void)
{
	struct pnvme_env_opts opts;
	cpu_set_t saved;
	int have_saved;

	pthread_mutex_lock(&g_lock);
	if (g_env_rc == 1) {
		/* The environment pins its calling thread to its first core; fio's
		 * job threads are created by this one and would all inherit that.
		 * Put the thread's own placement back afterwards. */
		have_saved = sched_getaffinity(0, sizeof(saved), &saved) == 0;
		pnvme_env_opts_init(&opts, sizeof(opts));
		opts.name = "fio";
		g_env_rc = pnvme_env_init(&opts);
		if (g_env_rc == -EALREADY) {
			g_env_rc = 0;
		}
		if (have_saved) {
			sched_setaffinity(0, sizeof(saved), &saved);
		}
		if (g_env_rc != 0) {
			fprintf(stderr, "pnvme: cannot initialise the environment (%s): "
					"are hugepages reserved (scripts/setup.sh config)?\n",
				strerror(-g_env_rc));
		}
	}
	pthread_mutex_unlock(&g_lock);
	return g_env_rc;
}

struct fio_ctrlr *fio_ctrlr_get(const struct pnvme_transport_id *trid)
{
	struct fio_ctrlr *c;

	pthread_mutex_lock(&g_lock);
	for (c = g_ctrlrs; c; c = c->next) {
		if (pnvme_transport_id_compare(&c->trid, trid) == 0) {
			c->refs++;
			goto out;
		}
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		goto out;
	}
	c->trid = *trid;
	c->ctrlr = pnvme_connect(trid, NULL, 0);
	if (c->ctrlr == NULL) {
		free(c);
		c = NULL;
		goto out;
	}
	pthread_mutex_init(&c->admin_lock, NULL);
	c->refs = 1;
	c->next = g_ctrlrs;
	g_ctrlrs = c;
out:
	pthread_mutex_unlock(&g_lock);
	return c;
}

void fio_ctrlr_put(struct fio_ctrlr *c)
{
	struct fio_ctrlr **pp;

	if (c == NULL) {
		return;
	}
	pthread_mutex_lock(&g_lock);
	if (--c->refs == 0) {
		for (pp = &g_ctrlrs; *pp; pp = &(*pp)->next) {
			if (*pp == c) {
				*pp = c->next;
				break;
			}
		}
		pnvme_detach(c->ctrlr);
		pthread_mutex_destroy(&c->admin_lock);
		free(c);
	}
	pthread_mutex_unlock(&g_lock);
}

void fio_ctrlr_poll_admin(struct fio_ctrlr *c)
{
	if (pthread_mutex_trylock(&c->admin_lock) == 0) {
		pnvme_ctrlr_process_admin_completions(c->ctrlr);
		pthread_mutex_unlock(&c->admin_lock);
	}
}

/* The last thing at exit: the engine is never unloaded (-z nodelete), so
 * the environment stays for any later job of the same run. */
__attribute__((destructor)) static void fio_env_fini(void)
{
	if (g_env_rc == 0 && g_ctrlrs == NULL) {
		pnvme_env_fini();
	}
}
