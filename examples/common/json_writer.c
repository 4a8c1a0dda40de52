/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A minimal streaming JSON writer for the example tools' --json output.
 */
#include <inttypes.h>

#include "json_writer.h"

void
json_init(struct json_writer *w, FILE *out)
{
	w->out = out;
	w->depth = 0;
	w->need_comma[0] = false;
}

static void
put_string(struct json_writer *w, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', w->out);
	for (; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			fprintf(w->out, "\\%c", *p);
		} else if (*p < 0x20 || *p >= 0x7f) {
			fprintf(w->out, "\\u%04x", *p);
		} else {
			fputc(*p, w->out);
		}
	}
	fputc('"', w->out);
}

/* Comma, newline, indentation and key before a value. */
static void
put_prefix(struct json_writer *w, const char *key)
{
	if (w->need_comma[w->depth]) {
		fputc(',', w->out);
	}
	if (w->depth > 0) {
		fprintf(w->out, "\n%*s", w->depth * 2, "");
	}
	w->need_comma[w->depth] = true;
	if (key != NULL) {
		put_string(w, key);
		fputs(": ", w->out);
	}
}

static void
open_container(struct json_writer *w, const char *key, char c)
{
	put_prefix(w, key);
	fputc(c, w->out);
	if (w->depth + 1 < JSON_MAX_DEPTH) {
		w->depth++;
	}
	w->need_comma[w->depth] = false;
}

static void
close_container(struct json_writer *w, char c)
{
	bool had_items = w->need_comma[w->depth];

	if (w->depth > 0) {
		w->depth--;
	}
	if (had_items) {
		fprintf(w->out, "\n%*s", w->depth * 2, "");
	}
	fputc(c, w->out);
	if (w->depth == 0) {
		fputc('\n', w->out);
	}
}

void
json_begin_object(struct json_writer *w, const char *key)
{
	open_container(w, key, '{');
}

void
json_end_object(struct json_writer *w)
{
	close_container(w, '}');
}

void
json_begin_array(struct json_writer *w, const char *key)
{
	open_container(w, key, '[');
}

void
json_end_array(struct json_writer *w)
{
	close_container(w, ']');
}

void
json_string(struct json_writer *w, const char *key, const char *value)
{
	put_prefix(w, key);
	put_string(w, value);
}

void
json_uint(struct json_writer *w, const char *key, uint64_t value)
{
	put_prefix(w, key);
	fprintf(w->out, "%" PRIu64, value);
}

void
json_double(struct json_writer *w, const char *key, double value)
{
	put_prefix(w, key);
	fprintf(w->out, "%.3f", value);
}

void
json_bool(struct json_writer *w, const char *key, bool value)
{
	put_prefix(w, key);
	fputs(value ? "true" : "false", w->out);
}

void
json_null(struct json_writer *w, const char *key)
{
	put_prefix(w, key);
	fputs("null", w->out);
}
