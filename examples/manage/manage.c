/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pnvme_manage: the management verbs storage engineers know, over pnvme,
 * for a controller bound to userspace or a remote target. Verbs and field
 * names follow the usual NVMe command-line tool's, so habits carry over.
 *
 *   pnvme_manage VERB [-r TRID] [--json] [options]
 *
 * This file: the command line, the wait for an admin command, list-ns and
 * reset; the other verbs live in manage_*.c by family.
 */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fabrics_opts.h"
#include "manage.h"

static void
usage(const char *prog)
{
	printf("Usage: %s VERB [-r TRID] [--json] [options]\n"
	       "NVMe management through pnvme.\n\n"
	       "Logs:\n"
	       "  smart-log                 SMART / health information (log page 02h)\n"
	       "  error-log [-e N]          the N newest error information entries (01h)\n"
	       "  fw-log                    firmware slot information (03h)\n"
	       "  changed-ns-list-log       namespaces changed since last read (04h)\n"
	       "  effects-log               commands supported and their effects (05h)\n"
	       "  self-test-log             device self-test progress and results (06h)\n"
	       "Features:\n"
	       "  get-feature -f FID [-s SEL] [-n NSID] [--cdw11 V] [-l LEN]\n"
	       "                            a feature's value (SEL: 0 current, 1 default,\n"
	       "                            2 saved, 3 supported capabilities)\n"
	       "  set-feature -f FID -v VALUE [--save] [-n NSID]\n"
	       "Namespaces:\n"
	       "  list-ns                   the active namespaces\n"
	       "  format -n NSID --lbaf N [--ms 0|1] [--pi 0-3] [--pil 0|1] [--ses 0-2]\n"
	       "  create-ns --nsze BLOCKS [--ncap BLOCKS] [--flbas N] [--dps N] [--nmic N]\n"
	       "  delete-ns -n NSID\n"
	       "  attach-ns -n NSID [--controllers ID,ID..]   (default: this controller)\n"
	       "  detach-ns -n NSID [--controllers ID,ID..]\n"
	       "Firmware:\n"
	       "  fw-download --fw FILE [--xfer BYTES] [--offset BYTES]\n"
	       "  fw-commit --action A [--slot S] [--bpid 0|1]\n"
	       "                            (A: 0 replace, 1 replace and activate at reset,\n"
	       "                            2 activate at reset, 3 replace and activate now)\n"
	       "Device:\n"
	       "  self-test --stc CODE [-n NSID]  (device-self-test; 1 short, 2 extended, 15 abort)\n"
	       "  sanitize --sanact A [--ause] [--owpass N] [--oipbp] [--no-dealloc] [--ovrpat P]\n"
	       "                            (A: 1 exit failure, 2 block erase, 3 overwrite,\n"
	       "                            4 crypto erase; erases every namespace)\n"
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

void
admin_done(void *arg, const struct pnvme_cpl *cpl)
{
	struct admin_wait *aw = arg;

	aw->cpl = *cpl;
	aw->done = true;
}

int
admin_wait_answer(struct manage *m, struct admin_wait *aw, int rc, const char *what,
		  unsigned int wait_s)
{
	time_t deadline = time(NULL) + wait_s;

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
	return 0;
}

int
admin_wait(struct manage *m, struct admin_wait *aw, int rc, const char *what, unsigned int wait_s)
{
	if (admin_wait_answer(m, aw, rc, what, wait_s) != 0) {
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

int
read_log(struct manage *m, uint8_t lid, uint32_t nsid, void *buf, uint32_t len, const char *what)
{
	struct admin_wait aw = {0};

	return admin_wait(m, &aw,
			  pnvme_ctrlr_cmd_get_log_page(m->ctrlr, lid, nsid, buf, len, NULL,
						       admin_done, &aw),
			  what, ADMIN_WAIT_S);
}

int
missing_option(const struct manage *m, const char *option)
{
	fprintf(stderr, "manage: %s needs %s\n", m->verb, option);
	return 2;
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
	{"smart-log", smart_log},
	{"error-log", error_log},
	{"fw-log", fw_log},
	{"changed-ns-list-log", changed_ns_list_log},
	{"effects-log", effects_log},
	{"self-test-log", self_test_log},
	{"get-feature", get_feature},
	{"set-feature", set_feature},
	{"list-ns", list_ns},
	{"format", format_ns},
	{"create-ns", create_ns},
	{"delete-ns", delete_ns},
	{"attach-ns", attach_ns},
	{"detach-ns", detach_ns},
	{"fw-download", fw_download},
	{"fw-commit", fw_commit},
	{"self-test", device_self_test},
	{"device-self-test", device_self_test},
	{"sanitize", sanitize},
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

/* The value of @p opt into its field of @p m: false when out of range. */
static bool
set_option(struct manage *m, int opt, const char *arg)
{
	static const struct {
		int opt;
		uint32_t max;
		size_t off;
	} u32_opts[] = {
		{OPT_NSID, UINT32_MAX, offsetof(struct manage, nsid)},
		{OPT_VALUE, UINT32_MAX, offsetof(struct manage, value)},
		{OPT_DATA_LEN, 1u << 20, offsetof(struct manage, data_len)},
		{OPT_LOG_ENTRIES, UINT32_MAX, offsetof(struct manage, log_entries)},
		{OPT_CDW11, UINT32_MAX, offsetof(struct manage, cdw11)},
		{OPT_LBAF, 63, offsetof(struct manage, lbaf)},
		{OPT_SES, 7, offsetof(struct manage, ses)},
		{OPT_PI, 7, offsetof(struct manage, pi)},
		{OPT_PIL, 1, offsetof(struct manage, pil)},
		{OPT_MS, 1, offsetof(struct manage, ms)},
		{OPT_FLBAS, 0xff, offsetof(struct manage, flbas)},
		{OPT_DPS, 0xff, offsetof(struct manage, dps)},
		{OPT_NMIC, 0xff, offsetof(struct manage, nmic)},
		{OPT_XFER, UINT32_MAX, offsetof(struct manage, xfer)},
		{OPT_OFFSET, UINT32_MAX, offsetof(struct manage, offset)},
		{OPT_SLOT, 7, offsetof(struct manage, slot)},
		{OPT_ACTION, 7, offsetof(struct manage, action)},
		{OPT_BPID, 1, offsetof(struct manage, bpid)},
		{OPT_STC, 0xf, offsetof(struct manage, stc)},
		{OPT_SANACT, 7, offsetof(struct manage, sanact)},
		{OPT_OWPASS, 16, offsetof(struct manage, owpass)},
		{OPT_OVRPAT, UINT32_MAX, offsetof(struct manage, ovrpat)},
	};
	uint32_t v;
	size_t i;

	m->given |= 1ull << (opt - OPT_NSID);
	switch (opt) {
	case OPT_FID:
	case OPT_SEL:
		if (!parse_u32(arg, opt == OPT_FID ? 0xff : 3, &v)) {
			return false;
		}
		if (opt == OPT_FID) {
			m->fid = (uint8_t)v;
		} else {
			m->sel = (int)v;
		}
		return true;
	case OPT_NSZE:
	case OPT_NCAP: {
		char *end;
		unsigned long long n;

		errno = 0;
		n = strtoull(arg, &end, 0);
		if (errno != 0 || end == arg || *end != '\0' || arg[0] == '-') {
			return false;
		}
		*(opt == OPT_NSZE ? &m->nsze : &m->ncap) = n;
		return true;
	}
	case OPT_CONTROLLERS:
		m->controllers = arg;
		return true;
	case OPT_FW:
		m->fw_path = arg;
		return true;
	case OPT_SAVE:
		m->save = true;
		return true;
	case OPT_AUSE:
		m->ause = true;
		return true;
	case OPT_OIPBP:
		m->oipbp = true;
		return true;
	case OPT_NO_DEALLOC:
		m->no_dealloc = true;
		return true;
	default:
		break;
	}
	for (i = 0; i < sizeof(u32_opts) / sizeof(u32_opts[0]); i++) {
		if (u32_opts[i].opt == opt) {
			if (!parse_u32(arg, u32_opts[i].max, &v)) {
				return false;
			}
			memcpy((uint8_t *)m + u32_opts[i].off, &v, sizeof(v));
			return true;
		}
	}
	return false;
}

/* The short letters, as their long options' numbers. */
static int
short_to_opt(int c)
{
	switch (c) {
	case 'n':
		return OPT_NSID;
	case 'f':
		return OPT_FID;
	case 's':
		return OPT_SEL;
	case 'v':
		return OPT_VALUE;
	case 'l':
		return OPT_DATA_LEN;
	case 'e':
		return OPT_LOG_ENTRIES;
	default:
		return c;
	}
}

int
main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{"trid", required_argument, NULL, 'r'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{"namespace-id", required_argument, NULL, OPT_NSID},
		{"feature-id", required_argument, NULL, OPT_FID},
		{"sel", required_argument, NULL, OPT_SEL},
		{"value", required_argument, NULL, OPT_VALUE},
		{"data-len", required_argument, NULL, OPT_DATA_LEN},
		{"log-entries", required_argument, NULL, OPT_LOG_ENTRIES},
		{"cdw11", required_argument, NULL, OPT_CDW11},
		{"save", no_argument, NULL, OPT_SAVE},
		{"lbaf", required_argument, NULL, OPT_LBAF},
		{"ses", required_argument, NULL, OPT_SES},
		{"pi", required_argument, NULL, OPT_PI},
		{"pil", required_argument, NULL, OPT_PIL},
		{"ms", required_argument, NULL, OPT_MS},
		{"nsze", required_argument, NULL, OPT_NSZE},
		{"ncap", required_argument, NULL, OPT_NCAP},
		{"flbas", required_argument, NULL, OPT_FLBAS},
		{"dps", required_argument, NULL, OPT_DPS},
		{"nmic", required_argument, NULL, OPT_NMIC},
		{"controllers", required_argument, NULL, OPT_CONTROLLERS},
		{"fw", required_argument, NULL, OPT_FW},
		{"xfer", required_argument, NULL, OPT_XFER},
		{"offset", required_argument, NULL, OPT_OFFSET},
		{"slot", required_argument, NULL, OPT_SLOT},
		{"action", required_argument, NULL, OPT_ACTION},
		{"bpid", required_argument, NULL, OPT_BPID},
		{"stc", required_argument, NULL, OPT_STC},
		{"sanact", required_argument, NULL, OPT_SANACT},
		{"ause", no_argument, NULL, OPT_AUSE},
		{"owpass", required_argument, NULL, OPT_OWPASS},
		{"oipbp", no_argument, NULL, OPT_OIPBP},
		{"no-dealloc", no_argument, NULL, OPT_NO_DEALLOC},
		{"ovrpat", required_argument, NULL, OPT_OVRPAT},
		FABRICS_LONG_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	struct pnvme_transport_id trid;
	struct pnvme_env_opts env_opts;
	struct manage m = {.sel = 0};
	bool have_trid = false;
	int (*run)(struct manage *m) = NULL;
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
		c = short_to_opt(c);
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
		case 'h':
			usage(argv[0]);
			return 0;
		default:
			if (c < OPT_NSID || c >= OPT_END) {
				usage(argv[0]);
				return 2;
			}
			if (!set_option(&m, c, optarg)) {
				fprintf(stderr, "manage: invalid value '%s'\n", optarg);
				return 2;
			}
			break;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "manage: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if ((run == get_feature || run == set_feature) && !manage_given(&m, OPT_FID)) {
		return missing_option(&m, "-f FID");
	}
	if (run == set_feature && !manage_given(&m, OPT_VALUE)) {
		return missing_option(&m, "-v VALUE");
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
