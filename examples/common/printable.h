/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device-reported text made safe for a terminal: only printable ASCII goes
 * out, anything else (escape sequences, control bytes) as \xNN.
 */
#ifndef PNVME_EXAMPLES_PRINTABLE_H
#define PNVME_EXAMPLES_PRINTABLE_H

#include <stddef.h>

/* Copy at most @p src_len bytes of @p src (up to a NUL) into @p dst
 * (@p dst_size bytes, always terminated), escaping every byte outside
 * 0x20-0x7e and the backslash itself. Returns @p dst. Output that does not
 * fit is cut at a whole escape. */
char *printable_copy(char *dst, size_t dst_size, const void *src, size_t src_len);

/* The same for an Identify-style fixed field: trailing spaces dropped. */
char *printable_fixed(char *dst, size_t dst_size, const void *src, size_t src_len);

#endif
