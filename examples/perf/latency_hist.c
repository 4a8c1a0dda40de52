/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pnvme_perf's latency histogram (see latency_hist.h).
 */
#include "latency_hist.h"

#include <inttypes.h>

const double hist_pcts[HIST_NUM_PCTS] = {50, 90, 99, 99.9, 99.99};

uint32_t
hist_index(uint64_t ticks)
{
	uint32_t msb, shift;

	if (ticks < HIST_SUB) {
		return (uint32_t)ticks;
	}
	msb = 63u - (uint32_t)__builtin_clzll(ticks);
	shift = msb - HIST_SUB_BITS;
	return ((shift + 1) << HIST_SUB_BITS) + (uint32_t)((ticks >> shift) & (HIST_SUB - 1));
}

uint64_t
hist_lower(uint32_t index)
{
	uint32_t range = index >> HIST_SUB_BITS, sub = index & (HIST_SUB - 1);

	if (range == 0) {
		return sub;
	}
	/* Ranges from 60 up would pass 2^64; no tick count reaches them. */
	if (range + HIST_SUB_BITS > 64) {
		return UINT64_MAX;
	}
	return ((uint64_t)(HIST_SUB + sub)) << (range - 1);
}

uint64_t
hist_upper(uint32_t index)
{
	/* Bounds of 2^64 ticks and above saturate (hist_lower()). */
	return index + 1 < HIST_BUCKETS ? hist_lower(index + 1) : UINT64_MAX;
}

double
hist_ticks_to_us(uint64_t ticks, uint64_t hz)
{
	return (double)ticks * 1e6 / (double)hz;
}

double
hist_percentile_us(const uint64_t *hist, uint64_t total, double pct, uint64_t hz)
{
	uint64_t target = (uint64_t)((double)total * pct / 100.0), seen = 0;
	uint32_t i;

	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += hist[i];
		if (seen > target) {
			return hist_ticks_to_us(hist_upper(i), hz);
		}
	}
	return 0;
}

void
hist_csv_header(FILE *out)
{
	fprintf(out, "job,lower_us,upper_us,count,cumulative\n");
}

void
hist_csv_rows(FILE *out, const char *job, const uint64_t *hist, uint64_t hz)
{
	uint64_t total = 0, cum = 0;
	uint32_t i;

	for (i = 0; i < HIST_BUCKETS; i++) {
		total += hist[i];
	}
	for (i = 0; i < HIST_BUCKETS; i++) {
		if (hist[i] == 0) {
			continue;
		}
		cum += hist[i];
		/* %.9g keeps neighbouring bounds apart: buckets are at least one
		 * tick wide, and at most 2^-5 of their value. */
		fprintf(out, "%s,%.9g,%.9g,%" PRIu64 ",%.9g\n", job,
			hist_ticks_to_us(hist_lower(i), hz), hist_ticks_to_us(hist_upper(i), hz), hist[i],
			cum == total ? 1.0 : (double)cum / (double)total);
	}
}
