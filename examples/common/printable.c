/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device-reported text made safe for a terminal.
 */
#include <stdio.h>

#include "printable.h"

char *
printable_copy(char *dst, size_t dst_size, const void *src, size_t src_len)
{
	const unsigned char *s = src;
	size_t used = 0, i, k;
	char esc[5];

	if (dst_size == 0) {
		return dst;
	}
	for (i = 0; i < src_len && s[i] != '\0'; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\') {
			if (used + 1 >= dst_size) {
				break;
			}
			dst[used++] = (char)s[i];
			continue;
		}
		/* A terminal must never see the raw byte (ESC starts a command). */
		if (s[i] == '\\') {
			snprintf(esc, sizeof(esc), "\\\\");
		} else {
			snprintf(esc, sizeof(esc), "\\x%02x", s[i]);
		}
		for (k = 0; esc[k] != '\0'; k++) {
		}
		if (used + k >= dst_size) {
			break;
		}
		for (k = 0; esc[k] != '\0'; k++) {
			dst[used++] = esc[k];
		}
	}
	dst[used] = '\0';
	return dst;
}

char *
printable_fixed(char *dst, size_t dst_size, const void *src, size_t src_len)
{
	const unsigned char *s = src;
	size_t len = 0;

	/* Identify strings are space-padded and need not be terminated. */
	while (len < src_len && s[len] != '\0') {
		len++;
	}
	while (len > 0 && s[len - 1] == ' ') {
		len--;
	}
	return printable_copy(dst, dst_size, src, len);
}
