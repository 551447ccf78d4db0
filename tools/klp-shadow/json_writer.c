// SPDX-License-Identifier: GPL-2.0
/*
 * json_writer.c - a small streaming JSON writer
 */

#include <stddef.h>
#include "json_writer.h"

void jw_init(struct json_writer *w, FILE *f, bool pretty)
{
	w->f = f;
	w->pretty = pretty;
	w->depth = 0;
	w->first[0] = true;
	w->after_key = false;
}

static void jw_indent(struct json_writer *w)
{
	int i;

	if (!w->pretty)
		return;
	fputc('\n', w->f);
	for (i = 0; i < w->depth; i++)
		fputs("  ", w->f);
}

/* Before a value or a key: the comma and the line break it needs. */
static void jw_sep(struct json_writer *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (!w->first[w->depth])
		fputc(',', w->f);
	w->first[w->depth] = false;
	if (w->depth)
		jw_indent(w);
}

static void jw_open(struct json_writer *w, char c)
{
	jw_sep(w);
	fputc(c, w->f);
	if (w->depth < JW_MAX_DEPTH - 1)
		w->depth++;
	w->first[w->depth] = true;
}

static void jw_close(struct json_writer *w, char c)
{
	bool empty = w->first[w->depth];

	if (w->depth)
		w->depth--;
	if (!empty)
		jw_indent(w);
	fputc(c, w->f);
}

void jw_start_object(struct json_writer *w)
{
	jw_open(w, '{');
}

void jw_end_object(struct json_writer *w)
{
	jw_close(w, '}');
}

void jw_start_array(struct json_writer *w)
{
	jw_open(w, '[');
}

void jw_end_array(struct json_writer *w)
{
	jw_close(w, ']');
}

/**
 * jw_utf8_len() - the length of the UTF-8 sequence @p starts with
 * @p:		NUL-terminated bytes
 *
 * Overlong forms, surrogates and code points past U+10FFFF are not valid.
 *
 * Return: 1 to 4, or 0 if @p does not start with a valid sequence.
 */
size_t jw_utf8_len(const unsigned char *p)
{
	unsigned int cp;
	size_t len, i;

	if (*p < 0x80)
		return 1;
	if (*p >= 0xc2 && *p <= 0xdf) {
		len = 2;
		cp = *p & 0x1f;
	} else if (*p >= 0xe0 && *p <= 0xef) {
		len = 3;
		cp = *p & 0x0f;
	} else if (*p >= 0xf0 && *p <= 0xf4) {
		len = 4;
		cp = *p & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/*
 * A string: control characters as \u00XX, and each byte that is not part
 * of valid UTF-8 as the four characters \xHH, so the output is always
 * valid UTF-8 and valid JSON.
 */
static void jw_quoted(struct json_writer *w, const char *s)
{
	const unsigned char *p;
	size_t len;

	fputc('"', w->f);
	for (p = (const unsigned char *)s; *p; p += len) {
		len = 1;
		switch (*p) {
		case '"':
			fputs("\\\"", w->f);
			break;
		case '\\':
			fputs("\\\\", w->f);
			break;
		case '\n':
			fputs("\\n", w->f);
			break;
		case '\t':
			fputs("\\t", w->f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				fprintf(w->f, "\\u%04x", *p);
				break;
			}
			len = jw_utf8_len(p);
			if (!len) {
				fprintf(w->f, "\\\\x%02x", *p);
				len = 1;
			} else {
				fwrite(p, 1, len, w->f);
			}
		}
	}
	fputc('"', w->f);
}

void jw_key(struct json_writer *w, const char *key)
{
	jw_sep(w);
	jw_quoted(w, key);
	fputs(w->pretty ? ": " : ":", w->f);
	w->after_key = true;
}

void jw_string(struct json_writer *w, const char *s)
{
	if (!s) {
		jw_null(w);
		return;
	}
	jw_sep(w);
	jw_quoted(w, s);
}

void jw_uint(struct json_writer *w, unsigned long long v)
{
	jw_sep(w);
	fprintf(w->f, "%llu", v);
}

void jw_int(struct json_writer *w, long long v)
{
	jw_sep(w);
	fprintf(w->f, "%lld", v);
}

void jw_bool(struct json_writer *w, bool v)
{
	jw_sep(w);
	fputs(v ? "true" : "false", w->f);
}

void jw_null(struct json_writer *w)
{
	jw_sep(w);
	fputs("null", w->f);
}

/* End a document: one per line. */
void jw_finish(struct json_writer *w)
{
	fputc('\n', w->f);
	w->depth = 0;
	w->first[0] = true;
	w->after_key = false;
}
