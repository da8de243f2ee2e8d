/* The final statistics: rate spread, the bottleneck sentence, text lines, and JSON read back
 * through a real parser (json-c). */
#include "config.h"

#include <check.h>
#include "unit.h"
#include <json-c/json.h>
#include <math.h>
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
	tcase_add_test(tc, test_json_no_nan);
	suite_add_tcase(su, tc);
	return su;
}

int main(void)
{
	return tp_unit_run(summary_suite());
}
