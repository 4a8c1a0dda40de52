/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * One command as the test target holds it between its capsule and its
 * response: the submission entry, the data moved in either direction, and
 * the completion being built.
 */
#ifndef PNVME_TEST_TARGET_CMD_H
#define PNVME_TEST_TARGET_CMD_H

#include <stdbool.h>
#include <stdint.h>

#include "pnvme/nvme_spec.h"

/** Direction of a command's data, from the low bits of its opcode. */
enum target_dir {
	TARGET_DIR_NONE = 0,
	TARGET_DIR_H2C = 1, /**< host to controller (write-like) */
	TARGET_DIR_C2H = 2, /**< controller to host (read-like) */
	TARGET_DIR_BOTH = 3,
};

/** Status as one value: SCT in bits 10:8, SC in bits 7:0; 0 is success. */
#define TARGET_STATUS(sct, sc) ((uint16_t)(((unsigned)(sct) << 8) | (unsigned)(sc)))
#define TARGET_SUCCESS 0u
#define TARGET_GENERIC(sc) TARGET_STATUS(PNVME_SCT_GENERIC, (sc))

struct target_cmd {
	bool in_use;
	uint16_t slot;          /**< index in the connection's table; the R2T transfer tag */
	struct pnvme_cmd sqe;
	enum target_dir dir;
	uint8_t *data;          /**< data_len bytes: what the host sent, or what goes back */
	/** data is not the command's own (bench mode: the shared zeroes or the
	 * connection's sink): never freed with the command. */
	bool data_borrowed;
	uint32_t data_len;      /**< SGL length of the command */
	uint32_t data_got;      /**< host-to-controller bytes received so far */
	bool r2t_sent;
	/** Decided before execution (bad SGL, missing fused partner...): complete
	 * with this status, touching nothing. */
	uint16_t early_status;
	/** Kept without a completion until the connection ends (an Asynchronous
	 * Event Request: no event ever happens here). */
	bool parked;
	/** The other command of a fused pair, once both capsules are in. */
	struct target_cmd *partner;
	/* The completion being built. */
	uint16_t status;
	uint32_t cdw0;
	uint32_t cdw1;
	/** Bytes of data to return (C2H) on success; at most data_len. */
	uint32_t c2h_len;
};

/** True when all host-to-controller data of @p cmd has arrived (or none is due). */
static inline bool
target_cmd_data_complete(const struct target_cmd *cmd)
{
	return cmd->dir != TARGET_DIR_H2C || cmd->data_got == cmd->data_len;
}

#endif
