/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pnvme_manage's namespace verbs: format, create-ns, delete-ns, attach-ns,
 * detach-ns. The library identifies the namespaces again before each
 * command's completion reaches us, so what is printed afterwards is what
 * the controller now says.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manage.h"

/* What the library now knows of namespace @p nsid, as JSON fields. */
static void
json_ns_state(struct manage *m, uint32_t nsid)
{
	struct pnvme_ns *ns = pnvme_ctrlr_get_ns(m->ctrlr, nsid);

	json_uint(&m->w, "nsid", nsid);
	json_bool(&m->w, "active", ns != NULL);
	if (ns != NULL) {
		json_uint(&m->w, "sector_size", pnvme_ns_get_sector_size(ns));
		json_uint(&m->w, "md_size", pnvme_ns_get_md_size(ns));
		json_uint(&m->w, "num_sectors", pnvme_ns_get_num_sectors(ns));
	}
}

static void
print_ns_state(struct manage *m, uint32_t nsid)
{
	struct pnvme_ns *ns = pnvme_ctrlr_get_ns(m->ctrlr, nsid);

	if (ns == NULL) {
		printf("namespace %u: not active on this controller\n", nsid);
		return;
	}
	printf("namespace %u: %llu blocks of %u bytes (+%u metadata)\n", nsid,
	       (unsigned long long)pnvme_ns_get_num_sectors(ns), pnvme_ns_get_sector_size(ns),
	       pnvme_ns_get_md_size(ns));
}

/* Success of a verb on @p nsid: a line (or JSON) and the namespace now. */
static int
report(struct manage *m, const char *what, uint32_t nsid)
{
	if (m->json) {
		json_begin_object(&m->w, NULL);
		json_string(&m->w, "result", "success");
		json_ns_state(m, nsid);
		json_end_object(&m->w);
	} else {
		printf("%s: Success, nsid:%u\n", what, nsid);
		print_ns_state(m, nsid);
	}
	return 0;
}

int
format_ns(struct manage *m)
{
	struct pnvme_format fmt = {
		.lbaf = (uint8_t)m->lbaf,
		.mset = m->ms != 0,
		.pi = (uint8_t)m->pi,
		.pil = m->pil != 0,
		.ses = (uint8_t)m->ses,
	};
	struct admin_wait aw = {0};

	if (!manage_given(m, OPT_NSID)) {
		return missing_option(m, "-n NSID");
	}
	if (!manage_given(m, OPT_LBAF)) {
		return missing_option(m, "--lbaf N");
	}
	if (admin_wait(m, &aw, pnvme_ctrlr_cmd_format(m->ctrlr, m->nsid, &fmt, admin_done, &aw),
		       "format", LONG_ADMIN_WAIT_S) != 0) {
		return 1;
	}
	return report(m, "format", m->nsid);
}

int
create_ns(struct manage *m)
{
	struct pnvme_ns_data *data;
	struct admin_wait aw = {0};
	int rc;

	if (!manage_given(m, OPT_NSZE)) {
		return missing_option(m, "--nsze BLOCKS");
	}
	data = calloc(1, sizeof(*data));
	if (data == NULL) {
		return 1;
	}
	data->nsze = m->nsze;
	data->ncap = manage_given(m, OPT_NCAP) ? m->ncap : m->nsze;
	data->flbas = (uint8_t)m->flbas;
	data->dps = (uint8_t)m->dps;
	data->nmic = (uint8_t)m->nmic;
	rc = admin_wait(m, &aw,
			pnvme_ctrlr_cmd_ns_manage(m->ctrlr, PNVME_NS_MANAGE_CREATE, 0, data,
						  admin_done, &aw),
			"create-ns", LONG_ADMIN_WAIT_S);
	free(data);
	if (rc != 0) {
		return 1;
	}
	/* Created, attached to no controller yet. */
	if (m->json) {
		json_begin_object(&m->w, NULL);
		json_string(&m->w, "result", "success");
		json_uint(&m->w, "nsid", aw.cpl.cdw0);
		json_end_object(&m->w);
	} else {
		printf("create-ns: Success, created nsid:%u\n", aw.cpl.cdw0);
	}
	return 0;
}

int
delete_ns(struct manage *m)
{
	struct admin_wait aw = {0};

	if (!manage_given(m, OPT_NSID)) {
		return missing_option(m, "-n NSID");
	}
	if (admin_wait(m, &aw,
		       pnvme_ctrlr_cmd_ns_manage(m->ctrlr, PNVME_NS_MANAGE_DELETE, m->nsid, NULL,
						 admin_done, &aw),
		       "delete-ns", LONG_ADMIN_WAIT_S) != 0) {
		return 1;
	}
	return report(m, "delete-ns", m->nsid);
}

/* "1,2,5" into @p list: false (with a line) when it is not such a list. */
static bool
parse_controllers(const char *s, struct pnvme_ctrlr_list *list)
{
	const char *p = s;
	char *end;
	unsigned long id;

	list->num = 0;
	while (*p != '\0' && list->num < 2047) {
		errno = 0;
		id = strtoul(p, &end, 0);
		if (errno != 0 || end == p || id > 0xffff || (*end != ',' && *end != '\0')) {
			fprintf(stderr, "manage: --controllers '%s': want IDs like 1,2,5\n", s);
			return false;
		}
		list->ids[list->num++] = (uint16_t)id;
		p = *end == ',' ? end + 1 : end;
	}
	if (list->num == 0 || *p != '\0') {
		fprintf(stderr, "manage: --controllers '%s': want 1 to 2047 IDs like 1,2,5\n", s);
		return false;
	}
	return true;
}

static int
attach_or_detach(struct manage *m, enum pnvme_ns_attach_sel sel, const char *what)
{
	struct pnvme_ctrlr_list *list = NULL;
	struct admin_wait aw = {0};
	int rc;

	if (!manage_given(m, OPT_NSID)) {
		return missing_option(m, "-n NSID");
	}
	if (m->controllers != NULL) {
		list = calloc(1, sizeof(*list));
		if (list == NULL) {
			return 1;
		}
		if (!parse_controllers(m->controllers, list)) {
			free(list);
			return 2;
		}
	}
	/* No list: this controller alone. */
	rc = admin_wait(m, &aw,
			pnvme_ctrlr_cmd_ns_attach(m->ctrlr, sel, m->nsid, list, admin_done, &aw),
			what, LONG_ADMIN_WAIT_S);
	free(list);
	return rc != 0 ? 1 : report(m, what, m->nsid);
}

int
attach_ns(struct manage *m)
{
	return attach_or_detach(m, PNVME_NS_ATTACH_CTRLRS, "attach-ns");
}

int
detach_ns(struct manage *m)
{
	return attach_or_detach(m, PNVME_NS_DETACH_CTRLRS, "detach-ns");
}
