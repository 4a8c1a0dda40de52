/* SPDX-License-Identifier: BSD-3-Clause */
/* The fio engine's filename form: a transport ID written without colons. */
#ifndef PNVME_FIO_FILENAME_H
#define PNVME_FIO_FILENAME_H

#include <stddef.h>
#include <stdint.h>

#include "pnvme/nvme.h"

/*
 * Parse NAME ("trtype=PCIe traddr=0000.01.00.0 ns=1", or "trtype=TCP
 * adrfam=IPv4 traddr=127.0.0.1 trsvcid=4420 subnqn=nqn.x\:y ns=1") into a
 * transport ID and a namespace ID (1 when "ns" is absent). fio separates
 * file names with colons, so a PCIe address is written with dots and any
 * other colon is escaped as "\:". Returns 0, or -EINVAL with the reason in
 * ERR (one line, no newline).
 */
int fio_filename_parse(const char *name, struct pnvme_transport_id *trid, uint32_t *nsid,
		       char *err, size_t err_size);

#endif
