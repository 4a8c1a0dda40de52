/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PCI address parsing and formatting ("DDDD:BB:DD.F").
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "pnvme/env.h"

/* Parse a hex number no larger than @p max_value that ends at @p end_char. */
static int
parse_hex_field(const char **p, unsigned long max_value, char end_char, unsigned long *out)
{
	const char *s = *p;
	char *end;

	if (!isxdigit((unsigned char)*s)) {
		return -EINVAL;
	}
	errno = 0;
	*out = strtoul(s, &end, 16);
	if (errno != 0 || *out > max_value || *end != end_char) {
		return -EINVAL;
	}
	*p = end_char == '\0' ? end : end + 1;
	return 0;
}

int
pnvme_pci_addr_parse(struct pnvme_pci_addr *addr, const char *str)
{
	unsigned long domain = 0, bus, dev, func;
	const char *p = str;
	int colons = 0;
	const char *c;

	if (addr == NULL || str == NULL) {
		return -EINVAL;
	}
	for (c = str; *c != '\0'; c++) {
		colons += *c == ':';
	}
	if (colons != 1 && colons != 2) {
		return -EINVAL;
	}
	if (colons == 2 && parse_hex_field(&p, 0xffffffffUL, ':', &domain) != 0) {
		return -EINVAL;
	}
	if (parse_hex_field(&p, 0xff, ':', &bus) != 0 ||
	    parse_hex_field(&p, 0x1f, '.', &dev) != 0 ||
	    parse_hex_field(&p, 0x7, '\0', &func) != 0) {
		return -EINVAL;
	}
	addr->domain = (uint32_t)domain;
	addr->bus = (uint8_t)bus;
	addr->dev = (uint8_t)dev;
	addr->func = (uint8_t)func;
	return 0;
}

int
pnvme_pci_addr_fmt(char *buf, size_t size, const struct pnvme_pci_addr *addr)
{
	int n = snprintf(buf, size, "%04x:%02x:%02x.%x", addr->domain, addr->bus, addr->dev,
			 addr->func);

	return (n < 0 || (size_t)n >= size) ? -ENOSPC : 0;
}

int
pnvme_pci_addr_compare(const struct pnvme_pci_addr *a, const struct pnvme_pci_addr *b)
{
	uint64_t ka = ((uint64_t)a->domain << 24) | ((uint32_t)a->bus << 16) |
		      ((uint32_t)a->dev << 8) | a->func;
	uint64_t kb = ((uint64_t)b->domain << 24) | ((uint32_t)b->bus << 16) |
		      ((uint32_t)b->dev << 8) | b->func;

	return ka < kb ? -1 : ka > kb ? 1 : 0;
}
