/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small streaming JSON writer: compact ({"a":1,"b":[2]}) or indented by
 * two spaces. Keys and values are written in order; the writer adds the
 * commas, the colons and the indentation.
 */
#ifndef KLP_SHADOW_JSON_WRITER_H
#define KLP_SHADOW_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define JW_MAX_DEPTH	16

struct json_writer {
	FILE *f;
	bool pretty;
	int depth;
	bool first[JW_MAX_DEPTH];
	bool after_key;
};

void jw_init(struct json_writer *w, FILE *f, bool pretty);
void jw_start_object(struct json_writer *w);
void jw_end_object(struct json_writer *w);
void jw_start_array(struct json_writer *w);
void jw_end_array(struct json_writer *w);
void jw_key(struct json_writer *w, const char *key);
void jw_string(struct json_writer *w, const char *s);
void jw_uint(struct json_writer *w, unsigned long long v);
void jw_int(struct json_writer *w, long long v);
void jw_bool(struct json_writer *w, bool v);
void jw_null(struct json_writer *w);
void jw_finish(struct json_writer *w);
size_t jw_utf8_len(const unsigned char *p);

#endif /* KLP_SHADOW_JSON_WRITER_H */
