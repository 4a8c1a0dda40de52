/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading a fuzz input as a stream of small values. Past the end every
 * read yields zeros, so a harness never has to check lengths.
 */
#ifndef PNVME_FUZZ_INPUT_H
#define PNVME_FUZZ_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fuzz_input {
	const uint8_t *data;
	size_t size;
	size_t pos;
};

void fuzz_input_init(struct fuzz_input *in, const uint8_t *data, size_t size);
bool fuzz_input_empty(const struct fuzz_input *in);
size_t fuzz_input_left(const struct fuzz_input *in);
uint8_t fuzz_u8(struct fuzz_input *in);
uint16_t fuzz_u16(struct fuzz_input *in);
uint32_t fuzz_u32(struct fuzz_input *in);
uint64_t fuzz_u64(struct fuzz_input *in);
bool fuzz_bool(struct fuzz_input *in);
/* A value in [lo, hi] (inclusive). */
uint32_t fuzz_range(struct fuzz_input *in, uint32_t lo, uint32_t hi);
/* Copy up to @p len bytes into @p dst, zero-filling what the input lacks;
 * returns the bytes that came from the input. */
size_t fuzz_bytes(struct fuzz_input *in, void *dst, size_t len);

#endif
