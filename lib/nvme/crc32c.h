/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CRC32C (Castagnoli), the NVMe/TCP header and data digest.
 */
#ifndef PNVME_CRC32C_H
#define PNVME_CRC32C_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Start value and final step: digest = crc32c_finish(crc32c_update(CRC32C_INIT, ...)). */
#define CRC32C_INIT 0xffffffffu

uint32_t crc32c_update(uint32_t crc, const void *buf, size_t len);

static inline uint32_t
crc32c_finish(uint32_t crc)
{
	return crc ^ 0xffffffffu;
}

/* The digest of @p len bytes of @p buf. */
static inline uint32_t
crc32c(const void *buf, size_t len)
{
	return crc32c_finish(crc32c_update(CRC32C_INIT, buf, len));
}

/* Update over @p len bytes of a vector, starting @p offset bytes in. */
uint32_t crc32c_update_iov(uint32_t crc, const struct iovec *iov, int iovcnt, size_t offset,
			   size_t len);

#endif
