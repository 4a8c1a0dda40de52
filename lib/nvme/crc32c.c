/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CRC32C on the ISA-L implementation (crc32_iscsi: hardware CRC instructions
 * where the CPU has them). crc32_iscsi neither inverts the start value nor
 * the result, which is what lets a digest be computed piece by piece.
 */
#include <limits.h>

#include <isa-l/crc.h>

#include "nvme/crc32c.h"

uint32_t
crc32c_update(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len > 0) {
		int n = len > INT_MAX ? INT_MAX : (int)len;

		crc = crc32_iscsi((unsigned char *)p, n, crc);
		p += n;
		len -= (size_t)n;
	}
	return crc;
}

uint32_t
crc32c_update_iov(uint32_t crc, const struct iovec *iov, int iovcnt, size_t offset, size_t len)
{
	int i;

	for (i = 0; i < iovcnt && len > 0; i++) {
		size_t n;

		if (offset >= iov[i].iov_len) {
			offset -= iov[i].iov_len;
			continue;
		}
		n = iov[i].iov_len - offset;
		if (n > len) {
			n = len;
		}
		crc = crc32c_update(crc, (const uint8_t *)iov[i].iov_base + offset, n);
		len -= n;
		offset = 0;
	}
	return crc;
}
