/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVM command set I/O over heap memory. Checks come first (namespace ID,
 * LBA range, data length), then the memory is touched under the namespace
 * lock. Deallocated blocks read as zeroes (DLFEAT reports that).
 *
 * A null namespace runs the same checks, so a host sees the same
 * statuses, then acts as if every block held zeroes and stayed so: reads
 * return zeroes, compares compare against zeroes, writes change nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "identify.h"
#include "nvm_ns.h"

/* In .bss: its pages are mapped on first read to the kernel's one zero
 * page, so sending from any part of it reads the same cached memory. */
static uint8_t g_zeroes[TARGET_MAX_DATA] __attribute__((aligned(4096)));

const uint8_t *
target_ns_zeroes(void)
{
	return g_zeroes;
}

int
target_ns_init(struct target_ns *ns, uint64_t bytes, bool null_blocks)
{
	uint64_t i;

	memset(ns, 0, sizeof(*ns));
	if (bytes < TARGET_NS_BLOCK_SIZE || (bytes & (TARGET_NS_BLOCK_SIZE - 1)) != 0) {
		return -EINVAL;
	}
	if (!null_blocks) {
		/* calloc: untouched blocks cost no memory and read as zeroes. */
		ns->mem = calloc(1, bytes);
		if (ns->mem == NULL) {
			return -ENOMEM;
		}
	}
	ns->nblocks = bytes >> TARGET_NS_BLOCK_SHIFT;
	pthread_rwlock_init(&ns->lock, NULL);
	/* Fixed identifiers: the same on every run, distinct from zero. */
	for (i = 0; i < sizeof(ns->nguid); i++) {
		ns->nguid[i] = (uint8_t)(0xa0 + i);
		ns->uuid[i] = (uint8_t)(0x10 + i);
	}
	ns->uuid[6] = (uint8_t)((ns->uuid[6] & 0x0f) | 0x40); /* version 4 */
	ns->uuid[8] = (uint8_t)((ns->uuid[8] & 0x3f) | 0x80); /* variant */
	return 0;
}

void
target_ns_fini(struct target_ns *ns)
{
	if (ns->nblocks != 0) {
		pthread_rwlock_destroy(&ns->lock);
		free(ns->mem);
		ns->mem = NULL;
		ns->nblocks = 0;
	}
}

/* The namespace lock, left alone by a null namespace: with no blocks
 * there is nothing a command could see half done, and connection threads
 * need not share a lock's cache line for nothing. */
static void
ns_rdlock(struct target_ns *ns)
{
	if (ns->mem != NULL) {
		pthread_rwlock_rdlock(&ns->lock);
	}
}

static void
ns_wrlock(struct target_ns *ns)
{
	if (ns->mem != NULL) {
		pthread_rwlock_wrlock(&ns->lock);
	}
}

static void
ns_unlock(struct target_ns *ns)
{
	if (ns->mem != NULL) {
		pthread_rwlock_unlock(&ns->lock);
	}
}

static uint64_t
cmd_slba(const struct target_cmd *cmd)
{
	return (uint64_t)cmd->sqe.cdw10 | ((uint64_t)cmd->sqe.cdw11 << 32);
}

static uint32_t
cmd_nlb(const struct target_cmd *cmd)
{
	return (cmd->sqe.cdw12 & 0xffffu) + 1;
}

static bool
range_ok(const struct target_ns *ns, uint64_t slba, uint64_t nlb)
{
	return slba < ns->nblocks && nlb <= ns->nblocks - slba;
}

/* Checks every command with an LBA range passes: namespace, range, and for
 * data commands that the data is exactly the blocks. */
static uint16_t
check_lba_cmd(const struct target_ns *ns, const struct target_cmd *cmd, bool moves_blocks)
{
	if (cmd->sqe.nsid != TARGET_NSID) {
		return TARGET_GENERIC(PNVME_SC_INVALID_NAMESPACE_OR_FORMAT);
	}
	if (!range_ok(ns, cmd_slba(cmd), cmd_nlb(cmd))) {
		return TARGET_GENERIC(PNVME_SC_LBA_OUT_OF_RANGE);
	}
	if (moves_blocks && (uint64_t)cmd->data_len != (uint64_t)cmd_nlb(cmd) << TARGET_NS_BLOCK_SHIFT) {
		return TARGET_GENERIC(PNVME_SC_DATA_SGL_LENGTH_INVALID);
	}
	if (!moves_blocks && cmd->data_len != 0) {
		return TARGET_GENERIC(PNVME_SC_DATA_SGL_LENGTH_INVALID);
	}
	return TARGET_SUCCESS;
}

static uint8_t *
block_ptr(const struct target_ns *ns, uint64_t lba)
{
	return ns->mem + (lba << TARGET_NS_BLOCK_SHIFT);
}

/* The unlocked bodies: callers hold ns->lock as each needs. */

static uint16_t
do_read(struct target_ns *ns, struct target_cmd *cmd)
{
	uint16_t status = check_lba_cmd(ns, cmd, true);

	if (status == TARGET_SUCCESS) {
		if (ns->mem != NULL) {
			memcpy(cmd->data, block_ptr(ns, cmd_slba(cmd)), cmd->data_len);
		} else if (cmd->data != g_zeroes) {
			memset(cmd->data, 0, cmd->data_len);
		}
		cmd->c2h_len = cmd->data_len;
	}
	return status;
}

static uint16_t
do_write(struct target_ns *ns, const struct target_cmd *cmd)
{
	uint16_t status = check_lba_cmd(ns, cmd, true);

	if (status == TARGET_SUCCESS && ns->mem != NULL) {
		memcpy(block_ptr(ns, cmd_slba(cmd)), cmd->data, cmd->data_len);
	}
	return status;
}

static uint16_t
do_compare(struct target_ns *ns, const struct target_cmd *cmd)
{
	uint16_t status = check_lba_cmd(ns, cmd, true);

	if (status == TARGET_SUCCESS &&
	    memcmp(ns->mem != NULL ? block_ptr(ns, cmd_slba(cmd)) : g_zeroes, cmd->data,
		   cmd->data_len) != 0) {
		status = TARGET_STATUS(PNVME_SCT_MEDIA_ERROR, PNVME_SC_COMPARE_FAILURE);
	}
	return status;
}

static uint16_t
do_write_zeroes(struct target_ns *ns, const struct target_cmd *cmd)
{
	uint16_t status = check_lba_cmd(ns, cmd, false);

	if (status == TARGET_SUCCESS && ns->mem != NULL) {
		memset(block_ptr(ns, cmd_slba(cmd)), 0,
		       (size_t)cmd_nlb(cmd) << TARGET_NS_BLOCK_SHIFT);
	}
	return status;
}

/* Dataset Management: every range is checked before any is acted on. */
static uint16_t
do_dsm(struct target_ns *ns, const struct target_cmd *cmd)
{
	uint32_t nr = (cmd->sqe.cdw10 & 0xffu) + 1, i;
	bool deallocate = (cmd->sqe.cdw11 & (1u << 2)) != 0;
	struct pnvme_dsm_range range;

	if (cmd->sqe.nsid != TARGET_NSID) {
		return TARGET_GENERIC(PNVME_SC_INVALID_NAMESPACE_OR_FORMAT);
	}
	if (cmd->data_len < nr * sizeof(range)) {
		return TARGET_GENERIC(PNVME_SC_DATA_SGL_LENGTH_INVALID);
	}
	for (i = 0; i < nr; i++) {
		memcpy(&range, cmd->data + i * sizeof(range), sizeof(range));
		if (!range_ok(ns, range.starting_lba, range.length) && range.length != 0) {
			return TARGET_GENERIC(PNVME_SC_LBA_OUT_OF_RANGE);
		}
	}
	for (i = 0; i < nr && deallocate && ns->mem != NULL; i++) {
		memcpy(&range, cmd->data + i * sizeof(range), sizeof(range));
		if (range.length != 0) {
			memset(block_ptr(ns, range.starting_lba), 0,
			       (size_t)range.length << TARGET_NS_BLOCK_SHIFT);
		}
	}
	return TARGET_SUCCESS;
}

void
target_ns_execute(struct target_ns *ns, struct target_cmd *cmd)
{
	cmd->c2h_len = 0;
	switch (cmd->sqe.opc) {
	case PNVME_OPC_FLUSH:
		/* No volatile cache: everything written is already "media". */
		cmd->status = cmd->sqe.nsid == TARGET_NSID || cmd->sqe.nsid == 0xffffffffu
				      ? TARGET_SUCCESS
				      : TARGET_GENERIC(PNVME_SC_INVALID_NAMESPACE_OR_FORMAT);
		return;
	case PNVME_OPC_READ:
		ns_rdlock(ns);
		cmd->status = do_read(ns, cmd);
		ns_unlock(ns);
		return;
	case PNVME_OPC_COMPARE:
		ns_rdlock(ns);
		cmd->status = do_compare(ns, cmd);
		ns_unlock(ns);
		return;
	case PNVME_OPC_VERIFY:
		/* Memory never fails to read back: only the checks can fail. */
		cmd->status = check_lba_cmd(ns, cmd, false);
		return;
	case PNVME_OPC_WRITE:
		ns_wrlock(ns);
		cmd->status = do_write(ns, cmd);
		ns_unlock(ns);
		return;
	case PNVME_OPC_WRITE_ZEROES:
		ns_wrlock(ns);
		cmd->status = do_write_zeroes(ns, cmd);
		ns_unlock(ns);
		return;
	case PNVME_OPC_DATASET_MANAGEMENT:
		ns_wrlock(ns);
		cmd->status = do_dsm(ns, cmd);
		ns_unlock(ns);
		return;
	default:
		cmd->status = TARGET_GENERIC(PNVME_SC_INVALID_OPCODE);
		return;
	}
}

uint16_t
target_ns_check_fused_pair(const struct target_cmd *first, const struct target_cmd *second)
{
	/* The only fused operation offered (FUSES bit 0): Compare then Write. */
	if (first->sqe.opc != PNVME_OPC_COMPARE || second->sqe.opc != PNVME_OPC_WRITE) {
		return TARGET_GENERIC(PNVME_SC_INVALID_FIELD);
	}
	/* Both commands must name the same blocks. */
	if (first->sqe.nsid != second->sqe.nsid || cmd_slba(first) != cmd_slba(second) ||
	    cmd_nlb(first) != cmd_nlb(second)) {
		return TARGET_GENERIC(PNVME_SC_INVALID_FIELD);
	}
	return TARGET_SUCCESS;
}

void
target_ns_execute_fused(struct target_ns *ns, struct target_cmd *first, struct target_cmd *second)
{
	first->c2h_len = 0;
	second->c2h_len = 0;
	ns_wrlock(ns);
	first->status = do_compare(ns, first);
	if (first->status != TARGET_SUCCESS) {
		second->status = TARGET_GENERIC(PNVME_SC_ABORTED_FAILED_FUSED);
	} else {
		second->status = do_write(ns, second);
	}
	ns_unlock(ns);
}
