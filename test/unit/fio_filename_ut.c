/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fio engine's filename form (plugins/fio/filename.c).
 */
#include <errno.h>
#include <string.h>

#include "../../plugins/fio/filename.h"
#include "ut.h"

static void
test_pcie_dots(void)
{
	struct pnvme_transport_id trid;
	uint32_t nsid = 0;
	char err[128];

	CU_ASSERT_EQUAL(fio_filename_parse("trtype=PCIe traddr=0000.01.00.0 ns=1", &trid, &nsid,
					   err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(trid.trtype, PNVME_TRANSPORT_PCIE);
	CU_ASSERT_STRING_EQUAL(trid.traddr, "0000:01:00.0");
	CU_ASSERT_EQUAL(nsid, 1);
	/* No domain, no ns (namespace 1), tabs. */
	CU_ASSERT_EQUAL(fio_filename_parse("trtype=pcie\ttraddr=00.04.0", &trid, &nsid, err,
					   sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(trid.traddr, "0000:00:04.0");
	CU_ASSERT_EQUAL(nsid, 1);
	CU_ASSERT_EQUAL(fio_filename_parse("traddr=0000.00.04.0 trtype=PCIe ns=7", &trid, &nsid,
					   err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(trid.traddr, "0000:00:04.0");
	CU_ASSERT_EQUAL(nsid, 7);
}

static void
test_tcp_escaped_colon(void)
{
	struct pnvme_transport_id trid;
	uint32_t nsid = 0;
	char err[128];

	CU_ASSERT_EQUAL(fio_filename_parse("trtype=TCP adrfam=IPv4 traddr=127.0.0.1 trsvcid=4420 "
					   "subnqn=nqn.2026-11.io.example\\:disk1 ns=2",
					   &trid, &nsid, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(trid.trtype, PNVME_TRANSPORT_TCP);
	CU_ASSERT_EQUAL(trid.adrfam, PNVME_ADRFAM_IPV4);
	/* Dots stay dots in an IP address. */
	CU_ASSERT_STRING_EQUAL(trid.traddr, "127.0.0.1");
	CU_ASSERT_STRING_EQUAL(trid.trsvcid, "4420");
	CU_ASSERT_STRING_EQUAL(trid.subnqn, "nqn.2026-11.io.example:disk1");
	CU_ASSERT_EQUAL(nsid, 2);
}

static void
test_bad_names(void)
{
	static const char *const bad[] = {
		"",
		"trtype=PCIe",
		"traddr=0000.01.00.0",
		"trtype=PCIe traddr=0000.01.00.0 ns=0",
		"trtype=PCIe traddr=0000.01.00.0 ns=4294967295",
		"trtype=PCIe traddr=0000.01.00.0 ns=1x",
		"trtype=PCIe traddr=0000.01.00.0 ns=-1",
		"trtype=PCIe traddr=0000.01.00.0 ns=1 ns=2",
		"trtype=PCIe traddr=0000.01.00.0 bogus",
		"trtype=PCIe traddr=0000.01.00.0 =x",
		"trtype=PCIe traddr=0000.01.00.0 foo=bar",
		"trtype=PCIe traddr=zz.01.00.0",
		"trtype=FC traddr=1.2.3.4",
		"trtype=TCP traddr=1.2.3.4 trsvcid=4420 subnqn=",
	};
	struct pnvme_transport_id trid;
	uint32_t nsid;
	char err[128];
	char longname[2048];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CU_ASSERT_EQUAL(fio_filename_parse(bad[i], &trid, &nsid, err, sizeof(err)), -EINVAL);
		CU_ASSERT(err[0] != '\0' && strchr(err, '\n') == NULL);
	}
	CU_ASSERT_EQUAL(fio_filename_parse(NULL, &trid, &nsid, err, sizeof(err)), -EINVAL);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CU_ASSERT_EQUAL(fio_filename_parse(longname, &trid, &nsid, err, sizeof(err)), -EINVAL);
}

int
main(void)
{
	static const struct ut_test tests[] = {
		{"pcie_dots", test_pcie_dots},
		{"tcp_escaped_colon", test_tcp_escaped_colon},
		{"bad_names", test_bad_names},
		{NULL, NULL},
	};

	return ut_run("fio_filename", tests);
}
