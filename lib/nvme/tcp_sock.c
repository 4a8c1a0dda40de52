/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Socket set-up for NVMe/TCP, step by step: nothing here waits (the
 * caller decides whether to poll again or to sleep on the socket).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nvme/tcp_sock.h"
#include "util/util.h"

#define DEFAULT_PORT "4420"

int
tcp_sock_wait(int fd, short events, uint32_t max_ms)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	int rc = poll(&pfd, 1, (int)max_ms);

	return rc < 0 && errno != EINTR ? -errno : 0;
}

int
tcp_sock_connect_start(const struct pnvme_transport_id *trid)
{
	const char *port = trid->trsvcid[0] ? trid->trsvcid : DEFAULT_PORT;
	struct addrinfo hints, *res = NULL;
	int fd, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = trid->adrfam == PNVME_ADRFAM_IPV6 ? AF_INET6 : AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	/* A numeric address resolves without waiting; a host name is looked
	 * up here, the one step that may wait. */
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(trid->traddr, port, &hints, &res);
	if (rc != 0) {
		PNVME_ERRLOG("%s:%s: cannot resolve the address: %s", trid->traddr, port,
			     gai_strerror(rc));
		return -EINVAL;
	}
	fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    res->ai_protocol);
	if (fd < 0) {
		rc = -errno;
	} else if (connect(fd, res->ai_addr, res->ai_addrlen) != 0 && errno != EINPROGRESS) {
		rc = -errno;
		close(fd);
	}
	freeaddrinfo(res);
	if (rc != 0) {
		PNVME_ERRLOG("%s:%s: cannot connect: %s", trid->traddr, port, strerror(-rc));
		return rc;
	}
	return fd;
}

int
tcp_sock_connect_done(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	int err = 0, one = 1;
	socklen_t len = sizeof(err);

	if (poll(&pfd, 1, 0) == 0) {
		return -EAGAIN;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
		return -errno;
	}
	if (err != 0) {
		return -err;
	}
	/* Commands go out as soon as they are written. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return 0;
}

int
tcp_sock_send_some(int fd, const void *buf, size_t len, size_t *done)
{
	ssize_t n;

	while (*done < len) {
		n = send(fd, (const uint8_t *)buf + *done, len - *done, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			*done += (size_t)n;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			return -EAGAIN;
		} else if (errno != EINTR) {
			return -errno;
		}
	}
	return 0;
}

int
tcp_sock_recv_some(int fd, void *buf, size_t len, size_t *done)
{
	ssize_t n;

	while (*done < len) {
		n = recv(fd, (uint8_t *)buf + *done, len - *done, MSG_DONTWAIT);
		if (n > 0) {
			*done += (size_t)n;
		} else if (n == 0) {
			return -ECONNRESET;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			return -EAGAIN;
		} else if (errno != EINTR) {
			return -errno;
		}
	}
	return 0;
}
