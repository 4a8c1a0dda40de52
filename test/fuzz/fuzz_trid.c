/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transport ID and PCI address strings. The input is split at its first
 * NUL into two strings. Each is parsed as a transport ID and as a PCI
 * address; what parses must format, and the formatted string must parse
 * back to the same value (round trip). Two parsed transport IDs must
 * compare consistently both ways.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
sign(int v)
{
	return (v > 0) - (v < 0);
}

static void
check_terminated(const struct pnvme_transport_id *t)
{
	FUZZ_CHECK(memchr(t->traddr, '\0', sizeof(t->traddr)) != NULL, "traddr unterminated");
	FUZZ_CHECK(memchr(t->trsvcid, '\0', sizeof(t->trsvcid)) != NULL, "trsvcid unterminated");
	FUZZ_CHECK(memchr(t->subnqn, '\0', sizeof(t->subnqn)) != NULL, "subnqn unterminated");
}

/* Parse @p str as a transport ID; on success check the round trip. */
static bool
trid_round_trip(const char *str, struct pnvme_transport_id *trid)
{
	struct pnvme_transport_id again;
	char fmt[1024];
	int rc;

	if (pnvme_transport_id_parse(trid, str) != 0) {
		return false;
	}
	check_terminated(trid);
	rc = pnvme_transport_id_fmt(fmt, sizeof(fmt), trid);
	FUZZ_CHECK(rc == 0, "'%s' parsed but does not format (%d)", str, rc);
	FUZZ_CHECK(pnvme_transport_id_parse(&again, fmt) == 0, "'%s' formats as '%s', which does "
		   "not parse", str, fmt);
	FUZZ_CHECK(pnvme_transport_id_compare(trid, &again) == 0 &&
			   pnvme_transport_id_compare(&again, trid) == 0,
		   "'%s' formats as '%s', which parses to another transport ID", str, fmt);
	/* A tiny buffer must be refused, never overrun. */
	FUZZ_CHECK(pnvme_transport_id_fmt(fmt, 8, trid) != 0 || strlen(fmt) < 8,
		   "format into 8 bytes");
	return true;
}

static void
pci_round_trip(const char *str)
{
	struct pnvme_pci_addr addr, again;
	char fmt[PNVME_PCI_ADDR_STRLEN];

	if (pnvme_pci_addr_parse(&addr, str) != 0) {
		return;
	}
	FUZZ_CHECK(addr.bus <= 0xff && addr.dev <= 0x1f && addr.func <= 7,
		   "'%s' parsed to %x:%x.%x", str, addr.bus, addr.dev, addr.func);
	FUZZ_CHECK(pnvme_pci_addr_fmt(fmt, sizeof(fmt), &addr) == 0, "'%s' does not format", str);
	FUZZ_CHECK(pnvme_pci_addr_parse(&again, fmt) == 0 &&
			   pnvme_pci_addr_compare(&addr, &again) == 0,
		   "'%s' formats as '%s', which parses differently", str, fmt);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pnvme_transport_id a, b;
	char *str = malloc(size + 1), *second;
	bool ok_a, ok_b;

	FUZZ_CHECK(str != NULL, "out of memory");
	memcpy(str, data, size);
	str[size] = '\0';
	second = str + strlen(str);
	if ((size_t)(second - str) < size) {
		second++; /* past the first NUL */
	}
	ok_a = trid_round_trip(str, &a);
	ok_b = trid_round_trip(second, &b);
	pci_round_trip(str);
	pci_round_trip(second);
	if (ok_a && ok_b) {
		FUZZ_CHECK(sign(pnvme_transport_id_compare(&a, &b)) ==
				   -sign(pnvme_transport_id_compare(&b, &a)),
			   "compare('%s', '%s') is not antisymmetric", str, second);
	}
	free(str);
	return 0;
}
