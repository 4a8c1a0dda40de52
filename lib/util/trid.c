/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transport ID strings: "trtype:TCP adrfam:IPv4 traddr:... trsvcid:... subnqn:...".
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"

struct name_value {
	const char *name;
	int value;
};

static const struct name_value g_trtypes[] = {
	{"PCIe", PNVME_TRANSPORT_PCIE},
	{"TCP", PNVME_TRANSPORT_TCP},
	{"RDMA", PNVME_TRANSPORT_RDMA},
};

static const struct name_value g_adrfams[] = {
	{"IPv4", PNVME_ADRFAM_IPV4},
	{"IPv6", PNVME_ADRFAM_IPV6},
	{"IB", PNVME_ADRFAM_IB},
	{"FC", PNVME_ADRFAM_FC},
	{"intra_host", PNVME_ADRFAM_INTRA_HOST},
};

static const char *
lookup_name(const struct name_value *table, size_t count, int value)
{
	size_t i;

	for (i = 0; i < count; i++) {
		if (table[i].value == value) {
			return table[i].name;
		}
	}
	return NULL;
}

static int
lookup_value(const struct name_value *table, size_t count, const char *name, int *value)
{
	size_t i;

	for (i = 0; i < count; i++) {
		if (strcasecmp(table[i].name, name) == 0) {
			*value = table[i].value;
			return 0;
		}
	}
	return -EINVAL;
}

const char *
pnvme_transport_type_str(enum pnvme_transport_type trtype)
{
	return lookup_name(g_trtypes, PNVME_ARRAY_SIZE(g_trtypes), (int)trtype);
}

const char *
pnvme_adrfam_str(enum pnvme_adrfam adrfam)
{
	return lookup_name(g_adrfams, PNVME_ARRAY_SIZE(g_adrfams), (int)adrfam);
}

enum trid_key {
	KEY_TRTYPE,
	KEY_ADRFAM,
	KEY_TRADDR,
	KEY_TRSVCID,
	KEY_SUBNQN,
	KEY_COUNT,
};

static const char *const g_key_names[KEY_COUNT] = {
	[KEY_TRTYPE] = "trtype",
	[KEY_ADRFAM] = "adrfam",
	[KEY_TRADDR] = "traddr",
	[KEY_TRSVCID] = "trsvcid",
	[KEY_SUBNQN] = "subnqn",
};

static int
set_string(char *dst, size_t size, const char *key, const char *value)
{
	if (value[0] == '\0' || pnvme_strlcpy(dst, value, size) != 0) {
		PNVME_ERRLOG("transport ID: %s '%s' is empty or longer than %zu characters", key,
			     value, size - 1);
		return -EINVAL;
	}
	return 0;
}

static int
set_key(struct pnvme_transport_id *trid, enum trid_key key, const char *value)
{
	int v;

	switch (key) {
	case KEY_TRTYPE:
		if (lookup_value(g_trtypes, PNVME_ARRAY_SIZE(g_trtypes), value, &v) != 0) {
			PNVME_ERRLOG("transport ID: unknown trtype '%s' (PCIe, TCP or RDMA)", value);
			return -EINVAL;
		}
		trid->trtype = (enum pnvme_transport_type)v;
		return 0;
	case KEY_ADRFAM:
		if (lookup_value(g_adrfams, PNVME_ARRAY_SIZE(g_adrfams), value, &v) != 0) {
			PNVME_ERRLOG("transport ID: unknown adrfam '%s' (IPv4, IPv6, IB, FC, "
				     "intra_host)",
				     value);
			return -EINVAL;
		}
		trid->adrfam = (enum pnvme_adrfam)v;
		return 0;
	case KEY_TRADDR:
		return set_string(trid->traddr, sizeof(trid->traddr), "traddr", value);
	case KEY_TRSVCID:
		return set_string(trid->trsvcid, sizeof(trid->trsvcid), "trsvcid", value);
	case KEY_SUBNQN:
		return set_string(trid->subnqn, sizeof(trid->subnqn), "subnqn", value);
	default:
		return -EINVAL;
	}
}

/* Cross-field rules, checked once every pair is read. */
static int
validate(struct pnvme_transport_id *trid, const bool *seen)
{
	struct pnvme_pci_addr pci;
	char *end;
	unsigned long port;

	if (!seen[KEY_TRTYPE]) {
		PNVME_ERRLOG("transport ID: trtype is missing");
		return -EINVAL;
	}
	if (trid->trtype == PNVME_TRANSPORT_PCIE) {
		if (seen[KEY_ADRFAM] || seen[KEY_TRSVCID] || seen[KEY_SUBNQN]) {
			PNVME_ERRLOG("transport ID: PCIe takes only traddr, not adrfam, trsvcid "
				     "or subnqn");
			return -EINVAL;
		}
		if (!seen[KEY_TRADDR]) {
			return 0; /* every local controller */
		}
		if (pnvme_pci_addr_parse(&pci, trid->traddr) != 0) {
			PNVME_ERRLOG("transport ID: traddr '%s' is not a PCI address "
				     "(DDDD:BB:DD.F)",
				     trid->traddr);
			return -EINVAL;
		}
		return pnvme_pci_addr_fmt(trid->traddr, sizeof(trid->traddr), &pci);
	}

	/* Fabrics: an address is required; IPv4 unless told otherwise. */
	if (!seen[KEY_TRADDR]) {
		PNVME_ERRLOG("transport ID: %s needs traddr", pnvme_transport_type_str(trid->trtype));
		return -EINVAL;
	}
	if (!seen[KEY_ADRFAM]) {
		trid->adrfam = strchr(trid->traddr, ':') != NULL ? PNVME_ADRFAM_IPV6
								  : PNVME_ADRFAM_IPV4;
	}
	if (trid->adrfam != PNVME_ADRFAM_IPV4 && trid->adrfam != PNVME_ADRFAM_IPV6) {
		PNVME_ERRLOG("transport ID: adrfam %s is not supported over %s",
			     pnvme_adrfam_str(trid->adrfam), pnvme_transport_type_str(trid->trtype));
		return -EINVAL;
	}
	if (seen[KEY_TRSVCID]) {
		errno = 0;
		port = strtoul(trid->trsvcid, &end, 10);
		if (errno != 0 || *end != '\0' || port == 0 || port > 65535 ||
		    !isdigit((unsigned char)trid->trsvcid[0])) {
			PNVME_ERRLOG("transport ID: trsvcid '%s' is not a port number (1-65535)",
				     trid->trsvcid);
			return -EINVAL;
		}
	}
	if (seen[KEY_SUBNQN] && strncmp(trid->subnqn, "nqn.", 4) != 0) {
		PNVME_ERRLOG("transport ID: subnqn '%s' does not start with 'nqn.'", trid->subnqn);
		return -EINVAL;
	}
	return 0;
}

int
pnvme_transport_id_parse(struct pnvme_transport_id *trid, const char *str)
{
	bool seen[KEY_COUNT] = {false};
	char token[PNVME_TRADDR_MAX_LEN + 64];
	const char *p = str;
	enum trid_key key;
	size_t len, keylen;
	char *sep;
	int rc;

	if (trid == NULL || str == NULL) {
		PNVME_ERRLOG("transport ID: NULL argument");
		return -EINVAL;
	}
	memset(trid, 0, sizeof(*trid));

	for (;;) {
		while (isspace((unsigned char)*p)) {
			p++;
		}
		if (*p == '\0') {
			break;
		}
		len = strcspn(p, " \t\n\r\f\v");
		if (len >= sizeof(token)) {
			PNVME_ERRLOG("transport ID: '%.32s...' is too long", p);
			return -EINVAL;
		}
		memcpy(token, p, len);
		token[len] = '\0';
		p += len;

		/* The key ends at the first ':' or '='; values may hold ':'. */
		keylen = strcspn(token, ":=");
		sep = token + keylen;
		if (*sep == '\0' || keylen == 0) {
			PNVME_ERRLOG("transport ID: '%s' is not key:value", token);
			return -EINVAL;
		}
		*sep = '\0';
		for (key = 0; key < KEY_COUNT; key++) {
			if (strcasecmp(token, g_key_names[key]) == 0) {
				break;
			}
		}
		if (key == KEY_COUNT) {
			PNVME_ERRLOG("transport ID: unknown key '%s'", token);
			return -EINVAL;
		}
		if (seen[key]) {
			PNVME_ERRLOG("transport ID: key '%s' given twice", token);
			return -EINVAL;
		}
		seen[key] = true;
		rc = set_key(trid, key, sep + 1);
		if (rc != 0) {
			return rc;
		}
	}
	return validate(trid, seen);
}

int
pnvme_transport_id_compare(const struct pnvme_transport_id *a, const struct pnvme_transport_id *b)
{
	struct pnvme_pci_addr pa, pb;

	if (a->trtype != b->trtype) {
		return (int)a->trtype - (int)b->trtype;
	}
	if (a->trtype == PNVME_TRANSPORT_PCIE) {
		if (pnvme_pci_addr_parse(&pa, a->traddr) == 0 &&
		    pnvme_pci_addr_parse(&pb, b->traddr) == 0) {
			return pnvme_pci_addr_compare(&pa, &pb);
		}
		return strcasecmp(a->traddr, b->traddr);
	}
	if (a->adrfam != b->adrfam) {
		return (int)a->adrfam - (int)b->adrfam;
	}
	int rc = strcasecmp(a->traddr, b->traddr);
	if (rc == 0) {
		rc = strcmp(a->trsvcid, b->trsvcid);
	}
	if (rc == 0) {
		rc = strcmp(a->subnqn, b->subnqn);
	}
	return rc;
}

int
pnvme_transport_id_fmt(char *buf, size_t size, const struct pnvme_transport_id *trid)
{
	const char *trtype = pnvme_transport_type_str(trid->trtype);
	int n;

	if (trtype == NULL) {
		return -EINVAL;
	}
	if (trid->trtype == PNVME_TRANSPORT_PCIE) {
		n = snprintf(buf, size, "trtype:%s%s%s", trtype, trid->traddr[0] ? " traddr:" : "",
			     trid->traddr);
	} else {
		n = snprintf(buf, size, "trtype:%s adrfam:%s traddr:%s%s%s%s%s", trtype,
			     pnvme_adrfam_str(trid->adrfam) ? pnvme_adrfam_str(trid->adrfam) : "?",
			     trid->traddr, trid->trsvcid[0] ? " trsvcid:" : "", trid->trsvcid,
			     trid->subnqn[0] ? " subnqn:" : "", trid->subnqn);
	}
	return (n < 0 || (size_t)n >= size) ? -ENOSPC : 0;
}
