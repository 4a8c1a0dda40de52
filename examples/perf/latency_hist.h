/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pnvme_perf's latency histogram: 64 power-of-two ranges of ticks, 32
 * linear steps each, so every bucket is at most 1/32 of its value wide;
 * its percentiles, and its CSV form (--latency-csv, the input of
 * scripts/latency_plot.sh).
 */
#ifndef PNVME_PERF_LATENCY_HIST_H
#define PNVME_PERF_LATENCY_HIST_H

#include <stdint.h>
#include <stdio.h>

#define HIST_SUB_BITS 5
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_BUCKETS (64 * HIST_SUB)

/* The percentiles perf reports and the plot marks. */
#define HIST_NUM_PCTS 5
extern const double hist_pcts[HIST_NUM_PCTS];

uint32_t hist_index(uint64_t ticks);
/* A bucket's ticks are [hist_lower(i), hist_upper(i)). */
uint64_t hist_lower(uint32_t index);
uint64_t hist_upper(uint32_t index);
double hist_ticks_to_us(uint64_t ticks, uint64_t hz);
/* The upper bound, in microseconds, of the bucket that holds @p pct percent
 * of @p total; 0 for an empty histogram. */
double hist_percentile_us(const uint64_t *hist, uint64_t total, double pct, uint64_t hz);

/* One CSV row per non-empty bucket, under the header that
 * hist_csv_header() writes: JOB,lower_us,upper_us,count,cumulative, the
 * cumulative fraction ending at 1 for each job. */
void hist_csv_header(FILE *out);
void hist_csv_rows(FILE *out, const char *job, const uint64_t *hist, uint64_t hz);

#endif
