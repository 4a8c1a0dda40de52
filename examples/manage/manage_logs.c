/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pnvme_manage's log verbs: smart-log, error-log, fw-log,
 * changed-ns-list-log, effects-log, self-test-log.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manage.h"
#include "printable.h"

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

int
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

int
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

int
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


int
changed_ns_list_log(struct manage *m)
{
	struct pnvme_changed_ns_list *list = calloc(1, sizeof(*list));
	/* Reading it would clear a namespace attribute event the library has
	 * not read yet: leave that to the library (RAE). */
	struct pnvme_log_page_opts opts = {.opts_size = sizeof(opts), .rae = true};
	struct admin_wait aw = {0};
	uint32_t i;

	if (list == NULL ||
	    admin_wait(m, &aw,
		       pnvme_ctrlr_cmd_get_log_page(m->ctrlr, PNVME_LOG_PAGE_CHANGED_NS_LIST,
						    PNVME_NSID_ALL, list, sizeof(*list), &opts,
						    admin_done, &aw),
		       "changed-ns-list-log", ADMIN_WAIT_S) != 0) {
		free(list);
		return 1;
	}
	if (m->json) {
		json_begin_object(&m->w, NULL);
		json_bool(&m->w, "overflow", list->nsid[0] == PNVME_NSID_ALL);
		json_begin_array(&m->w, "changed_ns_list");
	} else {
		printf("Changed Namespace List Log for device:%s\n",
		       pnvme_ctrlr_get_transport_id(m->ctrlr)->traddr);
	}
	for (i = 0; i < 1024 && list->nsid[i] != 0; i++) {
		if (m->json) {
			json_begin_object(&m->w, NULL);
			json_uint(&m->w, "nsid", list->nsid[i]);
			json_end_object(&m->w);
		} else if (list->nsid[i] == PNVME_NSID_ALL) {
			printf("more than 1024 namespaces changed\n");
			break;
		} else {
			printf("[%4u]:%#x\n", i, list->nsid[i]);
		}
	}
	if (m->json) {
		json_end_array(&m->w);
		json_end_object(&m->w);
	} else if (i == 0) {
		printf("no namespace changed\n");
	}
	free(list);
	return 0;
}

/* One command set's supported opcodes and their effects. */
static void
effects_print(struct manage *m, const char *name, const uint32_t *effects)
{
	char key[8];
	unsigned int opc;

	if (m->json) {
		json_begin_object(&m->w, name);
	} else {
		printf("%s\n", name);
	}
	for (opc = 0; opc < 256; opc++) {
		if (!(effects[opc] & PNVME_CMD_EFFECTS_CSUPP)) {
			continue;
		}
		snprintf(key, sizeof(key), "0x%02x", opc);
		if (m->json) {
			json_uint(&m->w, key, effects[opc]);
		} else {
			printf("  opcode %s %08x  %s%s%s%s\n", key, effects[opc],
			       effects[opc] & PNVME_CMD_EFFECTS_LBCC ? "LBCC " : "",
			       effects[opc] & PNVME_CMD_EFFECTS_NCC ? "NCC " : "",
			       effects[opc] & PNVME_CMD_EFFECTS_NIC ? "NIC " : "",
			       effects[opc] & PNVME_CMD_EFFECTS_CCC ? "CCC" : "");
		}
	}
	if (m->json) {
		json_end_object(&m->w);
	}
}

int
effects_log(struct manage *m)
{
	struct pnvme_cmd_effects_log *log = calloc(1, sizeof(*log));

	if (log == NULL || read_log(m, PNVME_LOG_PAGE_COMMAND_EFFECTS, PNVME_NSID_ALL, log,
				    sizeof(*log), "effects-log") != 0) {
		free(log);
		return 1;
	}
	if (m->json) {
		json_begin_object(&m->w, NULL);
	} else {
		printf("Commands Supported and Effects Log for device:%s\n",
		       pnvme_ctrlr_get_transport_id(m->ctrlr)->traddr);
	}
	effects_print(m, "admin_cmd_set", log->admin);
	effects_print(m, "io_cmd_set", log->io);
	if (m->json) {
		json_end_object(&m->w);
	}
	free(log);
	return 0;
}

int
self_test_log(struct manage *m)
{
	struct pnvme_self_test_log log;
	const struct pnvme_self_test_result *r;
	int i;

	if (read_log(m, PNVME_LOG_PAGE_DEVICE_SELF_TEST, m->nsid ? m->nsid : PNVME_NSID_ALL, &log,
		     sizeof(log), "self-test-log") != 0) {
		return 1;
	}
	if (m->json) {
		json_begin_object(&m->w, NULL);
		json_uint(&m->w, "current_operation", log.current_operation & 0xf);
		json_uint(&m->w, "current_completion", log.current_completion & 0x7f);
		json_begin_array(&m->w, "results");
	} else {
		printf("Device Self Test Log for device:%s\nCurrent operation  : %#x\n"
		       "Current Completion : %u%%\n",
		       pnvme_ctrlr_get_transport_id(m->ctrlr)->traddr,
		       log.current_operation & 0xf, log.current_completion & 0x7f);
	}
	for (i = 0; i < 20; i++) {
		r = &log.result[i];
		if ((r->status & 0xf) == 0xf) {
			continue; /* an unused entry */
		}
		if (m->json) {
			json_begin_object(&m->w, NULL);
			json_uint(&m->w, "self_test_result", r->status & 0xf);
			json_uint(&m->w, "self_test_code", r->status >> 4);
			json_uint(&m->w, "segment_number", r->segment);
			json_uint(&m->w, "valid_diagnostic_info", r->valid);
			json_uint(&m->w, "power_on_hours", r->power_on_hours);
			json_uint(&m->w, "nsid", r->nsid);
			json_uint(&m->w, "failing_lba", r->failing_lba);
			json_uint(&m->w, "sct", r->sct);
			json_uint(&m->w, "sc", r->sc);
			json_end_object(&m->w);
		} else {
			printf("Self Test Result[%d]:\n  Operation Result : %#x\n  Self Test Code   : "
			       "%#x\n  Segment Number   : %u\n  Power on hours   : %" PRIu64 "\n",
			       i, r->status & 0xf, r->status >> 4, r->segment, r->power_on_hours);
		}
	}
	if (m->json) {
		json_end_array(&m->w);
		json_end_object(&m->w);
	}
	return 0;
}
