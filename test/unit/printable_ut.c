/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tools' output of device-reported text: escaped for a terminal (text)
 * and for JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ut.h"

/* The unit-test build links only the library's core: the tools' helpers
 * under test are compiled in here. */
#include "../../examples/common/json_writer.c"
#include "../../examples/common/printable.c"

static void
test_printable_copy_escapes(void)
{
	/* A discovery service naming its subsystem with a terminal command. */
	static const char hostile[] = "nqn.x:\x1b]2;owned\x07\x1b[2J\\ok\x7f\xe9";
	char out[128];

	printable_copy(out, sizeof(out), hostile, sizeof(hostile));
	CU_ASSERT_STRING_EQUAL(out, "nqn.x:\\x1b]2;owned\\x07\\x1b[2J\\\\ok\\x7f\\xe9");
	/* Only printable ASCII is left. */
	for (size_t i = 0; out[i] != '\0'; i++) {
		CU_ASSERT(out[i] >= 0x20 && out[i] < 0x7f);
	}
	/* Stops at a NUL or the length, whichever comes first. */
	printable_copy(out, sizeof(out), "abc\0def", 7);
	CU_ASSERT_STRING_EQUAL(out, "abc");
	printable_copy(out, sizeof(out), "abcdef", 2);
	CU_ASSERT_STRING_EQUAL(out, "ab");
}

static void
test_printable_copy_truncates_whole_escapes(void)
{
	char out[8];

	memset(out, 'Z', sizeof(out));
	printable_copy(out, sizeof(out), "abcd\x1b", 5);
	/* "abcd" fits, "\x1b" would not: never half an escape. */
	CU_ASSERT_STRING_EQUAL(out, "abcd");
	printable_copy(out, sizeof(out), "abcdefghijk", 11);
	CU_ASSERT_STRING_EQUAL(out, "abcdefg");
	printable_copy(out, 1, "abc", 3);
	CU_ASSERT_STRING_EQUAL(out, "");
}

static void
test_printable_fixed_trims_padding(void)
{
	char mn[40], out[200];

	memset(mn, ' ', sizeof(mn));
	memcpy(mn, "Model \x1b[31mX", 12);
	printable_fixed(out, sizeof(out), mn, sizeof(mn));
	CU_ASSERT_STRING_EQUAL(out, "Model \\x1b[31mX");
	/* NUL-terminated then padded, and every byte of a 20-byte field escaped. */
	printable_fixed(out, sizeof(out), "SN1  \0\0\0", 8);
	CU_ASSERT_STRING_EQUAL(out, "SN1");
	memset(mn, 0x9b, 20); /* the 8-bit CSI byte */
	printable_fixed(out, sizeof(out), mn, 20);
	CU_ASSERT_EQUAL(strlen(out), 80);
}

static void
test_json_string_escapes(void)
{
	struct json_writer w;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	json_init(&w, f);
	json_begin_object(&w, NULL);
	json_string(&w, "s", "a\"b\\c\x1b[2J\n\xff");
	json_end_object(&w);
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"s\": \"a\\\"b\\\\c\\u001b[2J\\u000a\\u00ff\""));
	for (size_t i = 0; i < len; i++) {
		CU_ASSERT(text[i] == '\n' || ((unsigned char)text[i] >= 0x20 && text[i] < 0x7f));
	}
	free(text);
}

int
main(void)
{
	static const struct ut_test tests[] = {
		{"printable_copy_escapes", test_printable_copy_escapes},
		{"printable_copy_truncates_whole_escapes", test_printable_copy_truncates_whole_escapes},
		{"printable_fixed_trims_padding", test_printable_fixed_trims_padding},
		{"json_string_escapes", test_json_string_escapes},
		{NULL, NULL},
	};

	return ut_run("printable", tests);
}
