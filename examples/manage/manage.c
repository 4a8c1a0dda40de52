/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pnvme_manage: the management verbs storage engineers know, over pnvme,
 * for a controller bound to userspace or a remote target. Verbs and field
 * names follow the usual NVMe command-line tool's, so habits carry over.
 *
 *   pnvme_manage VERB [-r TRID] [--json] [options]
 *
 * This first set: smart-log, error-log, fw-log, get-feature, set-feature,
 * list-ns, reset.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fabrics_opts.h"
#include "json_writer.h"
#include "pnvme/nvme.h"
#include "printable.h"

/* Longest wait for one admin command, polling. */
#define ADMIN_WAIT_S 10

struct manage {
	const char *verb;
	bool json;
	struct pnvme_ctrlr *ctrlr;
	uint32_t nsid;
	uint8_t fid;
	int sel;
	uint32_t value;
	uint32_t cdw11;
	uint32_t data_len;
	bool save;
	uint32_t log_entries;
	struct json_writer w;
};

static void
usage(const char *prog)
{
	printf("Usage: %s VERB [-r TRID] [--json] [options]\n"
	       "NVMe management through pnvme.\n\n"
	       "Verbs:\n"
	       "  smart-log                 SMART / health information (log page 02h)\n"
	       "  error-log [-e N]          the N newest error information entries (log page 01h)\n"
	       "  fw-log                    firmware slot information (log page 03h)\n"
	       "  get-feature -f FID [-s SEL] [-n NSID] [--cdw11 V] [-l LEN]\n"
	       "                            a feature's value (SEL: 0 current, 1 default,\n"
	       "                            2 saved, 3 supported capabilities)\n"
	       "  set-feature -f FID -v VALUE [--save] [-n NSID]\n"
	       "  list-ns                   the active namespaces\n"
	       "  reset                     reset the controller in place\n\n"
	       "Options:\n"
	       "  -r, --trid TRID   the controller (default: the first one bound to userspace)\n"
	       "  -j, --json        machine-readable output\n"
	       "  -h, --help        this text\n" FABRICS_USAGE,
	       prog);
}

static void
attach_cb(void *cb_ctx, const struct pnvme_transport_id *trid, struct pnvme_ctrlr *ctrlr,
	  const struct pnvme_ctrlr_opts *opts)
{
	struct manage *m = cb_ctx;

	(void)trid;
	(void)opts;
	if (m->ctrlr == NULL) {
		m->ctrlr = ctrlr;
	} else {
		pnvme_detach(ctrlr);
	}
}

struct admin_wait {
	bool done;
	struct pnvme_cpl cpl;
};

static void
admin_done(void *arg, const struct pnvme_cpl *cpl)
{
	struct admin_wait *aw = arg;

	aw->cpl = *cpl;
	aw->done = true;
}

/* Poll until @p aw is done; 0, or -1 with a line naming @p what. */
static int
admin_wait(struct manage *m, struct admin_wait *aw, int rc, const char *what)
{
	time_t deadline = time(NULL) + ADMIN_WAIT_S;

	if (rc != 0) {
		fprintf(stderr, "manage: %s: %s\n", what, strerror(-rc));
		return -1;
	}
	while (!aw->done && time(NULL) <= deadline) {
		if (pnvme_ctrlr_process_admin_completions(m->ctrlr) < 0) {
			break;
		}
	}
	if (!aw->done) {
		fprintf(stderr, "manage: %s: no answer\n", what);
		return -1;
	}
	if (pnvme_cpl_is_error(&aw->cpl)) {
		fprintf(stderr, "manage: %s: %s (sct %u sc 0x%02x)\n", what,
			pnvme_status_string(&aw->cpl.status), aw->cpl.status.sct,
			aw->cpl.status.sc);
		return -1;
	}
	return 0;
}

static int
read_log(struct manage *m, uint8_t lid, uint32_t nsid, void *buf, uint32_t len, const char *what)
{
	struct admin_wait aw = {0};

	return admin_wait(m, &aw,
			  pnvme_ctrlr_cmd_get_log_page(m->ctrlr, lid, nsid, buf, len, NULL,
						       admin_done, &aw),
			  what);
}

/* A 128-bit little-endian counter, as a decimal string. */
static const char *
u128_string(const uint64_t v[2], char *buf, size_t len)
{
	long double d;

	if (v[1] == 0) {
		snprintf(buf, len, "%" PRIu64, v[0]);
	} else {
		d = (long double)v[1] * 18446744073709551616.0L + (long double)v[0];
		snprintf(buf, len, "%.0Lf", d);
	}
	return buf;
}

static int
smart_log(struct manage *m)
{
	struct pnvme_health_log h;
	static const struct {
		const char *name;
		size_t off;
	} counters[] = {
		{"data_units_read", offsetof(struct pnvme_health_log, data_units_read)},
		{"data_units_written", offsetof(struct pnvme_health_log, data_units_written)},
		{"host_read_commands", offsetof(struct pnvme_health_log, host_read_commands)},
		{"host_write_commands", offsetof(struct pnvme_health_log, host_write_commands)},
		{"controller_busy_time", offsetof(struct pnvme_health_log, controller_busy_time)},
		{"power_cycles", offsetof(struct pnvme_health_log, power_cycles)},
		{"power_on_hours", offsetof(struct pnvme_health_log, power_on_hours)},
		{"unsafe_shutdowns", offsetof(struct pnvme_health_log, unsafe_shutdowns)},
		{"media_errors", offsetof(struct pnvme_health_log, media_errors)},
		{"num_err_log_entries", offsetof(struct pnvme_health_log, num_error_info_log_entries)},
	};
	char num[48];
	uint64_t v[2];
	size_t i;

	if (read_log(m, PNVME_LOG_PAGE_HEALTH_INFORMATION, m->nsid ? m->nsid : PNVME_NSID_ALL, &h,
		     sizeof(h), "smart-log") != 0) {
		return 1;
	}
	if (m->json) {
		json_begin_object(&m->w, NULL);
		json_uint(&m->w, "critical_warning", h.critical_warning);
		json_uint(&m->w, "temperature", h.temperature);
		json_uint(&m->w, "avail_spare", h.available_spare);
		json_uint(&m->w, "spare_thresh", h.available_spare_threshold);
		json_uint(&m->w, "percent_used", h.percentage_used);
		json_uint(&m->w, "endurance_grp_critical_warning_summary",
			  h.endurance_group_critical_warning);
		for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
			memcpy(v, (const uint8_t *)&h + counters[i].off, sizeof(v));
			json_string(&m->w, counters[i].name, u128_string(v, num, sizeof(num)));
		}
		json_uint(&m->w, "warning_temp_time", h.warning_temp_time);
		json_uint(&m->w, "critical_comp_time", h.critical_temp_time);
		json_end_object(&m->w);
		return 0;
	}
	printf("Smart Log for NVME device:%s namespace-id:%x\n", pnvme_ctrlr_get_transport_id(m->ctrlr)->traddr,
	       m->nsid ? m->nsid : PNVME_NSID_ALL);
	printf("critical_warning                        : %u\n", h.critical_warning);
	printf("temperature                             : %d C (%u Kelvin)\n",
	       (int)h.temperature - 273, h.temperature);
	printf("available_spare                         : %u%%\n", h.available_spare);
	printf("available_spare_threshold               : %u%%\n", h.available_spare_threshold);
	printf("percentage_used                         : %u%%\n", h.percentage_used);
	printf("endurance group critical warning summary: %u\n",
	       h.endurance_group_critical_warning);
	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		memcpy(v, (const uint8_t *)&h + counters[i].off, sizeof(v));
		printf("%-40s: %s\n", counters[i].name, u128_string(v, num, sizeof(num)));
	}
	printf("%-40s: %u\n", "Warning Temperature Time", h.warning_temp_time);
	printf("%-40s: %u\n", "Critical Composite Temperature Time", h.critical_temp_time);
	return 0;
}

static int
error_log(struct manage *m)
{
	const struct pnvme_ctrlr_data *cdata = pnvme_ctrlr_get_data(m->ctrlr);
	uint32_t want = m->log_entries ? m->log_entries : 64u, i;
	uint32_t n = want < cdata->elpe + 1u ? want : cdata->elpe + 1u;
	struct pnvme_error_log_entry *e = calloc(n, sizeof(*e));
	int rc = 0;

	if (e == NULL || read_log(m, PNVME_LOG_PAGE_ERROR, PNVME_NSID_ALL, e,
				  (uint32_t)(n * sizeof(*e)), "error-log") != 0) {
		free(e);
		return 1;
	}
	if (m->json) {
		json_begin_object(&m->w, NULL);
		json_begin_array(&m->w, "errors");
	} else {
		printf("Error Log Entries for device:%s entries:%u\n",
		       pnvme_ctrlr_get_transport_id(m->ctrlr)->traddr, n);
		printf(".................\n");
	}
	for (i = 0; i < n; i++) {
		if (m->json) {
			json_begin_object(&m->w, NULL);
			json_uint(&m->w, "error_count", e[i].error_count);
			json_uint(&m->w, "sqid", e[i].sqid);
			json_uint(&m->w, "cmdid", e[i].cid);
			json_uint(&m->w, "status_field", e[i].status >> 1);
			json_uint(&m->w, "phase_tag", e[i].status & 1);
			json_uint(&m->w, "parm_error_location", e[i].error_location);
			json_uint(&m->w, "lba", e[i].lba);
			json_uint(&m->w, "nsid", e[i].nsid);
			json_uint(&m->w, "vs", e[i].vendor_specific);
			json_uint(&m->w, "trtype", e[i].trtype);
			json_uint(&m->w, "cs", e[i].command_specific);
			json_uint(&m->w, "trtype_spec_info", e[i].trtype_specific);
			json_end_object(&m->w);
		} else {
			printf(" Entry[%2u]\n.................\n", i);
			printf("error_count\t: %" PRIu64 "\nsqid\t\t: %u\ncmdid\t\t: %#x\n"
			       "status_field\t: %#x\nphase_tag\t: %#x\nparm_err_loc\t: %#x\n"
			       "lba\t\t: %#" PRIx64 "\nnsid\t\t: %#x\nvs\t\t: %#x\n"
			       "trtype\t\t: %#x\ncs\t\t: %#" PRIx64 "\ntrtype_spec_info: %#x\n"
			       ".................\n",
			       e[i].error_count, e[i].sqid, e[i].cid, e[i].status >> 1,
			       e[i].status & 1, e[i].error_location, e[i].lba, e[i].nsid,
			       e[i].vendor_specific, e[i].trtype, e[i].command_specific,
			       e[i].trtype_specific);
		}
	}
	if (m->json) {
		json_end_array(&m->w);
		json_end_object(&m->w);
	}
	free(e);
	return rc;
}

static int
fw_log(struct manage *m)
{
	struct pnvme_firmware_slot_log fw;
	char key[8], frs[4 * 8 + 1];
	int i;

	if (read_log(m, PNVME_LOG_PAGE_FIRMWARE_SLOT, PNVME_NSID_ALL, &fw, sizeof(fw), "fw-log") !=
	    0) {
		return 1;
	}
	if (m->json) {
		json_begin_object(&m->w, NULL);
		json_uint(&m->w, "afi", fw.afi);
	} else {
		printf("Firmware Log for device:%s\nafi  : %#x\n",
		       pnvme_ctrlr_get_transport_id(m->ctrlr)->traddr, fw.afi);
	}
	for (i = 0; i < 7; i++) {
		if (fw.frs[i][0] == '\0') {
			continue;
		}
		snprintf(key, sizeof(key), "frs%d", i + 1);
		printable_fixed(frs, sizeof(frs), fw.frs[i], sizeof(fw.frs[i]));
		if (m->json) {
			json_string(&m->w, key, frs);
		} else {
			printf("%-5s: %s\n", key, frs);
		}
	}
	if (m->json) {
		json_end_object(&m->w);
	}
	return 0;
}

static int
get_feature(struct manage *m)
{
	struct admin_wait aw = {0};
	uint8_t *buf = NULL;
	uint32_t i;
	int rc;

	if (m->data_len > 0) {
		buf = calloc(1, m->data_len);
		if (buf == NULL) {
			return 1;
		}
	}
	rc = admin_wait(m, &aw,
			pnvme_ctrlr_cmd_get_feature(m->ctrlr, m->fid, (enum pnvme_feat_sel)m->sel,
						    m->nsid, m->cdw11, buf, m->data_len,
						    admin_done, &aw),
			"get-feature");
	if (rc == 0 && m->json) {
		json_begin_object(&m->w, NULL);
		json_uint(&m->w, "feature_id", m->fid);
		json_uint(&m->w, "sel", (uint64_t)m->sel);
		json_uint(&m->w, "value", aw.cpl.cdw0);
		json_end_object(&m->w);
	} else if (rc == 0) {
		printf("get-feature:%#04x (sel %d), value:%#010x\n", m->fid, m->sel, aw.cpl.cdw0);
		for (i = 0; i < m->data_len; i++) {
			printf("%02x%s", buf[i], (i + 1) % 16 == 0 || i + 1 == m->data_len ? "\n" : " ");
		}
	}
	free(buf);
	return rc == 0 ? 0 : 1;
}

static int
set_feature(struct manage *m)
{
	struct admin_wait aw = {0};
	int rc;

	rc = admin_wait(m, &aw,
			pnvme_ctrlr_cmd_set_feature(m->ctrlr, m->fid, m->save, m->nsid, m->value, 0,
						    NULL, 0, admin_done, &aw),
			"set-feature");
	if (rc == 0 && m->json) {
		json_begin_object(&m->w, NULL);
		json_uint(&m->w, "feature_id", m->fid);
		json_uint(&m->w, "value", m->value);
		json_uint(&m->w, "result", aw.cpl.cdw0);
		json_end_object(&m->w);
	} else if (rc == 0) {
		printf("set-feature:%#04x (%s), value:%#010x, cdw12:%#010x, save:%d\n", m->fid,
		       m->save ? "save" : "current", m->value, 0, m->save);
	}
	return rc == 0 ? 0 : 1;
}

static int
list_ns(struct manage *m)
{
	uint32_t nsid;

	if (m->json) {
		json_begin_object(&m->w, NULL);
		json_begin_array(&m->w, "namespaces");
	}
	for (nsid = pnvme_ctrlr_get_first_active_ns(m->ctrlr); nsid != 0;
	     nsid = pnvme_ctrlr_get_next_active_ns(m->ctrlr, nsid)) {
		if (m->json) {
			json_begin_object(&m->w, NULL);
			json_uint(&m->w, "nsid", nsid);
			json_end_object(&m->w);
		} else {
			printf("[%4u]:%#x\n", nsid - 1, nsid);
		}
	}
	if (m->json) {
		json_end_array(&m->w);
		json_end_object(&m->w);
	}
	return 0;
}

static int
reset(struct manage *m)
{
	int rc = pnvme_ctrlr_reset(m->ctrlr);

	if (rc != 0) {
		fprintf(stderr, "manage: reset: %s\n", strerror(-rc));
		return 1;
	}
	if (m->json) {
		json_begin_object(&m->w, NULL);
		json_bool(&m->w, "reset", true);
		json_end_object(&m->w);
	} else {
		printf("controller %s reset\n", pnvme_ctrlr_get_transport_id(m->ctrlr)->traddr);
	}
	return 0;
}

static const struct {
	const char *name;
	int (*run)(struct manage *m);
} g_verbs[] = {
	{"smart-log", smart_log}, {"error-log", error_log},     {"fw-log", fw_log},
	{"get-feature", get_feature}, {"set-feature", set_feature}, {"list-ns", list_ns},
	{"reset", reset},
};

/* A number in any base strtoul takes, within @p max; false otherwise. */
static bool
parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || v > max) {
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

int
main(int argc, char **argv)
{
	enum { OPT_CDW11 = 0x100, OPT_SAVE };
	static const struct option long_opts[] = {
		{"trid", required_argument, NULL, 'r'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{"namespace-id", required_argument, NULL, 'n'},
		{"feature-id", required_argument, NULL, 'f'},
		{"sel", required_argument, NULL, 's'},
		{"value", required_argument, NULL, 'v'},
		{"data-len", required_argument, NULL, 'l'},
		{"log-entries", required_argument, NULL, 'e'},
		{"cdw11", required_argument, NULL, OPT_CDW11},
		{"save", no_argument, NULL, OPT_SAVE},
		FABRICS_LONG_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	struct pnvme_transport_id trid;
	struct pnvme_env_opts env_opts;
	struct manage m = {.sel = 0};
	bool have_trid = false, have_fid = false, have_value = false;
	int (*run)(struct manage *m) = NULL;
	uint32_t v;
	size_t i;
	int c, rc;

	if (argc < 2 || argv[1][0] == '-') {
		usage(argv[0]);
		return argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
			       ? 0
			       : 2;
	}
	m.verb = argv[1];
	for (i = 0; i < sizeof(g_verbs) / sizeof(g_verbs[0]); i++) {
		if (strcmp(m.verb, g_verbs[i].name) == 0) {
			run = g_verbs[i].run;
		}
	}
	if (run == NULL) {
		fprintf(stderr, "manage: unknown verb '%s'\n", m.verb);
		return 2;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "r:jhn:f:s:v:l:e:", long_opts, NULL)) != -1) {
		if (fabrics_opts_parse(c)) {
			continue;
		}
		switch (c) {
		case 'r':
			if (pnvme_transport_id_parse(&trid, optarg) != 0) {
				fprintf(stderr, "manage: invalid transport ID '%s'\n", optarg);
				return 2;
			}
			have_trid = true;
			break;
		case 'j':
			m.json = true;
			break;
		case 'n':
		case 'f':
		case 's':
		case 'v':
		case 'l':
		case 'e':
		case OPT_CDW11:
			if (!parse_u32(optarg, c == 'f' ? 0xff : c == 's' ? 3 : c == 'l' ? 1u << 20
								    : UINT32_MAX,
				       &v)) {
				fprintf(stderr, "manage: invalid value '%s'\n", optarg);
				return 2;
			}
			if (c == 'n') {
				m.nsid = v;
			} else if (c == 'f') {
				m.fid = (uint8_t)v;
				have_fid = true;
			} else if (c == 's') {
				m.sel = (int)v;
			} else if (c == 'v') {
				m.value = v;
				have_value = true;
			} else if (c == 'l') {
				m.data_len = v;
			} else if (c == 'e') {
				m.log_entries = v;
			} else {
				m.cdw11 = v;
			}
			break;
		case OPT_SAVE:
			m.save = true;
			break;
		case 'h':
			usage(argv[0]);
			return 0;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "manage: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if ((run == get_feature || run == set_feature) && !have_fid) {
		fprintf(stderr, "manage: %s needs -f FID\n", m.verb);
		return 2;
	}
	if (run == set_feature && !have_value) {
		fprintf(stderr, "manage: set-feature needs -v VALUE\n");
		return 2;
	}

	pnvme_env_opts_init(&env_opts, sizeof(env_opts));
	env_opts.name = "pnvme_manage";
	rc = pnvme_env_init(&env_opts);
	if (rc != 0) {
		fprintf(stderr, "manage: cannot initialise the environment (%s)\n", strerror(-rc));
		return 1;
	}
	rc = pnvme_probe(have_trid ? &trid : NULL, &m, fabrics_opts_probe_cb, attach_cb, NULL);
	if (m.ctrlr == NULL) {
		fprintf(stderr, "manage: no controller (%s)\n", rc != 0 ? strerror(-rc)
									: "run scripts/setup.sh");
		pnvme_env_fini();
		return 1;
	}
	if (m.json) {
		json_init(&m.w, stdout);
	}
	rc = run(&m);
	if (m.json) {
		printf("\n");
	}
	if (pnvme_detach(m.ctrlr) != 0) {
		rc = 1;
	}
	pnvme_env_fini();
	return rc;
}
