/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The test target's one namespace: blocks in heap memory and the NVM
 * command set I/O commands on them, including compare-and-write as one
 * atomic fused unit.
 *
 * For benchmarks the namespace can instead be null: the same size, but
 * no memory behind it. Every block reads as zeroes and whatever is
 * written is dropped, so reads can be sent straight from one shared zero
 * buffer (target_ns_zeroes) and writes received into any scratch memory.
 */
#ifndef PNVME_TEST_TARGET_NVM_NS_H
#define PNVME_TEST_TARGET_NVM_NS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "target_cmd.h"

/** Blocks are 512 bytes (LBA format 0, no metadata). */
#define TARGET_NS_BLOCK_SHIFT 9u
#define TARGET_NS_BLOCK_SIZE (1u << TARGET_NS_BLOCK_SHIFT)
/** The only namespace ID. */
#define TARGET_NSID 1u

struct target_ns {
	/** The blocks; NULL for a null namespace. */
	uint8_t *mem;
	uint64_t nblocks;
	/**
	 * Every command that touches the blocks takes this lock, readers shared
	 * and writers exclusive, so no command ever sees another half done; a
	 * fused compare-and-write holds it exclusively across both commands,
	 * which makes the pair atomic against every queue of every controller.
	 * A null namespace has nothing to guard and never takes it.
	 */
	pthread_rwlock_t lock;
	uint8_t nguid[16];
	uint8_t uuid[16];
};

/**
 * Allocate @p bytes (a whole number of blocks) of zeroed blocks, or with
 * @p null_blocks allocate nothing and make a null namespace of that size.
 * 0 or -errno.
 */
int target_ns_init(struct target_ns *ns, uint64_t bytes, bool null_blocks);
void target_ns_fini(struct target_ns *ns);

/**
 * TARGET_MAX_DATA bytes of zeroes, page aligned: what any read of a null
 * namespace returns. Never written: a read whose data buffer is this one
 * is sent from it as it is.
 */
const uint8_t *target_ns_zeroes(void);

/** Run one I/O command that is not part of a fused pair; fills cmd->status, c2h_len. */
void target_ns_execute(struct target_ns *ns, struct target_cmd *cmd);

/**
 * Whether @p second may complete the fused pair started by @p first (a
 * compare): it must be a write of the same namespace and LBA range.
 * Returns 0 or the status both commands complete with.
 */
uint16_t target_ns_check_fused_pair(const struct target_cmd *first,
				    const struct target_cmd *second);

/**
 * Compare then write as one unit: on a miscompare (or any failure of the
 * compare) the write is aborted (Failed Fused Command) and nothing is
 * written; a failing write leaves the compare's status as it was.
 */
void target_ns_execute_fused(struct target_ns *ns, struct target_cmd *first,
			     struct target_cmd *second);

#endif
