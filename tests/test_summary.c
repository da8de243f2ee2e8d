/* The final statistics: rate spread, the bottleneck sentence, text lines, and JSON read back
 * through a real parser (json-c). */
#include "config.h"

#include <check.h>
#include "unit.h"
#include <json-c/json.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "summary.h"

static struct tp_summary sample(void)
{
	struct tp_summary s = {
		.name = NULL, .engine = "io_uring", .bytes = 1610612736, .seconds = 12.3,
		.rate_limit = 0, .intervals = 12, .rate_min = 98.0 * 1048576,
		.rate_max = 140.0 * 1048576, .rate_mean_dev = 5.2 * 1048576,
		.reader_wait = 0.12, .writer_wait = 10.1, .pace_wait = 0,
		.write_calls = 1536, .write_min = 12e-6, .write_avg = 0.31e-3, .write_max = 4.2e-3,
		.ring_high_water = 3, .ring_depth = 16, .chunk_size = 1 << 20,
	};
	return s;
}

/* Everything print_text or print_json wrote, NUL-terminated; the caller frees it. */
static char *render(void (*print)(FILE *, const struct tp_summary *), const struct tp_summary *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	print(f, s);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

START_TEST(test_rate_track_growth)
{
	struct tp_rate_track t = { 0 };
	struct tp_summary s = { 0 };
	size_t i;

	for (i = 0; i < 5000; i++)
		ck_assert_int_eq(tp_rate_track_add(&t, (double)i), 0);
	ck_assert_uint_eq(t.n, 5000);
	ck_assert_uint_ge(t.cap, 5000);
	for (i = 0; i < 5000; i++)
		ck_assert(t.rates[i] == (double)i);
	tp_summary_set_rates(&s, &t);
	ck_assert_uint_eq(s.intervals, 5000);
	ck_assert(s.rate_min == 0 && s.rate_max == 4999);
	ck_assert(s.rate_mean_dev == 1250); /* uniform 0..4999: mean 2499.5, deviation n/4 */
	tp_rate_track_free(&t);
	ck_assert_ptr_null(t.rates);
	ck_assert_uint_eq(t.n, 0);
	ck_assert_uint_eq(t.cap, 0);
	tp_rate_track_free(&t); /* twice is harmless */
}
END_TEST

START_TEST(test_rate_spread_exact)
{
	static const double r[] = { 30, 10, 40, 20 };
	struct tp_rate_track t = { 0 };
	struct tp_summary s = { 0 };
	size_t i;

	for (i = 0; i < 4; i++)
		ck_assert_int_eq(tp_rate_track_add(&t, r[i]), 0);
	tp_summary_set_rates(&s, &t);
	ck_assert_uint_eq(s.intervals, 4);
	ck_assert(s.rate_min == 10 && s.rate_max == 40);
	ck_assert(s.rate_mean_dev == 10); /* mean 25: (5 + 15 + 15 + 5) / 4 */
	tp_rate_track_free(&t);

	ck_assert_int_eq(tp_rate_track_add(&t, 7), 0); /* one sample: no spread */
	tp_summary_set_rates(&s, &t);
	ck_assert(s.intervals == 1 && s.rate_min == 7 && s.rate_max == 7 && s.rate_mean_dev == 0);
	tp_rate_track_free(&t);

	s.rate_min = s.rate_max = s.rate_mean_dev = 99; /* none: all cleared */
	tp_summary_set_rates(&s, &t);
	ck_assert(s.intervals == 0 && s.rate_min == 0 && s.rate_max == 0 && s.rate_mean_dev == 0);
}
END_TEST

static const char *bottleneck(double seconds, double reader, double writer, double pace,
			      uint64_t limit)
{
	static char buf[160];
	struct tp_summary s = { .seconds = seconds, .reader_wait = reader, .writer_wait = writer,
				.pace_wait = pace, .rate_limit = limit };
	size_t n = tp_summary_bottleneck(buf, sizeof(buf), &s);

	ck_assert_uint_eq(n, strlen(buf));
	return buf;
}

#define BALANCED "balanced: neither side waited more than 10 % of the time"

START_TEST(test_bottleneck)
{
	ck_assert_str_eq(bottleneck(10, 9.3, 0.2, 0, 0),
			 "output-bound: waited for the consumer 93 % of the time");
	ck_assert_str_eq(bottleneck(10, 0.5, 8.8, 0, 0),
			 "input-bound: waited for the producer 88 % of the time");
	ck_assert_str_eq(bottleneck(10, 0, 0.3, 9.7, 20000000),
			 "rate-limited: held to 20.0 MB/s 97 % of the time");
	ck_assert_str_eq(bottleneck(10, 0, 0, 5, 1500), "rate-limited: held to 1.50 kB/s 50 % of the time");
	ck_assert_str_eq(bottleneck(10, 0, 0, 5, 999), "rate-limited: held to 999 B/s 50 % of the time");
	ck_assert_str_eq(bottleneck(10, 0, 0, 5, 2500000000ULL),
			 "rate-limited: held to 2.50 GB/s 50 % of the time");
	/* the largest fraction wins */
	ck_assert_str_eq(bottleneck(10, 3, 4, 2, 1000), "input-bound: waited for the producer 40 % of the time");
	ck_assert_str_eq(bottleneck(10, 4, 3, 2, 1000), "output-bound: waited for the consumer 40 % of the time");
	/* the 10 % threshold, on both sides of it */
	ck_assert_str_eq(bottleneck(10, 1.0, 0, 0, 0), "output-bound: waited for the consumer 10 % of the time");
	ck_assert_str_eq(bottleneck(3, 0, 0.3, 0, 0), "input-bound: waited for the producer 10 % of the time");
	ck_assert_str_eq(bottleneck(10, 0.99, 0.5, 0.9, 1000), BALANCED);
	ck_assert_str_eq(bottleneck(10, 0, 0, 0, 0), BALANCED);
	/* no division by zero, clamped, nonsense ignored */
	ck_assert_str_eq(bottleneck(0, 5, 5, 5, 0), BALANCED);
	ck_assert_str_eq(bottleneck(-1, 5, 5, 5, 0), BALANCED);
	ck_assert_str_eq(bottleneck(NAN, 5, 5, 5, 0), BALANCED);
	ck_assert_str_eq(bottleneck(10, 0, 25, 0, 0), "input-bound: waited for the producer 100 % of the time");
	ck_assert_str_eq(bottleneck(10, -5, NAN, INFINITY, 0), BALANCED);
}
END_TEST

START_TEST(test_bottleneck_truncated)
{
	char buf[8];
	struct tp_summary s = { .seconds = 10, .reader_wait = 9 };
	size_t n = tp_summary_bottleneck(buf, sizeof(buf), &s);

	ck_assert_uint_eq(n, strlen("output-bound: waited for the consumer 90 % of the time"));
	ck_assert_str_eq(buf, "output-");
}
END_TEST

/* Every line of text starts with want; returns the number of lines. */
static int check_lines(const char *text, const char *want)
{
	int lines = 0;
	const char *p = text;

	ck_assert(strlen(text) > 0 && text[strlen(text) - 1] == '\n');
	while (*p) {
		const char *nl = strchr(p, '\n');

		ck_assert_msg(strncmp(p, want, strlen(want)) == 0, "line lacks '%s': %.*s", want,
			      (int)(nl - p), p);
		lines++;
		p = nl + 1;
	}
	return lines;
}

START_TEST(test_text)
{
	struct tp_summary s = sample();
	char *t = render(tp_summary_print_text, &s);

	ck_assert_int_eq(check_lines(t, "tpipe: "), 6);
	ck_assert_ptr_nonnull(strstr(t, "tpipe: 1.50 GiB (1610612736 bytes) in 12.3 s, 125 MiB/s average\n"));
	ck_assert_ptr_nonnull(strstr(t, "\ntpipe: per-interval rate: min 98.0 MiB/s, max 140 MiB/s, "
				       "mean deviation 5.20 MiB/s (12 intervals)\n"));
	ck_assert_ptr_nonnull(strstr(t, "\ntpipe: waited: reader for a free chunk 120 ms, "
				       "writer for data 10.1 s, pacing 0 s\n"));
	ck_assert_ptr_nonnull(strstr(t, "\ntpipe: writes: 1536 calls, latency min 12.0 us / avg 310 us / "
				       "max 4.20 ms; engine io_uring\n"));
	ck_assert_ptr_nonnull(strstr(t, "\ntpipe: ring: high-water 3 of 16 chunks of 1.00 MiB\n"));
	ck_assert_ptr_nonnull(strstr(t, "\ntpipe: bottleneck: input-bound: waited for the producer 82 % of the time\n"));
	ck_assert_ptr_null(strstr(t, "limit"));
	free(t);

	/* a name on every line, a rate limit, no intervals, no writes, no time */
	s.name = "disk";
	s.rate_limit = 20000000;
	s.intervals = 0;
	s.write_calls = 0;
	s.seconds = 0;
	t = render(tp_summary_print_text, &s);
	ck_assert_int_eq(check_lines(t, "tpipe: disk: "), 5);
	ck_assert_ptr_nonnull(strstr(t, "tpipe: disk: 1.50 GiB (1610612736 bytes) in 0 s, 0 B/s average, "
				       "limit 20.0 MB/s\n"));
	ck_assert_ptr_null(strstr(t, "per-interval"));
	ck_assert_ptr_nonnull(strstr(t, "\ntpipe: disk: writes: 0 calls; engine io_uring\n"));
	ck_assert_ptr_nonnull(strstr(t, "\ntpipe: disk: bottleneck: " BALANCED "\n"));
	ck_assert_ptr_null(strstr(t, "nan"));
	free(t);

	/* a name with a newline cannot break the one-line-per-figure shape */
	s.name = "a\nb";
	t = render(tp_summary_print_text, &s);
	ck_assert_int_eq(check_lines(t, "tpipe: a?b: "), 5);
	free(t);
}
END_TEST

/* Parses the JSON, checking it is exactly one line; the caller puts the object. */
static json_object *parse(const struct tp_summary *s)
{
	char *t = render(tp_summary_print_json, s);
	json_object *o;

	ck_assert_ptr_eq(strchr(t, '\n'), t + strlen(t) - 1);
	o = json_tokener_parse(t);
	ck_assert_msg(o != NULL, "not JSON: %s", t);
	ck_assert_int_eq(json_object_get_type(o), json_type_object);
	free(t);
	return o;
}

static json_object *get(json_object *o, const char *key, json_type type)
{
	json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no key %s", key);
	ck_assert_msg(json_object_get_type(v) == type, "%s has type %s", key,
		      json_type_to_name(json_object_get_type(v)));
	return v;
}

static void eq_int(json_object *o, const char *key, int64_t want)
{
	ck_assert_int_eq(json_object_get_int64(get(o, key, json_type_int)), want);
}

static void eq_double(json_object *o, const char *key, double want)
{
	double got = json_object_get_double(get(o, key, json_type_double));

	ck_assert_msg(got == want, "%s: %.17g, want %.17g", key, got, want);
}

START_TEST(test_json_keys)
{
	struct tp_summary s = sample();
	json_object *o;

	s.rate_limit = 150000000;
	o = parse(&s);
	ck_assert_int_eq(json_object_object_length(o), 21);
	get(o, "name", json_type_null);
	ck_assert_str_eq(json_object_get_string(get(o, "engine", json_type_string)), "io_uring");
	eq_int(o, "bytes", 1610612736);
	eq_double(o, "seconds", 12.3);
	eq_double(o, "rate_avg", 1610612736 / 12.3);
	eq_int(o, "rate_limit", 150000000);
	eq_int(o, "intervals", 12);
	eq_double(o, "rate_min", 98.0 * 1048576);
	eq_double(o, "rate_max", 140.0 * 1048576);
	eq_double(o, "rate_mean_dev", 5.2 * 1048576);
	eq_double(o, "reader_wait_s", 0.12);
	eq_double(o, "writer_wait_s", 10.1);
	eq_double(o, "pace_wait_s", 0);
	eq_int(o, "write_calls", 1536);
	eq_double(o, "write_latency_min_s", 12e-6);
	eq_double(o, "write_latency_avg_s", 0.31e-3);
	eq_double(o, "write_latency_max_s", 4.2e-3);
	eq_int(o, "ring_high_water", 3);
	eq_int(o, "ring_depth", 16);
	eq_int(o, "chunk_size", 1 << 20);
	ck_assert_str_eq(json_object_get_string(get(o, "bottleneck", json_type_string)),
			 "input-bound: waited for the producer 82 % of the time");
	json_object_put(o);
}
END_TEST

START_TEST(test_json_names)
{
	static const char *const names[] = {
		"plain", "say \"hi\"", "back\\slash", "new\nline", "tab\there", "ctl\x01\x1f\x7f",
		"caf\xc3\xa9 \xe2\x9c\x93", "\"", "\\", "", "/ end\r",
	};
	struct tp_summary s = sample();
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		json_object *o;

		s.name = names[i];
		o = parse(&s);
		ck_assert_str_eq(json_object_get_string(get(o, "name", json_type_string)), names[i]);
		json_object_put(o);
	}
}
END_TEST

/* A name that is not UTF-8 (Latin-1, a cut sequence, an overlong form, a surrogate) must
 * not make the line invalid JSON: each bad byte becomes U+FFFD, good UTF-8 stays. */
START_TEST(test_json_names_not_utf8)
{
	static const char *const names[][2] = {
		{ "caf\xe9", "caf\xef\xbf\xbd" },                     /* Latin-1 */
		{ "cut \xe2\x9c", "cut \xef\xbf\xbd\xef\xbf\xbd" },  /* a sequence cut short */
		{ "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },            /* overlong '/' */
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* a surrogate */
		{ "\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* > U+10FFFF */
		{ "\xff\xfe ok \xf0\x9f\x98\x80", "\xef\xbf\xbd\xef\xbf\xbd ok \xf0\x9f\x98\x80" },
	};
	struct tp_summary s = sample();

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		s.name = names[i][0];
		char *t = render(tp_summary_print_json, &s);
		struct json_tokener *tok = json_tokener_new();
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
		json_object *o = json_tokener_parse_ex(tok, t, (int)strlen(t) - 1);
		ck_assert_msg(o != NULL, "name %zu: not valid JSON: %s", i, t);
		ck_assert_str_eq(json_object_get_string(get(o, "name", json_type_string)), names[i][1]);
		json_object_put(o);
		json_tokener_free(tok);
		free(t);
	}
}
END_TEST

START_TEST(test_json_no_nan)
{
	struct tp_summary s = { .engine = "write", .bytes = 0, .seconds = 0,
				.rate_min = NAN, .rate_max = INFINITY, .rate_mean_dev = -INFINITY,
				.reader_wait = NAN, .write_avg = NAN };
	json_object *o = parse(&s);

	eq_double(o, "seconds", 0);
	eq_double(o, "rate_avg", 0);
	eq_double(o, "rate_min", 0);
	eq_double(o, "rate_max", 0);
	eq_double(o, "rate_mean_dev", 0);
	eq_double(o, "reader_wait_s", 0);
	eq_double(o, "write_latency_avg_s", 0);
	eq_int(o, "write_calls", 0);
	ck_assert_str_eq(json_object_get_string(get(o, "bottleneck", json_type_string)), BALANCED);
	json_object_put(o);

	s.seconds = NAN; /* bytes over NaN seconds is no rate either */
	s.bytes = 100;
	o = parse(&s);
	eq_double(o, "seconds", 0);
	eq_double(o, "rate_avg", 0);
	json_object_put(o);

	s.seconds = 2; /* whole numbers of seconds stay floating point */
	o = parse(&s);
	eq_double(o, "seconds", 2);
	eq_double(o, "rate_avg", 50);
	json_object_put(o);
}
END_TEST

/* ---- links: udp://, --repeat, -D ----------------------------------------------------- */

static const char *const link_keys[] = {
	"datagrams_sent", "send_retries", "refused", "repeat", "chunk_copies", "kernel_drops", "rx",
};

static void absent(json_object *o, const char *key)
{
	ck_assert_msg(!json_object_object_get_ex(o, key, NULL), "key %s present", key);
}

static void eq_uint(json_object *o, const char *key, uint64_t want)
{
	json_object *v = get(o, key, json_type_int);

	ck_assert_msg(json_object_get_uint64(v) == want, "%s: %llu, want %llu", key,
		      (unsigned long long)json_object_get_uint64(v), (unsigned long long)want);
}

static void eq_bool(json_object *o, const char *key, bool want)
{
	ck_assert_int_eq(json_object_get_boolean(get(o, key, json_type_boolean)), want);
}

/* Distinct figures in every field, so a swapped pair shows. */
static struct tp_rx_stats sample_rx(void)
{
	struct tp_rx_stats rx = {
		.frames = 1001, .garbage_bytes = 1002, .duplicates = 1003, .reordered = 1004,
		.lost_frames = 1005, .lost_bytes = 1006, .gaps = 1007, .zero_bytes = 1008,
		.restarts = 1009, .stale = 1010, .bytes_out = 1011, .end_seen = true,
		.digest_ok = false, .total = 99999, .after_end = 1012,
	};

	for (int i = 1; i < TP_FRAME_NERRORS; i++)
		rx.corrupt[i] = 10 + (uint64_t)i;
	for (int i = 0; i < TP_CONFLICT_N; i++)
		rx.conflicts[i] = 20 + (uint64_t)i;
	return rx;
}

START_TEST(test_link_json_absent)
{
	struct tp_summary s = sample();
	json_object *o = parse(&s);

	for (size_t i = 0; i < sizeof(link_keys) / sizeof(link_keys[0]); i++)
		absent(o, link_keys[i]);
	json_object_put(o);

	/* udp_in with no drops still says so: 0 is a figure, not an absence */
	s.udp_in = true;
	o = parse(&s);
	ck_assert_int_eq(json_object_object_length(o), 23);
	eq_uint(o, "kernel_drops", 0);
	eq_uint(o, "foreign_datagrams", 0);
	absent(o, "datagrams_sent");
	absent(o, "repeat");
	absent(o, "rx");
	json_object_put(o);
}
END_TEST

START_TEST(test_link_json_udp_repeat)
{
	struct tp_summary s = sample();
	json_object *o;

	s.udp_out = true;
	s.datagrams = 123456;
	s.send_retries = 7;
	s.refused = 2;
	o = parse(&s);
	ck_assert_int_eq(json_object_object_length(o), 24);
	eq_uint(o, "datagrams_sent", 123456);
	eq_uint(o, "send_retries", 7);
	eq_uint(o, "refused", 2);
	absent(o, "repeat");
	absent(o, "chunk_copies");
	absent(o, "kernel_drops");
	absent(o, "rx");
	json_object_put(o);

	s.udp_out = false;
	s.repeat = 3;
	s.copies = 99;
	o = parse(&s);
	ck_assert_int_eq(json_object_object_length(o), 23);
	eq_uint(o, "repeat", 3);
	eq_uint(o, "chunk_copies", 99);
	absent(o, "datagrams_sent");
	json_object_put(o);

	s.repeat = 0; /* copies without --repeat: not printed */
	o = parse(&s);
	absent(o, "repeat");
	absent(o, "chunk_copies");
	json_object_put(o);

	s.udp_in = true;
	s.kernel_drops = 17;
	s.foreign_datagrams = 4;
	o = parse(&s);
	ck_assert_int_eq(json_object_object_length(o), 23);
	eq_uint(o, "foreign_datagrams", 4);
	eq_uint(o, "kernel_drops", 17);
	json_object_put(o);

	/* the largest counters survive the round trip */
	s.udp_out = true;
	s.datagrams = UINT64_MAX;
	s.kernel_drops = (uint64_t)1 << 63;
	o = parse(&s);
	eq_uint(o, "datagrams_sent", UINT64_MAX);
	eq_uint(o, "kernel_drops", (uint64_t)1 << 63);
	json_object_put(o);
}
END_TEST

START_TEST(test_link_json_rx)
{
	static const char *const reasons[] = { "short", "magic", "version", "length", "crc",
					       "type", "cobs" };
	struct tp_summary s = sample();
	struct tp_rx_stats rx = sample_rx();
	json_object *o, *r, *c;

	ck_assert_int_eq(TP_FRAME_NERRORS - 1, 7);
	s.rx = &rx;
	o = parse(&s);
	ck_assert_int_eq(json_object_object_length(o), 22);
	absent(o, "datagrams_sent");
	absent(o, "kernel_drops");
	r = get(o, "rx", json_type_object);
	ck_assert_int_eq(json_object_object_length(r), 32);
	eq_uint(r, "other_session", 0);
	eq_uint(r, "stray", 0);
	eq_uint(r, "not_authentic", 0);
	eq_uint(r, "replayed", 0);
	eq_uint(r, "sealed_no_key", 0);
	eq_uint(r, "fec_k", 0);
	eq_uint(r, "fec_repaired", 0);
	eq_uint(r, "frames", 1001);
	static const char *const conflicts[] = { "too_long", "past_total", "out_of_line",
						 "overlap", "end", "meta" };
	ck_assert_int_eq(TP_CONFLICT_N, 6);
	c = get(r, "conflicting", json_type_object);
	ck_assert_int_eq(json_object_object_length(c), 6);
	for (int i = 0; i < 6; i++) {
		ck_assert_str_eq(tp_track_conflict_name((enum tp_track_conflict)i), conflicts[i]);
		eq_uint(c, conflicts[i], 20 + (uint64_t)i);
	}
	eq_uint(r, "after_end", 1012);
	c = get(r, "corrupt", json_type_object);
	ck_assert_int_eq(json_object_object_length(c), 7);
	for (int i = 0; i < 7; i++) {
		ck_assert_str_eq(tp_frame_error_name((enum tp_frame_error)(i + 1)), reasons[i]);
		eq_uint(c, reasons[i], 11 + (uint64_t)i);
	}
	eq_uint(r, "garbage_bytes", 1002);
	eq_uint(r, "duplicates", 1003);
	eq_uint(r, "reordered", 1004);
	eq_uint(r, "lost_frames", 1005);
	eq_uint(r, "lost_bytes", 1006);
	eq_uint(r, "gaps", 1007);
	eq_uint(r, "zero_bytes", 1008);
	eq_uint(r, "restarts", 1009);
	eq_uint(r, "stale", 1010);
	eq_uint(r, "verified_bytes", 1011);
	eq_bool(r, "end_seen", true);
	eq_bool(r, "digest_ok", false);
	json_object_put(o);

	/* all zero: every key still there */
	memset(&rx, 0, sizeof(rx));
	rx.digest_ok = true;
	o = parse(&s);
	r = get(o, "rx", json_type_object);
	ck_assert_int_eq(json_object_object_length(r), 32);
	eq_uint(r, "other_session", 0);
	eq_uint(r, "stray", 0);
	eq_uint(r, "not_authentic", 0);
	eq_uint(r, "sealed_no_key", 0);
	eq_uint(r, "fec_k", 0);
	eq_uint(r, "fec_repaired", 0);
	c = get(r, "corrupt", json_type_object);
	for (int i = 0; i < 7; i++)
		eq_uint(c, reasons[i], 0);
	eq_uint(r, "verified_bytes", 0);
	eq_bool(r, "end_seen", false);
	eq_bool(r, "digest_ok", true);
	json_object_put(o);

	/* every link figure at once, with a name */
	rx = sample_rx();
	rx.lost_bytes = UINT64_MAX - 1;
	s.name = "link \"1\"";
	s.udp_out = s.udp_in = true;
	s.repeat = 1;
	o = parse(&s);
	ck_assert_int_eq(json_object_object_length(o), 29);
	for (size_t i = 0; i < sizeof(link_keys) / sizeof(link_keys[0]); i++)
		ck_assert_msg(json_object_object_get_ex(o, link_keys[i], NULL), "no key %s", link_keys[i]);
	ck_assert_str_eq(json_object_get_string(get(o, "name", json_type_string)), "link \"1\"");
	eq_uint(get(o, "rx", json_type_object), "lost_bytes", UINT64_MAX - 1);
	json_object_put(o);
}
END_TEST

START_TEST(test_link_text)
{
	struct tp_summary s = sample();
	struct tp_rx_stats rx = { 0 };
	char *t;

	/* none: no link lines */
	t = render(tp_summary_print_text, &s);
	ck_assert_int_eq(check_lines(t, "tpipe: "), 6);
	ck_assert_ptr_null(strstr(t, "udp:"));
	ck_assert_ptr_null(strstr(t, "frames:"));
	free(t);

	s.udp_out = true;
	s.datagrams = 123456;
	s.send_retries = 7;
	s.refused = 2;
	s.repeat = 3;
	s.copies = 99;
	s.udp_in = true;
	s.kernel_drops = 5;
	t = render(tp_summary_print_text, &s);
	ck_assert_int_eq(check_lines(t, "tpipe: "), 9);
	ck_assert_ptr_nonnull(strstr(t, "\ntpipe: udp: 123456 datagrams sent, 7 retries after ENOBUFS, "
				       "2 refused (nobody listening)\n"));
	ck_assert_ptr_nonnull(strstr(t, "\ntpipe: repeat: every frame sent 3 more times (99 chunk copies)\n"));
	ck_assert_ptr_nonnull(strstr(t, "\ntpipe: udp: the kernel dropped 5 datagrams for want of buffer\n"));
	/* the bottleneck stays the last line */
	ck_assert_ptr_nonnull(strstr(t, "for want of buffer\ntpipe: bottleneck: "));
	ck_assert_ptr_null(strstr(t, "frames:"));
	free(t);

	s.repeat = 1;
	s.kernel_drops = 1;
	t = render(tp_summary_print_text, &s);
	ck_assert_ptr_nonnull(strstr(t, "\ntpipe: repeat: every frame sent 1 more time (99 chunk copies)\n"));
	ck_assert_ptr_nonnull(strstr(t, "\ntpipe: udp: the kernel dropped 1 datagram for want of buffer\n"));
	ck_assert_ptr_null(strstr(t, "--peer"));
	free(t);
	s.foreign_datagrams = 3;
	t = render(tp_summary_print_text, &s);
	ck_assert_ptr_nonnull(strstr(t, "\ntpipe: udp: 3 datagrams from senders other than --peer, dropped\n"));
	free(t);
	s.foreign_datagrams = 0;

	/* --key-file: the sealed line, with its count; sealed frames and no key: another */
	struct tp_summary k = sample();
	struct tp_rx_stats krx = sample_rx();
	k.rx = &krx;
	krx.sealed = true;
	krx.not_authentic = 1;
	krx.replayed = 4;
	krx.opened_xchacha = true;
	t = render(tp_summary_print_text, &k);
	ck_assert_ptr_nonnull(strstr(t, "\ntpipe: sealed: XChaCha20-Poly1305; 1 frame not authentic, "
				     "dropped; 4 of a run that began before the current one (replayed), ignored\n"));
	free(t);
	krx.opened_aes = true;
	t = render(tp_summary_print_text, &k);
	ck_assert_ptr_nonnull(strstr(t, "\ntpipe: sealed: AES-256-GCM and XChaCha20-Poly1305; 1 frame"));
	free(t);
	krx.opened_aes = krx.opened_xchacha = false;
	krx.sealed = false;
	krx.sealed_no_key = 9;
	t = render(tp_summary_print_text, &k);
	ck_assert_ptr_nonnull(strstr(t, "\ntpipe: sealed: 9 sealed frames and no --key-file to open them\n"));
	free(t);

	/* -D: three lines, clean run, no END */
	s = sample();
	s.name = "rx";
	s.rx = &rx;
	rx.frames = 42;
	rx.bytes_out = 4096;
	t = render(tp_summary_print_text, &s);
	ck_assert_int_eq(check_lines(t, "tpipe: rx: "), 10);
	ck_assert_ptr_nonnull(strstr(t, "\ntpipe: rx: frames: 42 verified, 0 corrupt, 0 contradicting, "
				       "0 duplicates, 0 reordered, 0 garbage bytes between frames\n"));
	ck_assert_ptr_nonnull(strstr(t, "\ntpipe: rx: lost: 0 frames, 0 bytes in 0 gaps; "
				       "0 sender restarts, 0 stale frames, 0 after the end\n"));
	ck_assert_ptr_nonnull(strstr(t, "\ntpipe: rx: stream: no END frame seen: completeness unknown\n"));
	ck_assert_ptr_nonnull(strstr(t, "\ntpipe: rx: sessions: frames of another session: 0, ignored; "
				       "0 stray frames of one that never began, given up\n"));
	ck_assert_ptr_null(strstr(t, "sealed:"));
	free(t);

	/* corrupt reasons named when non-zero, zeros written, END and digest */
	rx.corrupt[TP_FRAME_ERR_CRC] = 2;
	rx.corrupt[TP_FRAME_ERR_COBS] = 1;
	rx.duplicates = 3;
	rx.reordered = 4;
	rx.garbage_bytes = 5;
	rx.lost_frames = 6;
	rx.lost_bytes = 7;
	rx.gaps = 1;
	rx.zero_bytes = 7;
	rx.restarts = 1;
	rx.stale = 8;
	rx.conflicts[TP_CONFLICT_OUT_OF_LINE] = 2;
	rx.conflicts[TP_CONFLICT_END] = 1;
	rx.after_end = 9;
	rx.end_seen = true;
	rx.digest_ok = true;
	t = render(tp_summary_print_text, &s);
	ck_assert_int_eq(check_lines(t, "tpipe: rx: "), 10);
	ck_assert_ptr_nonnull(strstr(t, "\ntpipe: rx: frames: 42 verified, 3 corrupt (crc 2) (cobs 1), "
				       "3 contradicting (out_of_line 2) (end 1), "
				       "3 duplicates, 4 reordered, 5 garbage bytes between frames\n"));
	ck_assert_ptr_nonnull(strstr(t, "\ntpipe: rx: lost: 6 frames, 7 bytes in 1 gap "
				       "(7 zero bytes written in their place); 1 sender restart, "
				       "8 stale frames, 9 after the end\n"));
	ck_assert_ptr_nonnull(strstr(t, "\ntpipe: rx: stream: END seen, whole-stream digest verified\n"));
	ck_assert_ptr_nonnull(strstr(t, "stream: END seen, whole-stream digest verified\n"
				       "tpipe: rx: bottleneck: "));
	free(t);

	rx.digest_ok = false;
	t = render(tp_summary_print_text, &s);
	ck_assert_ptr_nonnull(strstr(t, "\ntpipe: rx: stream: END seen, digest not verified "
				       "(data missing or different)\n"));
	free(t);
}
END_TEST

/* -l: a line with the lines (and their terminator) after the amount; a limit in lines said
 * as such, in the first line and in the bottleneck. */
START_TEST(test_lines_text)
{
	struct tp_summary s = sample();
	char *t;

	s.line_mode = true;
	s.lines = 246;
	s.seconds = 2.0;
	s.pace_wait = 1.9;
	s.writer_wait = 0.05;
	s.rate_limit = 100;
	s.rate_lines = true;
	t = render(tp_summary_print_text, &s);
	ck_assert_int_eq(check_lines(t, "tpipe: "), 7);
	ck_assert_ptr_nonnull(strstr(t, " average, limit 100 lines/s\ntpipe: lines: 246 "
				       "(newline-terminated), 123.0 lines/s average\n"));
	ck_assert_ptr_nonnull(strstr(t, "bottleneck: rate-limited: held to 100 lines/s 95 % of "
				       "the time\n"));
	free(t);

	s.null_lines = true;
	s.rate_lines = false; /* -0 with a pace in bytes (a serial line's own) */
	s.rate_limit = 11520;
	t = render(tp_summary_print_text, &s);
	ck_assert_ptr_nonnull(strstr(t, "limit 11.5 kB/s\ntpipe: lines: 246 (NUL-terminated)"));
	free(t);

	s.line_mode = false; /* without -l: no line, as before */
	t = render(tp_summary_print_text, &s);
	ck_assert_ptr_null(strstr(t, "lines"));
	free(t);
}
END_TEST

START_TEST(test_lines_json)
{
	struct tp_summary s = sample();
	json_object *o;

	s.line_mode = true;
	s.lines = 246;
	s.seconds = 2.0;
	s.rate_limit = 100;
	s.rate_lines = true;
	o = parse(&s);
	ck_assert_int_eq(json_object_object_length(o), 25);
	eq_int(o, "lines", 246);
	eq_double(o, "line_rate_avg", 123.0);
	ck_assert_str_eq(json_object_get_string(get(o, "line_end", json_type_string)), "newline");
	ck_assert_str_eq(json_object_get_string(get(o, "rate_limit_unit", json_type_string)),
			 "lines");
	eq_int(o, "rate_limit", 100);
	json_object_put(o);

	s.null_lines = true;
	s.rate_lines = false;
	o = parse(&s);
	ck_assert_str_eq(json_object_get_string(get(o, "line_end", json_type_string)), "nul");
	ck_assert_str_eq(json_object_get_string(get(o, "rate_limit_unit", json_type_string)),
			 "bytes");
	json_object_put(o);

	s.line_mode = false;
	o = parse(&s);
	ck_assert_int_eq(json_object_object_length(o), 21);
	absent(o, "lines");
	absent(o, "rate_limit_unit");
	json_object_put(o);
}
END_TEST

static Suite *summary_suite(void)
{
	Suite *su = suite_create("summary");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_rate_track_growth);
	tcase_add_test(tc, test_rate_spread_exact);
	tcase_add_test(tc, test_bottleneck);
	tcase_add_test(tc, test_bottleneck_truncated);
	tcase_add_test(tc, test_text);
	tcase_add_test(tc, test_json_keys);
	tcase_add_test(tc, test_json_names);
	tcase_add_test(tc, test_json_names_not_utf8);
	tcase_add_test(tc, test_json_no_nan);
	tcase_add_test(tc, test_link_json_absent);
	tcase_add_test(tc, test_link_json_udp_repeat);
	tcase_add_test(tc, test_link_json_rx);
	tcase_add_test(tc, test_link_text);
	tcase_add_test(tc, test_lines_text);
	tcase_add_test(tc, test_lines_json);
	suite_add_tcase(su, tc);
	return su;
}

int main(void)
{
	return tp_unit_run(summary_suite());
}
