/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pnvme_perf --plot: the drawing itself is the script's (gnuplot), not
 * this program's.
 */
#include "latency_plot.h"

#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int
find_script(char *path, size_t len)
{
	static const char *const beside_exe[] = {"pnvme_latency_plot",
						  "../../scripts/latency_plot.sh"};
	const char *env = getenv("PNVME_LATENCY_PLOT");
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;
	size_t i;

	if (env != NULL && *env != '\0') {
		snprintf(path, len, "%s", env);
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		return -errno;
	}
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash == NULL) {
		return -ENOENT;
	}
	slash[1] = '\0';
	for (i = 0; i < sizeof(beside_exe) / sizeof(beside_exe[0]); i++) {
		if ((size_t)snprintf(path, len, "%s%s", exe, beside_exe[i]) < len &&
		    access(path, X_OK) == 0) {
			return 0;
		}
	}
	return -ENOENT;
}

int
latency_plot_run(const char *csv, const char *svg)
{
	posix_spawn_file_actions_t fa;
	char script[PATH_MAX + 64];
	char *argv[4];
	pid_t pid;
	int rc, status;

	if (find_script(script, sizeof(script)) != 0) {
		fprintf(stderr, "perf: no plot script found (scripts/latency_plot.sh; or set "
				"PNVME_LATENCY_PLOT)\n");
		return -1;
	}
	argv[0] = script;
	argv[1] = (char *)csv;
	argv[2] = (char *)svg;
	argv[3] = NULL;
	/* Its chatter must not mix into --json on stdout, and comes after what
	 * this program has printed. */
	fflush(stdout);
	fflush(stderr);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
	rc = posix_spawn(&pid, script, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		fprintf(stderr, "perf: cannot run %s (%s)\n", script, strerror(rc));
		return -1;
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			return -1;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "perf: %s could not draw %s\n", script, svg);
		return -1;
	}
	return 0;
}
