/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pnvme_perf --plot: hands a --latency-csv file to the plot script.
 */
#ifndef PNVME_PERF_LATENCY_PLOT_H
#define PNVME_PERF_LATENCY_PLOT_H

/* Runs the plot script on @p csv to write @p svg; 0 when it succeeded.
 * The script is PNVME_LATENCY_PLOT when set, else pnvme_latency_plot next
 * to this program (an installed tree), else scripts/latency_plot.sh of the
 * source tree this program was built in. Its output goes to stderr. */
int latency_plot_run(const char *csv, const char *svg);

#endif
