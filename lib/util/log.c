/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Library logging: one line per event to standard error or to a handler the
 * application installs.
 */
#include <stdio.h>
#include <string.h>

#include "util/util.h"

static enum pnvme_log_level g_log_level = PNVME_LOG_NOTICE;
static pnvme_log_fn g_log_handler;

static const char *const g_level_names[] = {
	[PNVME_LOG_ERROR] = "error",
	[PNVME_LOG_WARN] = "warning",
	[PNVME_LOG_NOTICE] = "notice",
	[PNVME_LOG_INFO] = "info",
	[PNVME_LOG_DEBUG] = "debug",
};

void
pnvme_log_set_level(enum pnvme_log_level level)
{
	if (level > PNVME_LOG_DEBUG) {
		level = PNVME_LOG_DEBUG;
	}
	g_log_level = level;
}

enum pnvme_log_level
pnvme_log_get_level(void)
{
	return g_log_level;
}

void
pnvme_log_set_handler(pnvme_log_fn fn)
{
	g_log_handler = fn;
}

void
pnvme_vlog(enum pnvme_log_level level, const char *fmt, va_list ap)
{
	char line[512];
	size_t len;

	if (level > g_log_level) {
		return;
	}
	vsnprintf(line, sizeof(line), fmt, ap);
	len = strlen(line);
	while (len > 0 && line[len - 1] == '\n') {
		line[--len] = '\0';
	}
	if (g_log_handler != NULL) {
		g_log_handler(level, line);
		return;
	}
	fprintf(stderr, "pnvme: %s: %s\n", g_level_names[level], line);
}

void
pnvme_log(enum pnvme_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pnvme_vlog(level, fmt, ap);
	va_end(ap);
}
