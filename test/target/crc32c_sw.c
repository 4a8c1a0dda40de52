/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CRC32C, reflected polynomial 0x82F63B78, eight bytes per step through
 * eight tables: fast enough that digests on multi-megabyte transfers do
 * not dominate a test run.
 */
#include <pthread.h>
#include <string.h>

#include "crc32c_sw.h"

#define CRC32C_POLY_REFLECTED 0x82f63b78u

static uint32_t g_table[8][256];
static pthread_once_t g_table_once = PTHREAD_ONCE_INIT;

static void
build_tables(void)
{
	uint32_t i, j, crc;

	for (i = 0; i < 256; i++) {
		crc = i;
		for (j = 0; j < 8; j++) {
			crc = (crc >> 1) ^ ((crc & 1) ? CRC32C_POLY_REFLECTED : 0);
		}
		g_table[0][i] = crc;
	}
	for (i = 0; i < 256; i++) {
		for (j = 1; j < 8; j++) {
			g_table[j][i] = (g_table[j - 1][i] >> 8) ^ g_table[0][g_table[j - 1][i] & 0xff];
		}
	}
}

uint32_t
crc32c_sw_update(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t word;

	pthread_once(&g_table_once, build_tables);
	while (len >= 8) {
		memcpy(&word, p, sizeof(word)); /* little-endian hosts only */
		word ^= crc;
		crc = g_table[7][word & 0xff] ^ g_table[6][(word >> 8) & 0xff] ^
		      g_table[5][(word >> 16) & 0xff] ^ g_table[4][(word >> 24) & 0xff] ^
		      g_table[3][(word >> 32) & 0xff] ^ g_table[2][(word >> 40) & 0xff] ^
		      g_table[1][(word >> 48) & 0xff] ^ g_table[0][word >> 56];
		p += 8;
		len -= 8;
	}
	while (len-- > 0) {
		crc = (crc >> 8) ^ g_table[0][(crc ^ *p++) & 0xff];
	}
	return crc;
}
