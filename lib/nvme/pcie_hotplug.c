/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PCIe hotplug monitor: pnvme_hotplug_poll(). The kernel announces every
 * device added, removed, bound to or unbound from a driver as a uevent on
 * a NETLINK_KOBJECT_UEVENT socket. One non-blocking socket is opened on the
 * first call, which then probes the whole bus so nothing present before
 * is missed; later calls read what is pending (normally one recv that
 * finds nothing). A controller bound to uio_pci_generic or vfio-pci is
 * probed; the removal or unbind of an attached one marks it REMOVED, and
 * its remove_cb runs from here, in the caller's thread.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nvme/nvme_internal.h"
#include "nvme/pcie_hotplug.h"

/* The kernel's own uevents (udev re-broadcasts on group 2). */
#define UEVENT_KERNEL_GROUP 1
/* Larger than any uevent the kernel sends (its buffer is 2 KiB). */
#define UEVENT_BUF_SIZE 8192
/* Messages read per call: bounds the time one call may take. */
#define UEVENTS_PER_POLL 64
/* Without the socket, a full probe at most this often. */
#define FALLBACK_RESCAN_MS 1000

/* Recursive: an attach_cb run from a poll may poll again. The event being
 * handled was copied out of the receive buffer before any callback runs. */
static pthread_mutex_t g_hotplug_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static int g_uevent_fd = -1;
static bool g_started;
static uint64_t g_next_rescan;

/* ------------------------------------------------------------------ */
/* Parsing                                                             */
/* ------------------------------------------------------------------ */

static enum nvme_uevent_action
action_of(const char *value)
{
	static const struct {
		const char *name;
		enum nvme_uevent_action action;
	} actions[] = {
		{"add", NVME_UEVENT_ADD},
		{"remove", NVME_UEVENT_REMOVE},
		{"bind", NVME_UEVENT_BIND},
		{"unbind", NVME_UEVENT_UNBIND},
	};
	size_t i;

	for (i = 0; i < PNVME_ARRAY_SIZE(actions); i++) {
		if (strcmp(value, actions[i].name) == 0) {
			return actions[i].action;
		}
	}
	return NVME_UEVENT_OTHER;
}

/* PCI_CLASS: 1 to 6 hex digits, nothing else. */
static int
parse_class(const char *value, uint32_t *out)
{
	uint32_t v = 0;
	size_t n;

	for (n = 0; value[n] != '\0'; n++) {
		char c = value[n];
		uint32_t digit;

		if (n == 6) {
			return -EINVAL;
		}
		if (c >= '0' && c <= '9') {
			digit = (uint32_t)(c - '0');
		} else if (c >= 'a' && c <= 'f') {
			digit = (uint32_t)(c - 'a' + 10);
		} else if (c >= 'A' && c <= 'F') {
			digit = (uint32_t)(c - 'A' + 10);
		} else {
			return -EINVAL;
		}
		v = (v << 4) | digit;
	}
	if (n == 0) {
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int
nvme_uevent_parse(const void *buf, size_t len, struct nvme_uevent *ev)
{
	const char *p = buf, *end = (const char *)buf + len, *nul;
	bool has_action = false, is_pci = false, has_slot = false;

	if (buf == NULL || ev == NULL || len == 0) {
		return -EINVAL;
	}
	memset(ev, 0, sizeof(*ev));
	/* Every field, the header included, ends with a NUL inside the
	 * message: a truncated one is refused as a whole. */
	if (end[-1] != '\0') {
		return -EINVAL;
	}
	/* The header "ACTION@DEVPATH"; udev's messages begin "libudev". */
	nul = memchr(p, '\0', (size_t)(end - p));
	if (nul == NULL || memchr(p, '@', (size_t)(nul - p)) == NULL) {
		return -EINVAL;
	}
	for (p = nul + 1; p < end; p = nul + 1) {
		const char *eq;

		nul = memchr(p, '\0', (size_t)(end - p));
		if (nul == NULL) {
			return -EINVAL; /* cannot happen: end[-1] is a NUL */
		}
		eq = memchr(p, '=', (size_t)(nul - p));
		if (eq == NULL) {
			continue; /* not a KEY=VALUE field: skip it */
		}
#define KEY_IS(k) ((size_t)(eq - p) == sizeof(k) - 1 && memcmp(p, k, sizeof(k) - 1) == 0)
		if (KEY_IS("ACTION")) {
			ev->action = action_of(eq + 1);
			has_action = true;
		} else if (KEY_IS("SUBSYSTEM")) {
			is_pci = strcmp(eq + 1, "pci") == 0;
		} else if (KEY_IS("PCI_SLOT_NAME")) {
			has_slot = pnvme_pci_addr_parse(&ev->addr, eq + 1) == 0;
		} else if (KEY_IS("DRIVER")) {
			if (pnvme_strlcpy(ev->driver, eq + 1, sizeof(ev->driver)) != 0) {
				ev->driver[0] = '\0'; /* no driver we know is that long */
			}
		} else if (KEY_IS("PCI_CLASS")) {
			ev->has_class = parse_class(eq + 1, &ev->pci_class) == 0;
		}
#undef KEY_IS
	}
	return has_action && is_pci && has_slot ? 0 : -EINVAL;
}

/* ------------------------------------------------------------------ */
/* Acting on events                                                    */
/* ------------------------------------------------------------------ */

static bool
is_nvme_class(const struct nvme_uevent *ev)
{
	struct pnvme_pci_device_info info;

	if (ev->has_class) {
		return ev->pci_class == PNVME_PCI_CLASS_NVME;
	}
	return pnvme_pci_device_lookup(&ev->addr, &info) == 0 &&
	       info.id.class_id == PNVME_PCI_CLASS_NVME;
}

int
nvme_hotplug_handle_uevent(const void *buf, size_t len, const struct nvme_hotplug_cbs *cbs)
{
	struct pnvme_transport_id trid;
	struct nvme_uevent ev;

	if (nvme_uevent_parse(buf, len, &ev) != 0) {
		return 0;
	}
	memset(&trid, 0, sizeof(trid));
	trid.trtype = PNVME_TRANSPORT_PCIE;
	pnvme_pci_addr_fmt(trid.traddr, sizeof(trid.traddr), &ev.addr);
	switch (ev.action) {
	case NVME_UEVENT_BIND:
		if ((strcmp(ev.driver, "uio_pci_generic") != 0 && strcmp(ev.driver, "vfio-pci") != 0) ||
		    !is_nvme_class(&ev) || nvme_probe_is_attached(&trid)) {
			return 0;
		}
		PNVME_NOTICELOG("%s: bound to %s; probing it", trid.traddr, ev.driver);
		pnvme_probe(&trid, cbs->cb_ctx, cbs->probe_cb, cbs->attach_cb, cbs->remove_cb);
		return 1;
	case NVME_UEVENT_REMOVE:
		return nvme_probe_set_removed(&trid, "device removed (the kernel removed it)") ? 1
											       : 0;
	case NVME_UEVENT_UNBIND:
		return nvme_probe_set_removed(&trid, "device removed (unbound from its driver)") ? 1
												 : 0;
	default:
		return 0;
	}
}

/* ------------------------------------------------------------------ */
/* The socket                                                          */
/* ------------------------------------------------------------------ */

static int
uevent_socket_open(void)
{
	struct sockaddr_nl addr;
	int fd, rc;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
	if (fd < 0) {
		return -errno;
	}
	memset(&addr, 0, sizeof(addr));
	addr.nl_family = AF_NETLINK;
	addr.nl_groups = UEVENT_KERNEL_GROUP;
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

/* Read and act on what is pending. -ENOBUFS when the kernel dropped
 * messages (the socket overflowed): the caller probes everything. */
static int
uevent_socket_drain(const struct nvme_hotplug_cbs *cbs)
{
	static char buf[UEVENT_BUF_SIZE]; /* under g_hotplug_lock */
	struct sockaddr_nl from;
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr msg;
	ssize_t n;
	int i;

	for (i = 0; i < UEVENTS_PER_POLL; i++) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		n = recvmsg(g_uevent_fd, &msg, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		}
		/* Only the kernel (port 0) speaks for devices; a cut-off
		 * message is not parsed at all. */
		if (msg.msg_namelen != sizeof(from) || from.nl_pid != 0 ||
		    (msg.msg_flags & MSG_TRUNC) || n == 0) {
			continue;
		}
		nvme_hotplug_handle_uevent(buf, (size_t)n, cbs);
	}
	return 0;
}

int
pnvme_hotplug_poll(void *cb_ctx, pnvme_probe_cb probe_cb, pnvme_attach_cb attach_cb,
		   pnvme_remove_cb remove_cb)
{
	const struct nvme_hotplug_cbs cbs = {
		.cb_ctx = cb_ctx,
		.probe_cb = probe_cb,
		.attach_cb = attach_cb,
		.remove_cb = remove_cb,
	};
	bool rescan = false;
	uint64_t now;
	int rc = 0, fd;

	if (attach_cb == NULL || remove_cb == NULL) {
		PNVME_ERRLOG("hotplug_poll: attach_cb and remove_cb are required");
		return -EINVAL;
	}
	pthread_mutex_lock(&g_hotplug_lock);
	if (!g_started) {
		/* The socket first, then the probe: a device that comes between
		 * the two is seen by both, and a bound one is attached once. */
		fd = uevent_socket_open();
		if (fd < 0) {
			PNVME_WARNLOG("hotplug: cannot listen to kernel uevents (%s); probing the "
				      "bus every %d ms instead",
				      strerror(-fd), FALLBACK_RESCAN_MS);
		}
		g_uevent_fd = fd;
		g_started = true;
		rescan = true;
	} else if (g_uevent_fd >= 0) {
		rc = uevent_socket_drain(&cbs);
		if (rc == -ENOBUFS) {
			PNVME_NOTICELOG("hotplug: uevents were lost; probing the bus again");
			rescan = true;
			rc = 0;
		} else if (rc != 0) {
			PNVME_ERRLOG("hotplug: reading uevents failed: %s", strerror(-rc));
		}
	} else {
		now = pnvme_get_ticks();
		if (now >= g_next_rescan) {
			g_next_rescan = now + nvme_ms_to_ticks(FALLBACK_RESCAN_MS);
			rescan = true;
		}
	}
	if (rescan) {
		rc = pnvme_probe(NULL, cb_ctx, probe_cb, attach_cb, remove_cb);
	}
	/* Controllers the health check or the events found gone. */
	nvme_probe_report_removed(remove_cb);
	pthread_mutex_unlock(&g_hotplug_lock);
	return rc;
}
