/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pnvme_manage's firmware verbs: fw-download sends an image file (in
 * pieces the library cuts to the transfer limit and the update
 * granularity, or in --xfer pieces), fw-commit puts it in a slot and
 * activates it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "manage.h"

/* Read @p path into DMA memory: its bytes and length, or NULL (a line). */
static void *
read_image(const char *path, uint32_t *len)
{
	struct stat st;
	void *image;
	FILE *f = fopen(path, "rb");

	if (f == NULL || fstat(fileno(f), &st) != 0) {
		fprintf(stderr, "manage: fw-download: %s: %s\n", path, strerror(errno));
		if (f != NULL) {
			fclose(f);
		}
		return NULL;
	}
	if (st.st_size == 0 || st.st_size % 4 != 0 || st.st_size > (1ll << 30)) {
		fprintf(stderr, "manage: fw-download: %s: %lld bytes; an image is a non-zero "
			"multiple of 4 bytes, at most 1 GiB\n",
			path, (long long)st.st_size);
		fclose(f);
		return NULL;
	}
	image = pnvme_dma_zmalloc((size_t)st.st_size, 4096, NULL);
	if (image == NULL || fread(image, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		fprintf(stderr, "manage: fw-download: cannot read %s into DMA memory\n", path);
		pnvme_dma_free(image);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = (uint32_t)st.st_size;
	return image;
}

int
fw_download(struct manage *m)
{
	struct admin_wait aw;
	uint32_t len, done = 0, piece;
	uint8_t *image;

	if (m->fw_path == NULL) {
		return missing_option(m, "--fw FILE");
	}
	if (manage_given(m, OPT_XFER) && (m->xfer == 0 || m->xfer % 4 != 0)) {
		fprintf(stderr, "manage: fw-download: --xfer %u is not a non-zero multiple of 4\n",
			m->xfer);
		return 2;
	}
	image = read_image(m->fw_path, &len);
	if (image == NULL) {
		return 1;
	}
	/* Without --xfer one call: the library cuts it. */
	while (done < len) {
		piece = manage_given(m, OPT_XFER) && m->xfer < len - done ? m->xfer : len - done;
		memset(&aw, 0, sizeof(aw));
		if (admin_wait(m, &aw,
			       pnvme_ctrlr_cmd_fw_download(m->ctrlr, image + done, piece,
							   m->offset + done, admin_done, &aw),
			       "fw-download", LONG_ADMIN_WAIT_S) != 0) {
			pnvme_dma_free(image);
			return 1;
		}
		done += piece;
	}
	pnvme_dma_free(image);
	if (m->json) {
		json_begin_object(&m->w, NULL);
		json_string(&m->w, "result", "success");
		json_uint(&m->w, "bytes", len);
		json_end_object(&m->w);
	} else {
		printf("Firmware download success: %u bytes\n", len);
	}
	return 0;
}

/* Commit statuses that mean "done, and this reset activates it". */
static const char *
reset_needed(const struct pnvme_status *st)
{
	if (st->sct != PNVME_SCT_COMMAND_SPECIFIC) {
		return NULL;
	}
	switch (st->sc) {
	case PNVME_SC_FIRMWARE_REQ_CONVENTIONAL_RESET:
		return "conventional reset";
	case PNVME_SC_FIRMWARE_REQ_NVM_RESET:
		return "NVM subsystem reset";
	case PNVME_SC_FIRMWARE_REQ_RESET:
		return "controller level reset";
	default:
		return NULL;
	}
}

int
fw_commit(struct manage *m)
{
	struct admin_wait aw = {0};
	const char *reset;

	if (!manage_given(m, OPT_ACTION)) {
		return missing_option(m, "--action A");
	}
	if (admin_wait_answer(m, &aw,
			      pnvme_ctrlr_cmd_fw_commit(m->ctrlr, (uint8_t)m->slot,
							(enum pnvme_fw_commit_action)m->action,
							m->bpid != 0, admin_done, &aw),
			      "fw-commit", LONG_ADMIN_WAIT_S) != 0) {
		return 1;
	}
	reset = reset_needed(&aw.cpl.status);
	if (pnvme_cpl_is_error(&aw.cpl) && reset == NULL) {
		fprintf(stderr, "manage: fw-commit: %s (sct %u sc 0x%02x)\n",
			pnvme_status_string(&aw.cpl.status), aw.cpl.status.sct, aw.cpl.status.sc);
		return 1;
	}
	if (m->json) {
		json_begin_object(&m->w, NULL);
		json_string(&m->w, "result", "success");
		json_uint(&m->w, "slot", m->slot);
		json_uint(&m->w, "action", m->action);
		if (reset != NULL) {
			json_string(&m->w, "activation_needs", reset);
		}
		json_end_object(&m->w);
	} else {
		printf("Success committing firmware action:%u slot:%u\n", m->action, m->slot);
		if (reset != NULL) {
			printf("Firmware activation requires a %s\n", reset);
		}
	}
	return 0;
}
