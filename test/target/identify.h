/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Identify data of the test target: what it tells a host it can do. The
 * one thing that sets it apart from the other peers the tests use is
 * FUSES bit 0: compare-and-write as a fused operation.
 */
#ifndef PNVME_TEST_TARGET_IDENTIFY_H
#define PNVME_TEST_TARGET_IDENTIFY_H

#include <stdint.h>

#include "subsystem.h"

/** In-capsule data the I/O queues take (IOCCSZ less the 64-byte command). */
#define TARGET_IO_ICD_MAX 8192u
/** In-capsule data on the admin queue (the NVMe/TCP binding's fixed size). */
#define TARGET_ADMIN_ICD_MAX 8192u
/** MDTS as a power of two of 4 KiB pages: 128 KiB per command. */
#define TARGET_MDTS 5u
#define TARGET_MAX_DATA (4096u << TARGET_MDTS)

/** Fill @p cd (4096 bytes) for controller @p ctrlr. */
void target_identify_ctrlr(const struct target_ctrlr *ctrlr, struct pnvme_ctrlr_data *cd);
/** Fill @p nsd (4096 bytes) for the namespace. */
void target_identify_ns(const struct target_ns *ns, struct pnvme_ns_data *nsd);
/** Fill @p buf (4096 bytes) with the namespace identification descriptors. */
void target_identify_ns_id_descs(const struct target_ns *ns, uint8_t *buf);

#endif
