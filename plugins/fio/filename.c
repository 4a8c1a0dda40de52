/* SPDX-License-Identifier: BSD-3-Clause */
/* The fio engine's filename form, turned into pnvme's transport ID syntax. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filename.h"

/* Longer than any valid transport ID string; a longer name is refused. */
#define NAME_MAX_LEN 1024

static int fail(char *err, size_t err_size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t err_size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, err_size, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* "0000.01.00.0" -> "0000:01:00.0": every dot but the function's. */
static void pcie_dots_to_colons(char *addr)
{
	char *last = strrchr(addr, '.');

	for (char *p = addr; p < last; p++) {
		if (*p == '.') {
			*p = ':';
		}
	}
}

int fio_filename_parse(const char *name, struct pnvme_transport_id *trid, uint32_t *nsid,
		       char *err, size_t err_size)
{
	char copy[NAME_MAX_LEN + 1], out[NAME_MAX_LEN + 64];
	char *save = NULL, *tok, *traddr = NULL, *trtype = NULL;
	size_t len = 0, n;
	unsigned long long ns = 1;
	bool have_ns = false;

	if (name == NULL || name[0] == '\0') {
		return fail(err, err_size, "empty filename");
	}
	/* Undo fio's escaping of colons while copying. */
	for (const char *p = name; *p; p++) {
		if (p[0] == '\\' && p[1] == ':') {
			continue;
		}
		if (len == NAME_MAX_LEN) {
			return fail(err, err_size, "filename longer than %d characters", NAME_MAX_LEN);
		}
		copy[len++] = *p;
	}
	copy[len] = '\0';

	out[0] = '\0';
	len = 0;
	for (tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(tok, '=');

		if (eq == NULL || eq == tok || eq[1] == '\0') {
			return fail(err, err_size, "'%s' is not key=value", tok);
		}
		*eq = '\0';
		if (strcasecmp(tok, "ns") == 0) {
			char *end;

			if (have_ns) {
				return fail(err, err_size, "ns given twice");
			}
			errno = 0;
			ns = strtoull(eq + 1, &end, 10);
			if (!isdigit((unsigned char)eq[1]) || *end != '\0' || errno != 0 || ns == 0 ||
			    ns >= 0xffffffffull) {
				return fail(err, err_size, "ns=%s is not a namespace ID (1-4294967294)",
					    eq + 1);
			}
			have_ns = true;
			continue;
		}
		if (strcasecmp(tok, "trtype") == 0) {
			trtype = eq + 1;
		} else if (strcasecmp(tok, "traddr") == 0) {
			traddr = eq + 1;
		}
		n = (size_t)snprintf(out + len, sizeof(out) - len, "%s%s=%s", len ? " " : "", tok,
				     eq + 1);
		if (n >= sizeof(out) - len) {
			return fail(err, err_size, "filename too long");
		}
		len += n;
	}
	if (trtype == NULL || traddr == NULL) {
		return fail(err, err_size, "needs trtype= and traddr= (e.g. 'trtype=PCIe traddr=0000.01.00.0 ns=1')");
	}
	/* Only a PCIe address may be written with dots for colons; the string
	 * was built from the copy, so convert it there and rebuild. */
	if (strcasecmp(trtype, "PCIe") == 0 && strchr(traddr, ':') == NULL) {
		char *at = strstr(out, "traddr=");

		/* The first traddr= in OUT is this one: keys are copied in order. */
		while (at && at != out && at[-1] != ' ') {
			at = strstr(at + 1, "traddr=");
		}
		if (at) {
			char *end = at + strcspn(at, " ");
			char saved = *end;

			*end = '\0';
			pcie_dots_to_colons(at + strlen("traddr="));
			*end = saved;
		}
	}
	if (pnvme_transport_id_parse(trid, out) != 0) {
		return fail(err, err_size, "'%s' is not a valid transport ID", out);
	}
	*nsid = (uint32_t)ns;
	return 0;
}
