/* SPDX-License-Identifier: BSD-3-Clause */
/* Controllers the fio engine has attached, shared by every job that names
 * them, and the process's environment. */
#ifndef PNVME_FIO_CTRLR_TABLE_H
#define PNVME_FIO_CTRLR_TABLE_H

#include <pthread.h>

#include "pnvme/nvme.h"

struct fio_ctrlr {
	struct pnvme_transport_id trid;
	struct pnvme_ctrlr *ctrlr;
	unsigned int refs;
	/* The admin queue has one poller at a time (keep-alive, events). */
	pthread_mutex_t admin_lock;
	struct fio_ctrlr *next;
};

/* Initialise the environment once per process (hugepage memory). 0 or a
 * negative errno, with a line logged. */
int fio_env_init(void);

/* The controller named by TRID, attached on first use; each call takes a
 * reference. NULL when it cannot be attached (logged). */
struct fio_ctrlr *fio_ctrlr_get(const struct pnvme_transport_id *trid);

/* Drop a reference; the last one detaches the controller. */
void fio_ctrlr_put(struct fio_ctrlr *c);

/* Poll the admin queue (keep-alive, events) unless another thread is. */
void fio_ctrlr_poll_admin(struct fio_ctrlr *c);

#endif
