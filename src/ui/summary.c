/* The final statistics: the spread of the per-interval rate, the bottleneck sentence, and the
 * text and JSON renderings. */
#include "config.h"
#include "summary.h"

#include <errno.h>
#include <math.h> /* isfinite, a macro: no libm needed */
#include <stdlib.h>
#include <string.h>
#include "stats.h"

int tp_rate_track_add(struct tp_rate_track *t, double rate)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		double *r;

		if (cap < t->cap || cap > SIZE_MAX / sizeof(*r))
			return -ENOMEM;
		r = realloc(t->rates, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		t->rates = r;
		t->cap = cap;
	}
	t->rates[t->n++] = rate;
	return 0;
}

void tp_rate_track_free(struct tp_rate_track *t)
{
	free(t->rates);
	t->rates = NULL;
	t->n = t->cap = 0;
}

void tp_summary_set_rates(struct tp_summary *s, const struct tp_rate_track *t)
{
	double sum = 0, dev = 0, mean;
	size_t i;

	s->intervals = t->n;
	s->rate_min = s->rate_max = s->rate_mean_dev = 0;
	if (t->n == 0)
		return;
	s->rate_min = s->rate_max = t->rates[0];
	for (i = 0; i < t->n; i++) {
		sum += t->rates[i];
		if (t->rates[i] < s->rate_min)
			s->rate_min = t->rates[i];
		if (t->rates[i] > s->rate_max)
			s->rate_max = t->rates[i];
	}
	mean = sum / (double)t->n;
	for (i = 0; i < t->n; i++)
		dev += t->rates[i] > mean ? t->rates[i] - mean : mean - t->rates[i];
	s->rate_mean_dev = dev / (double)t->n;
}

/* A rate limit as it was given: "20.0 MB/s", or with -l -L "100 lines/s". */
static char *format_limit(char *buf, size_t len, const struct tp_summary *s)
{
	if (s->rate_lines)
		snprintf(buf, len, "%llu lines/s", (unsigned long long)s->rate_limit);
	else
		strcat(tp_format_decimal(buf, len - 2, (double)s->rate_limit), "/s");
	return buf;
}

/* A duration with three significant digits in us, ms or s: "12.0 us", "310 us", "4.20 ms". */
static char *format_secs(char *buf, size_t len, double s)
{
	const char *unit = "s";

	if (!isfinite(s) || s <= 0) {
		snprintf(buf, len, "0 s");
		return buf;
	}
	if (s < 0.9995e-3) {
		s *= 1e6;
		unit = "us";
	} else if (s < 0.9995) {
		s *= 1e3;
		unit = "ms";
	}
	snprintf(buf, len, "%.*f %s", s < 9.995 ? 2 : s < 99.95 ? 1 : 0, s, unit);
	return buf;
}

static double finite_or_zero(double v)
{
	return isfinite(v) ? v : 0;
}

static double fraction(double part, double whole)
{
	double f = finite_or_zero(part) / whole;

	return f < 0 ? 0 : f > 1 ? 1 : f;
}

size_t tp_summary_bottleneck(char *buf, size_t len, const struct tp_summary *s)
{
	double out = 0, in = 0, pace = 0, top;
	char rate[32];
	int n;

	if (isfinite(s->seconds) && s->seconds > 0) {
		out = fraction(s->reader_wait, s->seconds);
		in = fraction(s->writer_wait, s->seconds);
		pace = fraction(s->pace_wait, s->seconds);
	}
	top = out > in ? out : in;
	top = top > pace ? top : pace;
	if (top < 0.1 - 1e-9)
		n = snprintf(buf, len, "balanced: neither side waited more than 10 %% of the time");
	else if (top == out)
		n = snprintf(buf, len, "output-bound: waited for the consumer %d %% of the time",
			     (int)(out * 100 + 0.5));
	else if (top == in)
		n = snprintf(buf, len, "input-bound: waited for the producer %d %% of the time",
			     (int)(in * 100 + 0.5));
	else
		n = snprintf(buf, len, "rate-limited: held to %s %d %% of the time",
			     format_limit(rate, sizeof(rate), s), (int)(pace * 100 + 0.5));
	return n < 0 ? 0 : (size_t)n;
}

void tp_summary_print_text(FILE *out, const struct tp_summary *s)
{
	char a[32], b[32], c[32], line[160];
	double secs = finite_or_zero(s->seconds);

	tp_summary_prefix(out, s);
	fprintf(out, "%s (%llu bytes) in %s, %s/s average", tp_format_bytes(a, sizeof(a), (double)s->bytes),
		(unsigned long long)s->bytes, format_secs(b, sizeof(b), secs),
		tp_format_bytes(c, sizeof(c), secs > 0 ? (double)s->bytes / secs : 0));
	if (s->rate_limit)
		fprintf(out, ", limit %s", format_limit(a, sizeof(a), s));
	fputc('\n', out);
	if (s->line_mode) {
		tp_summary_prefix(out, s);
		fprintf(out, "lines: %llu (%s-terminated), %.1f lines/s average\n",
			(unsigned long long)s->lines, s->null_lines ? "NUL" : "newline",
			secs > 0 ? (double)s->lines / secs : 0);
	}
	if (s->intervals) {
		tp_summary_prefix(out, s);
		fprintf(out, "per-interval rate: min %s/s, ", tp_format_bytes(a, sizeof(a), finite_or_zero(s->rate_min)));
		fprintf(out, "max %s/s, mean deviation %s/s (%llu interval%s)\n",
			tp_format_bytes(b, sizeof(b), finite_or_zero(s->rate_max)),
			tp_format_bytes(c, sizeof(c), finite_or_zero(s->rate_mean_dev)),
			(unsigned long long)s->intervals, s->intervals == 1 ? "" : "s");
	}
	tp_summary_prefix(out, s);
	fprintf(out, "waited: reader for a free chunk %s, writer for data %s, pacing %s\n",
		format_secs(a, sizeof(a), s->reader_wait), format_secs(b, sizeof(b), s->writer_wait),
		format_secs(c, sizeof(c), s->pace_wait));
	tp_summary_prefix(out, s);
	fprintf(out, "writes: %llu call%s", (unsigned long long)s->write_calls, s->write_calls == 1 ? "" : "s");
	if (s->write_calls)
		fprintf(out, ", latency min %s / avg %s / max %s", format_secs(a, sizeof(a), s->write_min),
			format_secs(b, sizeof(b), s->write_avg), format_secs(c, sizeof(c), s->write_max));
	fprintf(out, "; engine %s\n", s->engine ? s->engine : s->n_outputs ? "per output" : "unknown");
	for (unsigned i = 0; i < s->n_outputs; i++) {
		const struct tp_summary_output *o = &s->outputs[i];
		tp_summary_prefix(out, s);
		fputs("output ", out);
		for (const unsigned char *p = (const unsigned char *)o->name; *p; p++)
			fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, out);
		fprintf(out, ": %s (%llu bytes) in %llu write%s, engine %s, waited for data %s%s%s\n",
			tp_format_bytes(a, sizeof(a), (double)o->bytes), (unsigned long long)o->bytes,
			(unsigned long long)o->write_calls, o->write_calls == 1 ? "" : "s",
			o->engine ? o->engine : "none", format_secs(b, sizeof(b), o->writer_wait),
			o->dropped ? "; dropped: " : "", o->dropped ? o->dropped : "");
	}
	tp_summary_prefix(out, s);
	fprintf(out, "ring: high-water %u of %u chunks of %s\n", s->ring_high_water, s->ring_depth,
		tp_format_bytes(a, sizeof(a), (double)s->chunk_size));
	tp_summary_print_link_text(out, s);
	tp_summary_bottleneck(line, sizeof(line), s);
	tp_summary_prefix(out, s);
	fprintf(out, "bottleneck: %s\n", line);
}

/* The length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong forms, no
 * surrogates, nothing past U+10FFFF), or 0 when it is not one. p is NUL-terminated, so a
 * sequence cut short stops at the NUL, which is no continuation byte. */
static size_t utf8_length(const unsigned char *p)
{
	size_t n;
	unsigned min, cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, min = 0x80, cp = p[0] & 0x1fu;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, min = 0x800, cp = p[0] & 0x0fu;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, min = 0x10000, cp = p[0] & 0x07u;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3fu);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* A JSON string, or null: quotes, backslashes and control characters escaped, UTF-8 passed
 * through, and every byte that is not part of well-formed UTF-8 (a -N name in Latin-1, say)
 * replaced by U+FFFD, so that the line stays valid JSON. */
static void json_string(FILE *out, const char *str)
{
	const unsigned char *p;

	if (!str) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (p = (const unsigned char *)str; *p;) {
		size_t n = utf8_length(p);

		if (n == 0) {
			fputs("\\ufffd", out);
			p++;
			continue;
		}
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p == '\t')
			fputs("\\t", out);
		else if (*p == '\r')
			fputs("\\r", out);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\u%04x", *p);
		else
			fwrite(p, 1, n, out);
		p += n;
	}
	fputc('"', out);
}

/* The shorter of %.15g and %.17g that reads back exactly, always with a '.' or an exponent;
 * 0.0 for NaN and Inf. */
static void json_number(FILE *out, double v)
{
	char buf[40], *p;

	v = finite_or_zero(v);
	snprintf(buf, sizeof(buf), "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, sizeof(buf), "%.17g", v);
	for (p = buf; *p; p++)
		if (*p == ',')
			*p = '.'; /* a locale with a decimal comma */
	fputs(buf, out);
	if (!strpbrk(buf, ".e"))
		fputs(".0", out); /* stays a floating-point number to typed parsers */
}

static void json_key_number(FILE *out, const char *key, double v)
{
	fprintf(out, ",\"%s\":", key);
	json_number(out, v);
}

void tp_summary_print_json(FILE *out, const struct tp_summary *s)
{
	char sentence[160];
	double secs = finite_or_zero(s->seconds);

	tp_summary_bottleneck(sentence, sizeof(sentence), s);
	fputs("{\"name\":", out);
	json_string(out, s->name);
	fputs(",\"engine\":", out);
	json_string(out, s->engine);
	fprintf(out, ",\"bytes\":%llu", (unsigned long long)s->bytes);
	json_key_number(out, "seconds", secs);
	json_key_number(out, "rate_avg", secs > 0 ? (double)s->bytes / secs : 0);
	fprintf(out, ",\"rate_limit\":%llu,\"intervals\":%llu",
		(unsigned long long)s->rate_limit, (unsigned long long)s->intervals);
	json_key_number(out, "rate_min", s->rate_min);
	json_key_number(out, "rate_max", s->rate_max);
	json_key_number(out, "rate_mean_dev", s->rate_mean_dev);
	json_key_number(out, "reader_wait_s", s->reader_wait);
	json_key_number(out, "writer_wait_s", s->writer_wait);
	json_key_number(out, "pace_wait_s", s->pace_wait);
	fprintf(out, ",\"write_calls\":%llu", (unsigned long long)s->write_calls);
	json_key_number(out, "write_latency_min_s", s->write_min);
	json_key_number(out, "write_latency_avg_s", s->write_avg);
	json_key_number(out, "write_latency_max_s", s->write_max);
	fprintf(out, ",\"ring_high_water\":%u,\"ring_depth\":%u,\"chunk_size\":%zu,\"bottleneck\":",
		s->ring_high_water, s->ring_depth, s->chunk_size);
	json_string(out, sentence);
	if (s->line_mode) { /* after the keys every summary has, as the links' are */
		fprintf(out, ",\"lines\":%llu,\"line_end\":\"%s\"", (unsigned long long)s->lines,
			s->null_lines ? "nul" : "newline");
		json_key_number(out, "line_rate_avg", secs > 0 ? (double)s->lines / secs : 0);
		fprintf(out, ",\"rate_limit_unit\":\"%s\"", s->rate_lines ? "lines" : "bytes");
	}
	if (s->n_outputs)
		fputs(",\"outputs\":[", out);
	for (unsigned i = 0; i < s->n_outputs; i++) {
		const struct tp_summary_output *o = &s->outputs[i];
		fputs(i ? ",{\"name\":" : "{\"name\":", out);
		json_string(out, o->name);
		fputs(",\"engine\":", out);
		json_string(out, o->engine);
		fprintf(out, ",\"bytes\":%llu,\"write_calls\":%llu", (unsigned long long)o->bytes,
			(unsigned long long)o->write_calls);
		json_key_number(out, "writer_wait_s", o->writer_wait);
		fputs(",\"dropped\":", out);
		json_string(out, o->dropped);
		fputc('}', out);
	}
	if (s->n_outputs)
		fputc(']', out);
	tp_summary_print_link_json(out, s);
	fputs("}\n", out);
}
