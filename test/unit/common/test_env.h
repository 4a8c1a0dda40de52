/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The unit-test environment: heap "DMA" memory with identity translation,
 * a tick counter the tests drive, a scripted PCI bus and log capture.
 */
#ifndef PNVME_TEST_ENV_H
#define PNVME_TEST_ENV_H

#include <stdbool.h>
#include <stdint.h>

#include "pnvme/env.h"
#include "pnvme/nvme.h"

/* Ticks run at 1 MHz; every pnvme_get_ticks() call advances them by
 * g_test_tick_step so deadlines pass without real waiting. */
extern uint64_t g_test_ticks;
extern uint64_t g_test_tick_step;

/* Scripted PCI bus seen by pnvme_pci_* (up to 8 devices). */
struct test_pci_device {
	struct pnvme_pci_device_info info;
	void *bar0;
	uint64_t bar0_size;
	bool present;
};
extern struct test_pci_device g_test_pci_devices[8];
extern int g_test_num_pci_devices;

void test_env_reset(void);

/* Log capture: every line since the last reset, joined by newlines. */
void test_log_capture_start(void);
const char *test_log_text(void);
bool test_log_contains(const char *needle);
/* Lines logged since the capture started. */
int test_log_lines(void);

#endif
