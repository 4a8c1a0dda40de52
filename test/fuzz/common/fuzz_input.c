/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz input reader: little-endian values, zeros past the end.
 */
#include <string.h>

#include "fuzz_input.h"

void
fuzz_input_init(struct fuzz_input *in, const uint8_t *data, size_t size)
{
	in->data = data;
	in->size = size;
	in->pos = 0;
}

bool
fuzz_input_empty(const struct fuzz_input *in)
{
	return in->pos >= in->size;
}

size_t
fuzz_input_left(const struct fuzz_input *in)
{
	return in->pos >= in->size ? 0 : in->size - in->pos;
}

size_t
fuzz_bytes(struct fuzz_input *in, void *dst, size_t len)
{
	size_t n = fuzz_input_left(in);

	if (n > len) {
		n = len;
	}
	if (n > 0) {
		memcpy(dst, in->data + in->pos, n);
		in->pos += n;
	}
	memset((uint8_t *)dst + n, 0, len - n);
	return n;
}

uint8_t
fuzz_u8(struct fuzz_input *in)
{
	uint8_t v;

	fuzz_bytes(in, &v, sizeof(v));
	return v;
}

uint16_t
fuzz_u16(struct fuzz_input *in)
{
	uint16_t v;

	fuzz_bytes(in, &v, sizeof(v));
	return v;
}

uint32_t
fuzz_u32(struct fuzz_input *in)
{
	uint32_t v;

	fuzz_bytes(in, &v, sizeof(v));
	return v;
}

uint64_t
fuzz_u64(struct fuzz_input *in)
{
	uint64_t v;

	fuzz_bytes(in, &v, sizeof(v));
	return v;
}

bool
fuzz_bool(struct fuzz_input *in)
{
	return fuzz_u8(in) & 1;
}

uint32_t
fuzz_range(struct fuzz_input *in, uint32_t lo, uint32_t hi)
{
	uint64_t span = (uint64_t)hi - lo + 1;
	uint32_t v = span <= 0x100 ? fuzz_u8(in) : span <= 0x10000 ? fuzz_u16(in) : fuzz_u32(in);

	return lo + (uint32_t)(v % span);
}
