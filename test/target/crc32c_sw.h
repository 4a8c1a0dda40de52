/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * CRC32C (Castagnoli) in plain C for the test target's NVMe/TCP digests.
 * The target is an independent peer, so it computes digests with its own
 * code rather than the library's.
 */
#ifndef PNVME_TEST_TARGET_CRC32C_SW_H
#define PNVME_TEST_TARGET_CRC32C_SW_H

#include <stddef.h>
#include <stdint.h>

/** Running value to start from; finish with crc32c_sw_finish(). */
#define CRC32C_SW_INIT 0xffffffffu

/** Add @p len bytes to a running CRC (start from CRC32C_SW_INIT). */
uint32_t crc32c_sw_update(uint32_t crc, const void *buf, size_t len);

/** The digest of a running CRC. */
static inline uint32_t
crc32c_sw_finish(uint32_t crc)
{
	return crc ^ 0xffffffffu;
}

/** The digest of one buffer. */
static inline uint32_t
crc32c_sw(const void *buf, size_t len)
{
	return crc32c_sw_finish(crc32c_sw_update(CRC32C_SW_INIT, buf, len));
}

#endif
