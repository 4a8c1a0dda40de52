/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DMA memory region notifications (pnvme_env_mem_notify_register()): the
 * environment's memory event hook hands each event on from here.
 */
#ifndef PNVME_ENV_MEM_NOTIFY_H
#define PNVME_ENV_MEM_NOTIFY_H

#include <stddef.h>

#include "pnvme/env.h"

/* A region appeared or is about to go (called under the memory lock). */
void env_mem_notify_event(enum pnvme_mem_event event, void *vaddr, size_t len);
/* Forget every registration (environment shutdown). */
void env_mem_notify_reset(void);

#endif
