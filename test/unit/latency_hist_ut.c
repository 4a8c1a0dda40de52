/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pnvme_perf's latency histogram: every tick count lands in the bucket
 * whose bounds hold it, bounds are contiguous and ascending, percentiles,
 * and the CSV rows (--latency-csv) the plot script reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ut.h"

#include "../../examples/perf/latency_hist.c"

#define HZ 2500000000ull /* ticks per second, as a 2.5 GHz TSC */

static void
test_bucket_holds_its_ticks(void)
{
	static const uint64_t samples[] = {0, 1, 31, 32, 33, 63, 64, 65, 1000, 16383, 16384,
					   16385, 123456789, 1ull << 40, (1ull << 40) - 1,
					   UINT64_MAX / 3, UINT64_MAX};
	size_t i;

	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		uint32_t b = hist_index(samples[i]);

		CU_ASSERT(b < HIST_BUCKETS);
		CU_ASSERT(hist_lower(b) <= samples[i]);
		/* The last occupied bucket's bound saturates at UINT64_MAX. */
		CU_ASSERT(samples[i] < hist_upper(b) || hist_upper(b) == UINT64_MAX);
	}
}

static void
test_bounds_contiguous_and_ascending(void)
{
	uint32_t i, top = hist_index(UINT64_MAX);

	for (i = 0; i < top; i++) {
		CU_ASSERT(hist_lower(i) < hist_upper(i));
		CU_ASSERT_EQUAL(hist_upper(i), hist_lower(i + 1));
	}
	/* No bucket is wider than 1/32 of its lower bound past the first ones. */
	for (i = 2 * HIST_SUB; i < top; i++) {
		CU_ASSERT((hist_upper(i) - hist_lower(i)) * HIST_SUB <= hist_lower(i));
	}
}

static void
test_percentiles(void)
{
	uint64_t *hist = calloc(HIST_BUCKETS, sizeof(*hist));
	uint32_t fast = hist_index(25000), slow = hist_index(250000); /* 10 us, 100 us */

	CU_ASSERT_EQUAL(hist_percentile_us(hist, 0, 50, HZ), 0);
	hist[fast] = 990;
	hist[slow] = 10;
	CU_ASSERT_DOUBLE_EQUAL(hist_percentile_us(hist, 1000, 50, HZ),
			       hist_ticks_to_us(hist_upper(fast), HZ), 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(hist_percentile_us(hist, 1000, 98.9, HZ),
			       hist_ticks_to_us(hist_upper(fast), HZ), 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(hist_percentile_us(hist, 1000, 99, HZ),
			       hist_ticks_to_us(hist_upper(slow), HZ), 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(hist_percentile_us(hist, 1000, 99.99, HZ),
			       hist_ticks_to_us(hist_upper(slow), HZ), 1e-9);
	free(hist);
}

/* Reads back what hist_csv_rows() wrote for one job and checks what the
 * plot relies on; returns the number of rows. */
static int
check_csv(char *text, const char *job, uint64_t want_ios)
{
	double last_upper = -1, cumulative = 0;
	uint64_t sum = 0;
	int rows = 0;
	char *line, *save = NULL;

	line = strtok_r(text, "\n", &save);
	CU_ASSERT_STRING_EQUAL(line, "job,lower_us,upper_us,count,cumulative");
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		char name[16];
		double lower, upper, cum;
		unsigned long long count;

		CU_ASSERT_EQUAL_FATAL(sscanf(line, "%15[^,],%lf,%lf,%llu,%lf", name, &lower, &upper,
					     &count, &cum),
				      5);
		CU_ASSERT_STRING_EQUAL(name, job);
		CU_ASSERT(lower < upper);
		CU_ASSERT(lower >= last_upper);
		CU_ASSERT(count > 0);
		CU_ASSERT(cum > cumulative);
		sum += count;
		last_upper = upper;
		cumulative = cum;
		rows++;
	}
	CU_ASSERT_EQUAL(sum, want_ios);
	if (rows > 0) {
		CU_ASSERT(cumulative == 1.0); /* exactly: the plot's CDF ends at 100 % */
	}
	return rows;
}

static void
test_csv_rows(void)
{
	uint64_t *hist = calloc(HIST_BUCKETS, sizeof(*hist));
	/* Neighbouring buckets (their printed bounds must stay apart), the
	 * first one, a gap, and far outliers. */
	static const uint64_t ticks[] = {0, 7, 16000, 16384, 16896, 17000, 25000000, 1ull << 50};
	uint64_t ios = 0;
	char *text = NULL;
	size_t len = 0, i;
	FILE *f;

	for (i = 0; i < sizeof(ticks) / sizeof(ticks[0]); i++) {
		hist[hist_index(ticks[i])] += i + 1;
		ios += i + 1;
	}
	f = open_memstream(&text, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	hist_csv_header(f);
	hist_csv_rows(f, "all", hist, HZ);
	fclose(f);
	CU_ASSERT_EQUAL(check_csv(text, "all", ios), 7); /* 16896 and 17000 share a bucket */
	free(text);
	free(hist);
}

static void
test_csv_empty(void)
{
	uint64_t *hist = calloc(HIST_BUCKETS, sizeof(*hist));
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	hist_csv_header(f);
	hist_csv_rows(f, "w0", hist, HZ);
	fclose(f);
	CU_ASSERT_EQUAL(check_csv(text, "w0", 0), 0);
	free(text);
	free(hist);
}

int
main(void)
{
	static const struct ut_test tests[] = {
		{"bucket_holds_its_ticks", test_bucket_holds_its_ticks},
		{"bounds_contiguous_and_ascending", test_bounds_contiguous_and_ascending},
		{"percentiles", test_percentiles},
		{"csv_rows", test_csv_rows},
		{"csv_empty", test_csv_empty},
		{NULL, NULL},
	};

	return ut_run("latency_hist", tests);
}
