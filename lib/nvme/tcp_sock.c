/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Socket set-up for NVMe/TCP. Only connection set-up waits (poll with a
 * deadline); the data path never blocks.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "nvme/tcp_sock.h"
#include "util/util.h"

#define DEFAULT_PORT "4420"

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for @p events on @p fd until @p deadline (ms): 0, -ETIMEDOUT or -errno. */
static int
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	int64_t left;
	int rc;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0) {
			return -ETIMEDOUT;
		}
		rc = poll(&pfd, 1, (int)PNVME_MIN(left, 1000));
		if (rc > 0) {
			return 0;
		}
		if (rc < 0 && errno != EINTR) {
			return -errno;
		}
	}
}

int
tcp_sock_connect(const struct pnvme_transport_id *trid, uint32_t timeout_ms)
{
	const char *port = trid->trsvcid[0] ? trid->trsvcid : DEFAULT_PORT;
	struct addrinfo hints, *res = NULL, *ai;
	int64_t deadline = now_ms() + timeout_ms;
	int fd = -1, rc, err = 0, one = 1;
	socklen_t len = sizeof(err);

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = trid->adrfam == PNVME_ADRFAM_IPV6 ? AF_INET6 : AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(trid->traddr, port, &hints, &res);
	if (rc != 0) {
		PNVME_ERRLOG("%s:%s: cannot resolve the address: %s", trid->traddr, port,
			     gai_strerror(rc));
		return -EINVAL;
	}
	rc = -EHOSTUNREACH;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			rc = -errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS) {
			rc = wait_fd(fd, POLLOUT, deadline);
			if (rc == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0) {
				rc = -err;
			}
		} else {
			rc = -errno;
		}
		if (rc == 0) {
			break;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		PNVME_ERRLOG("%s:%s: cannot connect: %s", trid->traddr, port, strerror(-rc));
		return rc;
	}
	/* Commands go out as soon as they are written. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

int
tcp_sock_send_all(int fd, const void *buf, size_t len, uint32_t timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	const uint8_t *p = buf;
	ssize_t n;
	int rc;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			return -errno;
		}
		rc = wait_fd(fd, POLLOUT, deadline);
		if (rc != 0) {
			return rc;
		}
	}
	return 0;
}

int
tcp_sock_recv_all(int fd, void *buf, size_t len, uint32_t timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	uint8_t *p = buf;
	ssize_t n;
	int rc;

	while (len > 0) {
		n = recv(fd, p, len, MSG_DONTWAIT);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n == 0) {
			return -ECONNRESET;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			return -errno;
		}
		rc = wait_fd(fd, POLLIN, deadline);
		if (rc != 0) {
			return rc;
		}
	}
	return 0;
}
