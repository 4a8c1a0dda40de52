/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * String helpers for fixed-width fields read from devices.
 */
#include <errno.h>
#include <string.h>

#include "util/util.h"

void
pnvme_str_trim_copy(char *dst, const void *src, size_t len)
{
	const unsigned char *s = src;
	size_t i;

	/* Device strings are untrusted: keep printable ASCII only. */
	for (i = 0; i < len && s[i] != '\0'; i++) {
		dst[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char)s[i] : '?';
	}
	while (i > 0 && dst[i - 1] == ' ') {
		i--;
	}
	dst[i] = '\0';
}

int
pnvme_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size == 0) {
		return -ENOSPC;
	}
	if (len >= size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return -ENOSPC;
	}
	memcpy(dst, src, len + 1);
	return 0;
}
