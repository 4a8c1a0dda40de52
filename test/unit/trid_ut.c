/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transport ID and PCI address parsing.
 */
#include <errno.h>
#include <string.h>

#include "test_env.h"
#include "ut.h"

static void
test_pcie_full_address(void)
{
	struct pnvme_transport_id trid;

	CU_ASSERT_EQUAL(pnvme_transport_id_parse(&trid, "trtype:PCIe traddr:0000:00:04.0"), 0);
	CU_ASSERT_EQUAL(trid.trtype, PNVME_TRANSPORT_PCIE);
	CU_ASSERT_STRING_EQUAL(trid.traddr, "0000:00:04.0");
}

static void
test_pcie_normalised(void)
{
	struct pnvme_transport_id trid;

	/* No domain, upper case, '=' separator, extra spaces. */
	CU_ASSERT_EQUAL(pnvme_transport_id_parse(&trid, "  TRTYPE=pcie   traddr=0A:1F.7 "), 0);
	CU_ASSERT_STRING_EQUAL(trid.traddr, "0000:0a:1f.7");
}

static void
test_pcie_without_address(void)
{
	struct pnvme_transport_id trid;

	CU_ASSERT_EQUAL(pnvme_transport_id_parse(&trid, "trtype:PCIe"), 0);
	CU_ASSERT_STRING_EQUAL(trid.traddr, "");
}

static void
test_tcp_full(void)
{
	struct pnvme_transport_id trid;
	const char *s = "trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420 "
			"subnqn:nqn.2026-01.org.example:cnode1";

	CU_ASSERT_EQUAL(pnvme_transport_id_parse(&trid, s), 0);
	CU_ASSERT_EQUAL(trid.trtype, PNVME_TRANSPORT_TCP);
	CU_ASSERT_EQUAL(trid.adrfam, PNVME_ADRFAM_IPV4);
	CU_ASSERT_STRING_EQUAL(trid.traddr, "127.0.0.1");
	CU_ASSERT_STRING_EQUAL(trid.trsvcid, "4420");
	CU_ASSERT_STRING_EQUAL(trid.subnqn, "nqn.2026-01.org.example:cnode1");
}

static void
test_rdma_ipv6_inferred(void)
{
	struct pnvme_transport_id trid;

	CU_ASSERT_EQUAL(pnvme_transport_id_parse(&trid, "trtype:rdma traddr:fe80::1 trsvcid:4420"), 0);
	CU_ASSERT_EQUAL(trid.trtype, PNVME_TRANSPORT_RDMA);
	CU_ASSERT_EQUAL(trid.adrfam, PNVME_ADRFAM_IPV6);
	CU_ASSERT_STRING_EQUAL(trid.traddr, "fe80::1");
}

/* Each bad string fails with -EINVAL and a log line naming @p needle. */
static void
expect_bad(const char *str, const char *needle)
{
	struct pnvme_transport_id trid;

	test_log_capture_start();
	CU_ASSERT_EQUAL(pnvme_transport_id_parse(&trid, str), -EINVAL);
	if (!test_log_contains(needle)) {
		fprintf(stderr, "\n'%s': log lacks '%s': %s\n", str, needle, test_log_text());
		CU_FAIL("log line does not name the problem");
	}
}

static void
test_bad_strings(void)
{
	expect_bad("trtype:PCIe traddr:0000:00:04.0 color:blue", "unknown key 'color'");
	expect_bad("trtype:PCIe trtype:TCP", "given twice");
	expect_bad("traddr:0000:00:04.0", "trtype is missing");
	expect_bad("trtype:FC traddr:x", "unknown trtype 'FC'");
	expect_bad("trtype:PCIe traddr:00:04", "not a PCI address");
	expect_bad("trtype:PCIe traddr:0000:00:20.0", "not a PCI address");
	expect_bad("trtype:PCIe traddr:0000:00:04.8", "not a PCI address");
	expect_bad("trtype:PCIe traddr:0000:100:04.0", "not a PCI address");
	expect_bad("trtype:PCIe trsvcid:4420", "PCIe takes only traddr");
	expect_bad("trtype:TCP traddr:1.2.3.4 trsvcid:70000", "not a port number");
	expect_bad("trtype:TCP traddr:1.2.3.4 trsvcid:44x", "not a port number");
	expect_bad("trtype:TCP traddr:1.2.3.4 trsvcid:0", "not a port number");
	expect_bad("trtype:TCP trsvcid:4420", "needs traddr");
	expect_bad("trtype:TCP traddr:1.2.3.4 subnqn:cnode1", "does not start with 'nqn.'");
	expect_bad("trtype:TCP adrfam:IB traddr:1.2.3.4", "not supported over TCP");
	expect_bad("trtype:TCP adrfam:IPv5 traddr:1.2.3.4", "unknown adrfam 'IPv5'");
	expect_bad("trtype:TCP traddr:", "empty");
	expect_bad("trtype", "not key:value");
	expect_bad(":PCIe", "not key:value");
	pnvme_log_set_handler(NULL);
}

static void
test_too_long_values(void)
{
	char s[1024];

	test_log_capture_start();
	snprintf(s, sizeof(s), "trtype:TCP traddr:1.2.3.4 subnqn:nqn.%0300d", 0);
	CU_ASSERT_EQUAL(pnvme_transport_id_parse(&(struct pnvme_transport_id){0}, s), -EINVAL);
	CU_ASSERT(test_log_contains("too long") || test_log_contains("longer than"));
	pnvme_log_set_handler(NULL);
}

static void
test_null_arguments(void)
{
	struct pnvme_transport_id trid;

	test_log_capture_start();
	CU_ASSERT_EQUAL(pnvme_transport_id_parse(NULL, "trtype:PCIe"), -EINVAL);
	CU_ASSERT_EQUAL(pnvme_transport_id_parse(&trid, NULL), -EINVAL);
	CU_ASSERT(test_log_contains("NULL"));
	pnvme_log_set_handler(NULL);
}

static void
test_compare_and_format(void)
{
	struct pnvme_transport_id a, b, c;
	char buf[512];

	CU_ASSERT_EQUAL(pnvme_transport_id_parse(&a, "trtype:PCIe traddr:00:04.0"), 0);
	CU_ASSERT_EQUAL(pnvme_transport_id_parse(&b, "trtype:pcie traddr:0000:00:04.0"), 0);
	CU_ASSERT_EQUAL(pnvme_transport_id_compare(&a, &b), 0);
	CU_ASSERT_EQUAL(pnvme_transport_id_parse(&b, "trtype:PCIe traddr:0000:00:05.0"), 0);
	CU_ASSERT(pnvme_transport_id_compare(&a, &b) < 0);

	CU_ASSERT_EQUAL(pnvme_transport_id_parse(&a, "trtype:TCP traddr:10.0.0.1 trsvcid:4420 "
						     "subnqn:nqn.x"),
			0);
	CU_ASSERT_EQUAL(pnvme_transport_id_fmt(buf, sizeof(buf), &a), 0);
	CU_ASSERT_STRING_EQUAL(buf, "trtype:TCP adrfam:IPv4 traddr:10.0.0.1 trsvcid:4420 "
				    "subnqn:nqn.x");
	CU_ASSERT_EQUAL(pnvme_transport_id_parse(&c, buf), 0);
	CU_ASSERT_EQUAL(pnvme_transport_id_compare(&a, &c), 0);
	CU_ASSERT_EQUAL(pnvme_transport_id_fmt(buf, 8, &a), -ENOSPC);
}

static void
test_pci_addr(void)
{
	struct pnvme_pci_addr addr;
	char buf[PNVME_PCI_ADDR_STRLEN];

	CU_ASSERT_EQUAL(pnvme_pci_addr_parse(&addr, "10000:ff:1f.7"), 0);
	CU_ASSERT_EQUAL(addr.domain, 0x10000);
	CU_ASSERT_EQUAL(addr.bus, 0xff);
	CU_ASSERT_EQUAL(addr.dev, 0x1f);
	CU_ASSERT_EQUAL(addr.func, 7);
	/* A domain above FFFFh formats whole into the documented size. */
	CU_ASSERT_EQUAL(pnvme_pci_addr_fmt(buf, sizeof(buf), &addr), 0);
	CU_ASSERT_STRING_EQUAL(buf, "10000:ff:1f.7");
	CU_ASSERT_EQUAL(pnvme_pci_addr_parse(&addr, "ffffffff:ff:1f.7"), 0);
	CU_ASSERT_EQUAL(pnvme_pci_addr_fmt(buf, sizeof(buf), &addr), 0);
	CU_ASSERT_STRING_EQUAL(buf, "ffffffff:ff:1f.7");
	CU_ASSERT_EQUAL(pnvme_pci_addr_parse(&addr, "00:04.0"), 0);
	CU_ASSERT_EQUAL(pnvme_pci_addr_fmt(buf, sizeof(buf), &addr), 0);
	CU_ASSERT_STRING_EQUAL(buf, "0000:00:04.0");
	CU_ASSERT_EQUAL(pnvme_pci_addr_parse(&addr, ""), -EINVAL);
	CU_ASSERT_EQUAL(pnvme_pci_addr_parse(&addr, "0000:00:04"), -EINVAL);
	CU_ASSERT_EQUAL(pnvme_pci_addr_parse(&addr, "0000:00:04.0.1"), -EINVAL);
	CU_ASSERT_EQUAL(pnvme_pci_addr_parse(&addr, "g0:00:04.0"), -EINVAL);
	CU_ASSERT_EQUAL(pnvme_pci_addr_parse(&addr, "0:0:0:04.0"), -EINVAL);
	CU_ASSERT_EQUAL(pnvme_pci_addr_parse(&addr, "00:-4.0"), -EINVAL);
}

int
main(void)
{
	static const struct ut_test tests[] = {
		{"pcie_full_address", test_pcie_full_address},
		{"pcie_normalised", test_pcie_normalised},
		{"pcie_without_address", test_pcie_without_address},
		{"tcp_full", test_tcp_full},
		{"rdma_ipv6_inferred", test_rdma_ipv6_inferred},
		{"bad_strings", test_bad_strings},
		{"too_long_values", test_too_long_values},
		{"null_arguments", test_null_arguments},
		{"compare_and_format", test_compare_and_format},
		{"pci_addr", test_pci_addr},
		{NULL, NULL},
	};

	return ut_run("trid", tests);
}
