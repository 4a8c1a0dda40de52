/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pnvme_test_target: an NVMe/TCP target for the tests only. It serves one
 * NVM subsystem with one namespace in heap memory and, unlike the other
 * peers the tests use, executes fused compare-and-write (FUSES bit 0).
 *
 *   pnvme_test_target --nqn NQN [--port PORT] [--size-mib MIB]
 *                     [--ready-file PATH] [--timeout SECONDS] [--no-fused]
 *                     [--bench] [--verbose]
 *
 * Listens on 127.0.0.1 only. Port 0 (the default) takes a free port. Once
 * listening it prints "ready port=PORT" and writes PORT to the ready file.
 * Ends cleanly on SIGTERM or SIGINT, or after --timeout seconds.
 * --no-fused reports FUSES 0 and refuses fused commands, like the other
 * peers the tests use.
 *
 * --bench makes it a peer to benchmark a host against, so that the target
 * is not what limits the I/O rate; it is never a test peer. The namespace
 * is null: it keeps its size (--size-mib) and Identify data but has no
 * memory; every block reads as zeroes, sent from one shared zero buffer,
 * and written data is received and dropped. Compare (and so fused
 * compare-and-write) works, against those zeroes; nothing else changes.
 * Connection threads poll their socket, yielding the core between tries,
 * and sleep only after about a millisecond without data: pin the target
 * to a core of its own and the host to another (pnvme_perf -c 0x2, say:
 * perf pins its threads by its own core mask, whatever taskset says, and
 * a host sharing the target's core starves it). In every mode a
 * connection reads what the socket holds at once and answers all of it
 * with one send (see tcp_conn.h); --verbose reports, as each connection
 * closes, its system calls and how long it waited for the host.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "subsystem.h"
#include "tcp_conn.h"

#define DEFAULT_SIZE_MIB 256u
/* A host that stops reading holds a connection thread at most this long. */
#define SEND_TIMEOUT_S 10
/* On the way out, how long connection threads get to finish. */
#define EXIT_GRACE_MS 10000
#define ACCEPT_POLL_MS 200

static volatile sig_atomic_t g_stop;
static struct target_subsys g_subsys;

/* Connection threads alive, so exit waits for them before freeing the subsystem. */
static pthread_mutex_t g_threads_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_threads_cond = PTHREAD_COND_INITIALIZER;
static unsigned int g_threads;

struct options {
	const char *nqn;
	unsigned int port;
	uint64_t size_mib;
	const char *ready_file;
	unsigned int timeout_s;
	bool no_fused;
	bool bench;
	bool verbose;
};

static void
on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s --nqn NQN [--port PORT] [--size-mib MIB] [--ready-file PATH]\n"
		"       [--timeout SECONDS] [--no-fused] [--bench] [--verbose]\n"
		"  --bench  benchmark peer, never a test peer: null namespace (reads return\n"
		"           zeroes, writes are dropped, compare is against zeroes) and\n"
		"           connections that poll their socket (pin it to its own core)\n",
		argv0);
}

/* A decimal number in [min, max]; false otherwise. */
static bool
parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < min || v > max) {
		return false;
	}
	*out = v;
	return true;
}

static int
parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"nqn", required_argument, NULL, 'n'},
		{"port", required_argument, NULL, 'p'},
		{"size-mib", required_argument, NULL, 's'},
		{"ready-file", required_argument, NULL, 'r'},
		{"timeout", required_argument, NULL, 't'},
		{"no-fused", no_argument, NULL, 'F'},
		{"bench", no_argument, NULL, 'B'},
		{"verbose", no_argument, NULL, 'v'},
		{NULL, 0, NULL, 0},
	};
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->size_mib = DEFAULT_SIZE_MIB;
	while ((c = getopt_long(argc, argv, "n:p:s:r:t:v", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			o->nqn = optarg;
			break;
		case 'p':
			if (!parse_uint(optarg, 0, 65535, &v)) {
				fprintf(stderr, "--port: '%s' is not a port number\n", optarg);
				return -1;
			}
			o->port = (unsigned int)v;
			break;
		case 's':
			/* Up to 64 GiB of (lazily allocated) memory; none with --bench. */
			if (!parse_uint(optarg, 1, 65536, &o->size_mib)) {
				fprintf(stderr, "--size-mib: '%s' is not 1-65536\n", optarg);
				return -1;
			}
			break;
		case 'r':
			o->ready_file = optarg;
			break;
		case 't':
			if (!parse_uint(optarg, 1, 86400, &v)) {
				fprintf(stderr, "--timeout: '%s' is not 1-86400 seconds\n", optarg);
				return -1;
			}
			o->timeout_s = (unsigned int)v;
			break;
		case 'F':
			o->no_fused = true;
			break;
		case 'B':
			o->bench = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		default:
			return -1;
		}
	}
	if (optind != argc || o->nqn == NULL) {
		return -1;
	}
	if (strlen(o->nqn) >= TARGET_NQN_SIZE - 1 || strcmp(o->nqn, PNVME_DISCOVERY_NQN) == 0) {
		fprintf(stderr, "--nqn: must be an NVM subsystem NQN of at most 255 bytes\n");
		return -1;
	}
	return 0;
}

static int
listen_loopback(unsigned int port, unsigned int *bound_port)
{
	struct sockaddr_in addr;
	socklen_t len = sizeof(addr);
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("socket");
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, 64) != 0 ||
	    getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
		fprintf(stderr, "pnvme_test_target: cannot listen on 127.0.0.1:%u: %s\n", port,
			strerror(errno));
		close(fd);
		return -1;
	}
	*bound_port = ntohs(addr.sin_port);
	return fd;
}

/* Write the port to @p path through a temporary file, so a reader never
 * sees it half written. */
static int
write_ready_file(const char *path, unsigned int port)
{
	char tmp[4096];
	FILE *f;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		return -1;
	}
	f = fopen(tmp, "w");
	if (f == NULL) {
		return -1;
	}
	fprintf(f, "%u\n", port);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static void *
conn_thread(void *arg)
{
	struct target_conn *conn = arg;

	target_conn_run(conn);
	free(conn);
	pthread_mutex_lock(&g_threads_lock);
	g_threads--;
	pthread_cond_broadcast(&g_threads_cond);
	pthread_mutex_unlock(&g_threads_lock);
	return NULL;
}

static void
start_conn(int fd, const struct sockaddr_in *peer, const struct options *o)
{
	struct timeval send_timeout = {.tv_sec = SEND_TIMEOUT_S};
	struct target_conn *conn;
	pthread_attr_t attr;
	pthread_t tid;
	char ip[INET_ADDRSTRLEN];
	int one = 1;

	conn = calloc(1, sizeof(*conn));
	if (conn == NULL) {
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));
	conn->fd = fd;
	conn->stop = &g_stop;
	conn->verbose = o->verbose;
	conn->bench = o->bench;
	conn->q.subsys = &g_subsys;
	inet_ntop(AF_INET, &peer->sin_addr, ip, sizeof(ip));
	snprintf(conn->peer, sizeof(conn->peer), "%s:%u", ip, ntohs(peer->sin_port));

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_mutex_lock(&g_threads_lock);
	g_threads++;
	pthread_mutex_unlock(&g_threads_lock);
	if (pthread_create(&tid, &attr, conn_thread, conn) != 0) {
		pthread_mutex_lock(&g_threads_lock);
		g_threads--;
		pthread_mutex_unlock(&g_threads_lock);
		close(fd);
		free(conn);
	}
	pthread_attr_destroy(&attr);
}

/* Wait up to EXIT_GRACE_MS for the connection threads; true when all ended. */
static bool
wait_threads(void)
{
	struct timespec deadline;
	bool all;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += EXIT_GRACE_MS / 1000;
	pthread_mutex_lock(&g_threads_lock);
	while (g_threads > 0 &&
	       pthread_cond_timedwait(&g_threads_cond, &g_threads_lock, &deadline) == 0) {
	}
	all = g_threads == 0;
	pthread_mutex_unlock(&g_threads_lock);
	return all;
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	struct options o;
	struct sockaddr_in peer;
	socklen_t peer_len;
	struct pollfd pfd;
	unsigned int port;
	int64_t deadline;
	int lfd, fd, rc;

	if (parse_options(argc, argv, &o) != 0) {
		usage(argv[0]);
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	rc = target_subsys_init(&g_subsys, o.nqn, o.size_mib << 20, o.bench);
	if (rc != 0) {
		fprintf(stderr, "pnvme_test_target: cannot set up a %llu MiB namespace: %s\n",
			(unsigned long long)o.size_mib, strerror(-rc));
		return 1;
	}
	g_subsys.fused_supported = !o.no_fused;
	lfd = listen_loopback(o.port, &port);
	if (lfd < 0) {
		target_subsys_fini(&g_subsys);
		return 1;
	}
	if (o.ready_file != NULL && write_ready_file(o.ready_file, port) != 0) {
		fprintf(stderr, "pnvme_test_target: cannot write %s: %s\n", o.ready_file,
			strerror(errno));
		close(lfd);
		target_subsys_fini(&g_subsys);
		return 1;
	}
	printf("ready port=%u nqn=%s size=%llu MiB fused=%s%s\n", port, o.nqn,
	       (unsigned long long)o.size_mib, o.no_fused ? "no" : "yes",
	       o.bench ? " bench (null namespace, polled)" : "");
	fflush(stdout);

	deadline = o.timeout_s ? now_ms() + (int64_t)o.timeout_s * 1000 : 0;
	pfd.fd = lfd;
	pfd.events = POLLIN;
	while (!g_stop) {
		if (deadline != 0 && now_ms() >= deadline) {
			fprintf(stderr, "pnvme_test_target: run time of %u s is over\n", o.timeout_s);
			g_stop = 1;
			break;
		}
		if (poll(&pfd, 1, ACCEPT_POLL_MS) <= 0) {
			continue;
		}
		peer_len = sizeof(peer);
		fd = accept4(lfd, (struct sockaddr *)&peer, &peer_len, SOCK_CLOEXEC);
		if (fd >= 0) {
			start_conn(fd, &peer, &o);
		}
	}
	close(lfd);
	if (!wait_threads()) {
		/* Threads still hold the subsystem: leave it to the exit. */
		fprintf(stderr, "pnvme_test_target: connections still busy after %d ms\n",
			EXIT_GRACE_MS);
		return 1;
	}
	target_subsys_fini(&g_subsys);
	if (o.ready_file != NULL) {
		unlink(o.ready_file);
	}
	printf("stopped\n");
	return 0;
}
