/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hot plug: the kernel uevent parser (bind, remove, garbage, truncated
 * messages), acting on events, removal judged by VS, remove_cb once from
 * pnvme_hotplug_poll(), and the SIGBUS guard of mapped BARs.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fake_ctrlr.h"
#include "nvme/pcie_hotplug.h"
#include "test_env.h"
#include "ut.h"
#include "util/util.h"

#define POLLS 10000

/* Build a uevent from NUL-terminated fields (NULL ends the list) into a
 * heap buffer of exactly its length, so the sanitizer sees any overread. */
static char *
uevent(size_t *len, ...)
{
	char tmp[2048];
	const char *field;
	size_t n = 0, l;
	va_list ap;
	char *out;

	va_start(ap, len);
	while ((field = va_arg(ap, const char *)) != NULL) {
		l = strlen(field) + 1;
		memcpy(tmp + n, field, l);
		n += l;
	}
	va_end(ap);
	out = malloc(n);
	memcpy(out, tmp, n);
	*len = n;
	return out;
}

static char *
bind_event(size_t *len, const char *driver, const char *class)
{
	char drv[64], cls[64];

	snprintf(drv, sizeof(drv), "DRIVER=%s", driver);
	snprintf(cls, sizeof(cls), "PCI_CLASS=%s", class);
	return uevent(len, "bind@/devices/pci0000:00/0000:00:0a.0", "ACTION=bind",
		      "DEVPATH=/devices/pci0000:00/0000:00:0a.0", "SUBSYSTEM=pci", drv, cls,
		      "PCI_ID=1B36:0010", "PCI_SLOT_NAME=0000:00:0a.0", "SEQNUM=1234", NULL);
}

static void
test_parse_bind(void)
{
	struct nvme_uevent ev;
	struct pnvme_pci_addr want;
	size_t len;
	char *m = bind_event(&len, "uio_pci_generic", "10802");

	CU_ASSERT_EQUAL(nvme_uevent_parse(m, len, &ev), 0);
	CU_ASSERT_EQUAL(ev.action, NVME_UEVENT_BIND);
	CU_ASSERT_STRING_EQUAL(ev.driver, "uio_pci_generic");
	CU_ASSERT(ev.has_class);
	CU_ASSERT_EQUAL(ev.pci_class, PNVME_PCI_CLASS_NVME);
	pnvme_pci_addr_parse(&want, "0000:00:0a.0");
	CU_ASSERT_EQUAL(pnvme_pci_addr_compare(&ev.addr, &want), 0);
	free(m);
}

static void
test_parse_remove(void)
{
	struct nvme_uevent ev;
	size_t len;
	char *m = uevent(&len, "remove@/devices/pci0000:00/0000:00:04.0", "ACTION=remove",
			 "DEVPATH=/devices/pci0000:00/0000:00:04.0", "SUBSYSTEM=pci",
			 "PCI_CLASS=10802", "PCI_SLOT_NAME=0000:00:04.0", "SEQNUM=99", NULL);

	CU_ASSERT_EQUAL(nvme_uevent_parse(m, len, &ev), 0);
	CU_ASSERT_EQUAL(ev.action, NVME_UEVENT_REMOVE);
	CU_ASSERT_STRING_EQUAL(ev.driver, "");
	CU_ASSERT_EQUAL(ev.addr.dev, 4);
	free(m);
}

static void
test_parse_garbage(void)
{
	static const unsigned char noise[] = {0xff, 0x00, 0x41, 0x3d, 0x00, 0x40, 0x00};
	struct nvme_uevent ev;
	size_t len;
	char *m;
	int i;

	CU_ASSERT_EQUAL(nvme_uevent_parse(noise, sizeof(noise), &ev), -EINVAL);
	CU_ASSERT_EQUAL(nvme_uevent_parse(noise, 0, &ev), -EINVAL);
	CU_ASSERT_EQUAL(nvme_uevent_parse(NULL, 10, &ev), -EINVAL);
	/* udev's own re-broadcast: no "@" in its header. */
	m = uevent(&len, "libudev", "ACTION=bind", "SUBSYSTEM=pci", "PCI_SLOT_NAME=0000:00:0a.0",
		   NULL);
	CU_ASSERT_EQUAL(nvme_uevent_parse(m, len, &ev), -EINVAL);
	free(m);
	/* Another subsystem. */
	m = uevent(&len, "add@/devices/virtual/block/loop0", "ACTION=add", "SUBSYSTEM=block",
		   "PCI_SLOT_NAME=0000:00:0a.0", NULL);
	CU_ASSERT_EQUAL(nvme_uevent_parse(m, len, &ev), -EINVAL);
	free(m);
	/* A slot name that is no PCI address, a class that is no number. */
	m = uevent(&len, "bind@/x", "ACTION=bind", "SUBSYSTEM=pci", "PCI_SLOT_NAME=0000:00:zz.0",
		   NULL);
	CU_ASSERT_EQUAL(nvme_uevent_parse(m, len, &ev), -EINVAL);
	free(m);
	m = uevent(&len, "bind@/x", "ACTION=bind", "SUBSYSTEM=pci", "PCI_CLASS=1080200000",
		   "DRIVER=a-driver-name-much-longer-than-any-driver-pnvme-knows",
		   "PCI_SLOT_NAME=0000:00:0a.0", NULL);
	CU_ASSERT_EQUAL(nvme_uevent_parse(m, len, &ev), 0);
	CU_ASSERT_FALSE(ev.has_class);
	CU_ASSERT_STRING_EQUAL(ev.driver, "");
	free(m);
	/* Fields without "=" are skipped; no ACTION field: refused. */
	m = uevent(&len, "bind@/x", "junk", "SUBSYSTEM=pci", "PCI_SLOT_NAME=0000:00:0a.0", NULL);
	CU_ASSERT_EQUAL(nvme_uevent_parse(m, len, &ev), -EINVAL);
	free(m);
	/* Random bytes never crash it. */
	srand(12);
	for (i = 0; i < 2000; i++) {
		size_t n = (size_t)(rand() % 64) + 1, j;
		char *r = malloc(n);

		for (j = 0; j < n; j++) {
			r[j] = (char)(rand() % 4 == 0 ? 0 : "@=pci0:.ACTION"[rand() % 14]);
		}
		nvme_uevent_parse(r, n, &ev);
		free(r);
	}
}

static void
test_parse_truncated(void)
{
	struct nvme_uevent ev;
	size_t len, cut;
	char *m = bind_event(&len, "vfio-pci", "10802");

	/* Every prefix that ends inside a field is refused as a whole; the
	 * copy is exactly as long as the prefix. */
	for (cut = 1; cut < len; cut++) {
		char *p = malloc(cut);

		memcpy(p, m, cut);
		if (p[cut - 1] != '\0') {
			CU_ASSERT_EQUAL(nvme_uevent_parse(p, cut, &ev), -EINVAL);
		} else {
			nvme_uevent_parse(p, cut, &ev);
		}
		free(p);
	}
	free(m);
}

/* ------------------------------------------------------------------ */

struct hp_log {
	int probed;
	int attached;
	int removed;
	char probed_addr[PNVME_TRADDR_MAX_LEN + 1];
	struct pnvme_ctrlr *ctrlrs[4];
	struct pnvme_ctrlr *removed_ctrlr;
};

static bool
refuse_probe_cb(void *ctx, const struct pnvme_transport_id *trid, struct pnvme_ctrlr_opts *opts)
{
	struct hp_log *log = ctx;

	(void)opts;
	log->probed++;
	pnvme_strlcpy(log->probed_addr, trid->traddr, sizeof(log->probed_addr));
	return trid->trtype == FAKE_TRANSPORT_TYPE;
}

static void
hp_attach_cb(void *ctx, const struct pnvme_transport_id *trid, struct pnvme_ctrlr *ctrlr,
	     const struct pnvme_ctrlr_opts *opts)
{
	struct hp_log *log = ctx;

	(void)trid;
	(void)opts;
	if (log->attached < 4) {
		log->ctrlrs[log->attached] = ctrlr;
	}
	log->attached++;
}

static void
hp_remove_cb(void *ctx, struct pnvme_ctrlr *ctrlr)
{
	struct hp_log *log = ctx;

	CU_ASSERT(pnvme_ctrlr_is_failed(ctrlr));
	log->removed++;
	log->removed_ctrlr = ctrlr;
}

static int g_errors;

static void
count_error(void *arg, const struct pnvme_cpl *cpl)
{
	(void)arg;
	CU_ASSERT(pnvme_cpl_is_error(cpl));
	g_errors++;
}

/* An emulated controller unplugged: every register reads zero. */
static void
test_vs_zero_is_removal(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();
	struct pnvme_cmd cmd = {.opc = PNVME_OPC_GET_FEATURES};
	int i;

	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), 1);
	f->admin_hang = true;
	g_errors = 0;
	for (i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(nvme_ctrlr_submit_admin(&f->ctrlr, &cmd, NULL, 0, count_error, NULL),
				0);
	}
	test_log_capture_start();
	f->rdy_after = -1;
	f->rdy = false;
	f->vs = 0;
	g_test_tick_step = 200000;
	CU_ASSERT_EQUAL(pnvme_ctrlr_process_admin_completions(&f->ctrlr), -ENXIO);
	g_test_tick_step = 1;
	CU_ASSERT_EQUAL(f->ctrlr.state, NVME_CTRLR_REMOVED);
	CU_ASSERT(test_log_contains("controller removed: device removed (CSTS 0x00000000, "
				    "VS 0x00000000)"));
	CU_ASSERT_FALSE(test_log_contains("RDY dropped"));
	CU_ASSERT_EQUAL(test_log_lines(), 1);
	/* Each outstanding request completed once, with an error; later
	 * submissions are refused. */
	CU_ASSERT_EQUAL(g_errors, 3);
	CU_ASSERT_EQUAL(nvme_ctrlr_submit_admin(&f->ctrlr, &cmd, NULL, 0, count_error, NULL),
			-ENXIO);
	CU_ASSERT_EQUAL(pnvme_ctrlr_process_admin_completions(&f->ctrlr), -ENXIO);
	CU_ASSERT_EQUAL(g_errors, 3);
	pnvme_log_set_handler(NULL);
	fake_ctrlr_destroy(f);
}

/* Hardware's unplugged controller: all ones, CFS set among them. */
static void
test_all_ones_is_removal_not_fatal_status(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();

	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), 1);
	test_log_capture_start();
	f->cfs = true;
	f->vs = UINT32_MAX;
	g_test_tick_step = 200000;
	CU_ASSERT_EQUAL(pnvme_ctrlr_process_admin_completions(&f->ctrlr), -ENXIO);
	g_test_tick_step = 1;
	CU_ASSERT_EQUAL(f->ctrlr.state, NVME_CTRLR_REMOVED);
	CU_ASSERT(test_log_contains("VS 0xffffffff"));
	CU_ASSERT_FALSE(test_log_contains("fatal status"));
	pnvme_log_set_handler(NULL);
	fake_ctrlr_destroy(f);
}

/* A real fatal status (VS still reads) stays a failure. */
static void
test_cfs_with_vs_is_failure(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();

	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), 1);
	test_log_capture_start();
	f->cfs = true;
	g_test_tick_step = 200000;
	CU_ASSERT_EQUAL(pnvme_ctrlr_process_admin_completions(&f->ctrlr), -ENXIO);
	g_test_tick_step = 1;
	CU_ASSERT_EQUAL(f->ctrlr.state, NVME_CTRLR_FAILED);
	CU_ASSERT(test_log_contains("controller fatal status (CSTS.CFS)"));
	pnvme_log_set_handler(NULL);
	fake_ctrlr_destroy(f);
}

/* Unbound on its way out: registers still answer, but the device lost bus
 * mastering and reports a fatal status; not ours any more = removed. */
static void
test_cfs_while_unbound_is_removal(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();

	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), 1);
	test_log_capture_start();
	f->cfs = true;
	f->present = false;
	g_test_tick_step = 200000;
	CU_ASSERT_EQUAL(pnvme_ctrlr_process_admin_completions(&f->ctrlr), -ENXIO);
	g_test_tick_step = 1;
	CU_ASSERT_EQUAL(f->ctrlr.state, NVME_CTRLR_REMOVED);
	CU_ASSERT(test_log_contains("controller removed: device removed"));
	CU_ASSERT_FALSE(test_log_contains("fatal status"));
	pnvme_log_set_handler(NULL);
	fake_ctrlr_destroy(f);
}

/* Unplugged while coming up: bring-up ends as a removal, not a timeout. */
static void
test_removed_during_bringup(void)
{
	struct fake_ctrlr *f = fake_ctrlr_create();

	test_log_capture_start();
	f->rdy_after = -1;
	f->vs = 0;
	CU_ASSERT_EQUAL(fake_ctrlr_run_init(f, POLLS), -ENODEV);
	CU_ASSERT_EQUAL(f->ctrlr.state, NVME_CTRLR_REMOVED);
	CU_ASSERT(test_log_contains("device removed"));
	CU_ASSERT_FALSE(test_log_contains("timed out"));
	pnvme_log_set_handler(NULL);
	fake_ctrlr_destroy(f);
}

static const struct pnvme_transport_id g_fake_trid = {.trtype = FAKE_TRANSPORT_TYPE};

static void
test_hotplug_poll_bad_arguments(void)
{
	struct hp_log log = {0};

	test_log_capture_start();
	CU_ASSERT_EQUAL(pnvme_hotplug_poll(&log, NULL, NULL, hp_remove_cb), -EINVAL);
	CU_ASSERT_EQUAL(pnvme_hotplug_poll(&log, NULL, hp_attach_cb, NULL), -EINVAL);
	CU_ASSERT_EQUAL(test_log_lines(), 2);
	pnvme_log_set_handler(NULL);
}

/* Found REMOVED by the health check: remove_cb from the hotplug poll, once. */
static void
test_hotplug_poll_reports_removed_once(void)
{
	struct hp_log log = {0};
	struct fake_ctrlr *f;

	g_fake_scan_count = 2;
	g_fake_num_constructed = 0;
	CU_ASSERT_EQUAL(pnvme_probe(&g_fake_trid, &log, refuse_probe_cb, hp_attach_cb,
				    hp_remove_cb),
			0);
	CU_ASSERT_EQUAL_FATAL(log.attached, 2);
	/* The first call starts the monitor and probes PCIe (nothing there). */
	CU_ASSERT_EQUAL(pnvme_hotplug_poll(&log, refuse_probe_cb, hp_attach_cb, hp_remove_cb), 0);
	CU_ASSERT_EQUAL(log.removed, 0);
	f = g_fake_constructed[1];
	f->rdy_after = -1;
	f->rdy = false;
	f->vs = 0;
	g_test_tick_step = 200000;
	CU_ASSERT_EQUAL(pnvme_ctrlr_process_admin_completions(log.ctrlrs[1]), -ENXIO);
	g_test_tick_step = 1;
	CU_ASSERT_EQUAL(log.removed, 0); /* not from the admin poll */
	CU_ASSERT_EQUAL(pnvme_hotplug_poll(&log, refuse_probe_cb, hp_attach_cb, hp_remove_cb), 0);
	CU_ASSERT_EQUAL(log.removed, 1);
	CU_ASSERT_PTR_EQUAL(log.removed_ctrlr, log.ctrlrs[1]);
	CU_ASSERT_EQUAL(pnvme_hotplug_poll(&log, refuse_probe_cb, hp_attach_cb, hp_remove_cb), 0);
	CU_ASSERT_EQUAL(pnvme_probe(&g_fake_trid, &log, refuse_probe_cb, hp_attach_cb,
				    hp_remove_cb),
			0);
	CU_ASSERT_EQUAL(log.removed, 1);
	/* The monitor's removal of the other one: also once. */
	CU_ASSERT(nvme_probe_set_removed(&log.ctrlrs[0]->trid, "device removed (test)"));
	CU_ASSERT(nvme_probe_set_removed(&log.ctrlrs[0]->trid, "device removed (test)"));
	CU_ASSERT_EQUAL(pnvme_hotplug_poll(&log, refuse_probe_cb, hp_attach_cb, hp_remove_cb), 0);
	CU_ASSERT_EQUAL(pnvme_hotplug_poll(&log, refuse_probe_cb, hp_attach_cb, hp_remove_cb), 0);
	CU_ASSERT_EQUAL(log.removed, 2);
	CU_ASSERT_EQUAL(pnvme_detach(log.ctrlrs[0]), 0);
	CU_ASSERT_EQUAL(pnvme_detach(log.ctrlrs[1]), 0);
	g_fake_scan_count = 0;
}

static void
add_test_pci_device(const char *bdf, uint32_t class_id, enum pnvme_pci_driver_kind kind)
{
	struct test_pci_device *d = &g_test_pci_devices[g_test_num_pci_devices++];

	memset(d, 0, sizeof(*d));
	pnvme_pci_addr_parse(&d->info.addr, bdf);
	d->info.id.class_id = class_id;
	d->info.driver_kind = kind;
	d->present = true;
}

/* Bind events: only an NVMe controller given to a userspace driver is
 * probed; removals of addresses nobody attached are ignored. */
static void
test_handle_uevents(void)
{
	struct hp_log log = {0};
	const struct nvme_hotplug_cbs cbs = {
		.cb_ctx = &log,
		.probe_cb = refuse_probe_cb,
		.attach_cb = hp_attach_cb,
		.remove_cb = hp_remove_cb,
	};
	size_t len;
	char *m;

	test_env_reset();
	add_test_pci_device("0000:00:0a.0", PNVME_PCI_CLASS_NVME, PNVME_PCI_DRIVER_UIO);
	m = bind_event(&len, "uio_pci_generic", "10802");
	CU_ASSERT_EQUAL(nvme_hotplug_handle_uevent(m, len, &cbs), 1);
	CU_ASSERT_EQUAL(log.probed, 1);
	CU_ASSERT_STRING_EQUAL(log.probed_addr, "0000:00:0a.0");
	free(m);
	m = bind_event(&len, "nvme", "10802");
	CU_ASSERT_EQUAL(nvme_hotplug_handle_uevent(m, len, &cbs), 0);
	free(m);
	m = bind_event(&len, "vfio-pci", "20000"); /* a NIC */
	CU_ASSERT_EQUAL(nvme_hotplug_handle_uevent(m, len, &cbs), 0);
	free(m);
	CU_ASSERT_EQUAL(log.probed, 1);
	m = uevent(&len, "remove@/x", "ACTION=remove", "SUBSYSTEM=pci",
		   "PCI_SLOT_NAME=0000:00:0a.0", NULL);
	CU_ASSERT_EQUAL(nvme_hotplug_handle_uevent(m, len, &cbs), 0);
	free(m);
	CU_ASSERT_EQUAL(nvme_hotplug_handle_uevent("garbage", 8, &cbs), 0);
	CU_ASSERT_EQUAL(log.removed, 0);
	test_env_reset();
}

/* ------------------------------------------------------------------ */
/* SIGBUS guard                                                        */
/* ------------------------------------------------------------------ */

static volatile sig_atomic_t g_previous_calls;
static void *volatile g_previous_fix_addr;
static size_t g_page;

/* The handler that was there before: fixes its own mapping with zeros. */
static void
previous_handler(int sig, siginfo_t *info, void *uctx)
{
	(void)sig;
	(void)uctx;
	g_previous_calls++;
	if (info->si_addr == g_previous_fix_addr) {
		mmap(g_previous_fix_addr, g_page, PROT_READ | PROT_WRITE,
		     MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	}
}

/* A page of a file truncated to nothing: reading it raises SIGBUS. */
static volatile uint32_t *
sigbus_page(void)
{
	char path[] = "/tmp/pnvme_bar_guard_XXXXXX";
	void *p;
	int fd = mkstemp(path);

	if (fd < 0) {
		return NULL;
	}
	unlink(path);
	if (ftruncate(fd, (off_t)g_page) != 0) {
		close(fd);
		return NULL;
	}
	p = mmap(NULL, g_page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED || ftruncate(fd, 0) != 0) {
		close(fd);
		return NULL;
	}
	close(fd);
	return p;
}

static void
test_sigbus_guard(void)
{
	struct sigaction sa, old;
	volatile uint32_t *bar, *other;

	g_page = (size_t)sysconf(_SC_PAGESIZE);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = previous_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	CU_ASSERT_EQUAL_FATAL(sigaction(SIGBUS, &sa, &old), 0);
	bar = sigbus_page();
	other = sigbus_page();
	CU_ASSERT_PTR_NOT_NULL_FATAL(bar);
	CU_ASSERT_PTR_NOT_NULL_FATAL(other);

	CU_ASSERT_EQUAL(pnvme_bar_guard_add((void *)bar, g_page), 0);
	/* Inside a guarded range: the access reads all ones. */
	CU_ASSERT_EQUAL(bar[5], 0xFFFFFFFFu);
	CU_ASSERT_EQUAL(bar[0], 0xFFFFFFFFu);
	CU_ASSERT_EQUAL(g_previous_calls, 0);
	/* Outside: the previous handler gets it. */
	g_previous_fix_addr = (void *)other;
	CU_ASSERT_EQUAL(other[0], 0u);
	CU_ASSERT_EQUAL(g_previous_calls, 1);
	pnvme_bar_guard_remove((void *)bar);
	CU_ASSERT_EQUAL(pnvme_bar_guard_add(NULL, 4096), -EINVAL);
	munmap((void *)bar, g_page);
	munmap((void *)other, g_page);
}

int
main(void)
{
	static const struct ut_test tests[] = {
		{"parse_bind", test_parse_bind},
		{"parse_remove", test_parse_remove},
		{"parse_garbage", test_parse_garbage},
		{"parse_truncated", test_parse_truncated},
		{"vs_zero_is_removal", test_vs_zero_is_removal},
		{"all_ones_is_removal_not_fatal_status", test_all_ones_is_removal_not_fatal_status},
		{"cfs_with_vs_is_failure", test_cfs_with_vs_is_failure},
		{"cfs_while_unbound_is_removal", test_cfs_while_unbound_is_removal},
		{"removed_during_bringup", test_removed_during_bringup},
		{"hotplug_poll_bad_arguments", test_hotplug_poll_bad_arguments},
		{"hotplug_poll_reports_removed_once", test_hotplug_poll_reports_removed_once},
		{"handle_uevents", test_handle_uevents},
		{"sigbus_guard", test_sigbus_guard},
		{NULL, NULL},
	};

	if (nvme_transport_register(&g_fake_ops) != 0) {
		return 2;
	}
	return ut_run("hotplug", tests);
}
