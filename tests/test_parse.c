#include "config.h"

#include <check.h>
#include "unit.h"
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "parse.h"

#define SENTINEL UINT64_C(0xdeadbeefcafef00d)

typedef int (*parse_fn)(const char *, uint64_t *);

/* Expect success with the given value. */
static void ok(parse_fn fn, const char *text, uint64_t want)
{
	uint64_t got = SENTINEL;
	int rc = fn(text, &got);

	ck_assert_msg(rc == 0, "\"%s\": expected 0, got %d", text, rc);
	ck_assert_msg(got == want, "\"%s\": expected %llu, got %llu", text,
		      (unsigned long long)want, (unsigned long long)got);
}

/* Expect the given -errno, with the output left untouched. */
static void bad(parse_fn fn, const char *text, int want)
{
	uint64_t got = SENTINEL;
	int rc = fn(text, &got);

	ck_assert_msg(rc == want, "\"%s\": expected %d, got %d", text ? text : "(null)", want, rc);
	ck_assert_msg(got == SENTINEL, "\"%s\": output written on error", text ? text : "(null)");
}

/* Rejections shared by all three parsers. */
static const char *const malformed[] = {
	"", " 1", "1 ", "\t1", "1\n", "+5", "-5", "-0", "0x10", "12Q", "K", "1..2", ".5", ".5K",
	"5.", "5.K", "1KB", "1kb", "1 K", "1,5K", "abc", "1e3", "１",
};

/* ---- size ---- */

START_TEST(size_units)
{
	ok(tp_parse_size, "0", 0);
	ok(tp_parse_size, "00", 0);
	ok(tp_parse_size, "1", 1);
	ok(tp_parse_size, "4096", 4096);
	ok(tp_parse_size, "1K", 1024);
	ok(tp_parse_size, "1M", UINT64_C(1) << 20);
	ok(tp_parse_size, "1G", UINT64_C(1) << 30);
	ok(tp_parse_size, "1T", UINT64_C(1) << 40);
	ok(tp_parse_size, "3kB", 3000);
	ok(tp_parse_size, "3MB", 3000000);
	ok(tp_parse_size, "3GB", UINT64_C(3000000000));
	ok(tp_parse_size, "3TB", UINT64_C(3000000000000));
	ok(tp_parse_size, "0K", 0);
	ok(tp_parse_size, "0TB", 0);
}
END_TEST

START_TEST(size_fractions)
{
	ok(tp_parse_size, "1.5K", 1536);
	ok(tp_parse_size, "1.50K", 1536);
	ok(tp_parse_size, "0.5M", UINT64_C(1) << 19);
	ok(tp_parse_size, "2.25G", UINT64_C(9) << 28);
	ok(tp_parse_size, "1.5kB", 1500);
	ok(tp_parse_size, "0.001kB", 1);
	ok(tp_parse_size, "1.000001MB", 1000001);
	ok(tp_parse_size, "0.25K", 256);
	ok(tp_parse_size, "0.0009765625M", 1024);       /* 2^-10 M */
	ok(tp_parse_size, "1.0", 1);                    /* whole, so fine without a suffix */
	ok(tp_parse_size, "1.0000000000000000000K", 1024); /* 19 fraction digits: the limit */
	ok(tp_parse_size, "0.0000000000000000000", 0);
	bad(tp_parse_size, "1.00000000000000000000K", -EINVAL); /* 20 fraction digits */
	bad(tp_parse_size, "1.5", -EINVAL);             /* half a byte */
	bad(tp_parse_size, "0.1K", -EINVAL);            /* 102.4 bytes */
	bad(tp_parse_size, "0.0001kB", -EINVAL);        /* 0.1 byte */
	bad(tp_parse_size, "1.0000001MB", -EINVAL);
}
END_TEST

START_TEST(size_rejects)
{
	for (size_t i = 0; i < sizeof malformed / sizeof *malformed; i++)
		bad(tp_parse_size, malformed[i], -EINVAL);
	bad(tp_parse_size, NULL, -EINVAL);
	bad(tp_parse_size, "10/s", -EINVAL);   /* only rates take /s */
	bad(tp_parse_size, "1kbit", -EINVAL);  /* only rates take bits */
	bad(tp_parse_size, "1s", -EINVAL);
	bad(tp_parse_size, "1k", -EINVAL);
	bad(tp_parse_size, "1m", -EINVAL);
	bad(tp_parse_size, "1Kb", -EINVAL);
	bad(tp_parse_size, "1KK", -EINVAL);
	bad(tp_parse_size, "1B", -EINVAL);
	/* A malformed suffix is reported as such even after an oversized number. */
	bad(tp_parse_size, "99999999999999999999Q", -EINVAL);
}
END_TEST

START_TEST(size_range)
{
	ok(tp_parse_size, "18446744073709551615", UINT64_MAX);
	ok(tp_parse_size, "000018446744073709551615", UINT64_MAX);
	bad(tp_parse_size, "18446744073709551616", -ERANGE);
	bad(tp_parse_size, "99999999999999999999", -ERANGE);
	bad(tp_parse_size, "184467440737095516150", -ERANGE);
	/* UINT64_MAX / 2^40 = 16777215.99..., and likewise down the binary suffixes. */
	ok(tp_parse_size, "16777215T", UINT64_C(16777215) << 40);
	bad(tp_parse_size, "16777216T", -ERANGE);
	ok(tp_parse_size, "17179869183G", UINT64_C(17179869183) << 30);
	bad(tp_parse_size, "17179869184G", -ERANGE);
	ok(tp_parse_size, "17592186044415M", UINT64_C(17592186044415) << 20);
	bad(tp_parse_size, "17592186044416M", -ERANGE);
	ok(tp_parse_size, "18014398509481983K", UINT64_C(18014398509481983) << 10);
	bad(tp_parse_size, "18014398509481984K", -ERANGE);
	/* Half of the last step still fits: 16777215.5T = 2^64 - 2^39. */
	ok(tp_parse_size, "16777215.5T", UINT64_MAX - (UINT64_C(1) << 39) + 1);
	/* Decimal suffixes. */
	ok(tp_parse_size, "18446744TB", UINT64_C(18446744000000000000));
	bad(tp_parse_size, "18446745TB", -ERANGE);
	ok(tp_parse_size, "18446744073709551kB", UINT64_C(18446744073709551000));
	bad(tp_parse_size, "18446744073709552kB", -ERANGE);
	/* The fraction is what tips it over: exact to the last byte. */
	ok(tp_parse_size, "18446744073709551.615kB", UINT64_MAX);
	bad(tp_parse_size, "18446744073709551.616kB", -ERANGE);
	ok(tp_parse_size, "18446744.073709551615TB", UINT64_MAX);
	bad(tp_parse_size, "18446744.073709551616TB", -ERANGE);
}
END_TEST

/* ---- rate ---- */

START_TEST(rate_units)
{
	ok(tp_parse_rate, "0", 0);
	ok(tp_parse_rate, "0/s", 0);
	ok(tp_parse_rate, "100", 100);
	ok(tp_parse_rate, "100/s", 100);
	ok(tp_parse_rate, "1K", 1024);
	ok(tp_parse_rate, "1K/s", 1024);
	ok(tp_parse_rate, "10M/s", 10 * (UINT64_C(1) << 20));
	ok(tp_parse_rate, "1G", UINT64_C(1) << 30);
	ok(tp_parse_rate, "1T/s", UINT64_C(1) << 40);
	ok(tp_parse_rate, "500kB/s", 500000);
	ok(tp_parse_rate, "2MB", 2000000);
	ok(tp_parse_rate, "2GB/s", UINT64_C(2000000000));
	ok(tp_parse_rate, "2TB", UINT64_C(2000000000000));
	ok(tp_parse_rate, "1kbit", 125);
	ok(tp_parse_rate, "1kbit/s", 125);
	ok(tp_parse_rate, "1Mbit", 125000);
	ok(tp_parse_rate, "100Mbit/s", 12500000);
	ok(tp_parse_rate, "1Gbit", 125000000);
	ok(tp_parse_rate, "10Gbit/s", UINT64_C(1250000000));
	ok(tp_parse_rate, "0kbit", 0);
}
END_TEST

START_TEST(rate_fractions)
{
	ok(tp_parse_rate, "1.5K/s", 1536);
	ok(tp_parse_rate, "1.5kB", 1500);
	ok(tp_parse_rate, "1.5kbit", 187);        /* 187.5 rounded down */
	ok(tp_parse_rate, "1.5kbit/s", 187);
	ok(tp_parse_rate, "0.001kbit", 0);        /* 1 bit/s rounds down to nothing */
	ok(tp_parse_rate, "0.008kbit", 1);
	ok(tp_parse_rate, "0.015kbit", 1);
	ok(tp_parse_rate, "2.5Mbit", 312500);
	ok(tp_parse_rate, "0.0000001Gbit", 12);   /* 12.5 */
	ok(tp_parse_rate, "1.0000000000000000001Gbit", 125000000);
	bad(tp_parse_rate, "1.5", -EINVAL);       /* byte rates still need whole bytes */
	bad(tp_parse_rate, "1.5/s", -EINVAL);
	bad(tp_parse_rate, "0.1K/s", -EINVAL);
}
END_TEST

START_TEST(rate_rejects)
{
	for (size_t i = 0; i < sizeof malformed / sizeof *malformed; i++)
		bad(tp_parse_rate, malformed[i], -EINVAL);
	bad(tp_parse_rate, NULL, -EINVAL);
	bad(tp_parse_rate, "/s", -EINVAL);
	bad(tp_parse_rate, "s", -EINVAL);
	bad(tp_parse_rate, "10/s/s", -EINVAL);
	bad(tp_parse_rate, "10/", -EINVAL);
	bad(tp_parse_rate, "10s", -EINVAL);
	bad(tp_parse_rate, "10/S", -EINVAL);
	bad(tp_parse_rate, "10 /s", -EINVAL);
	bad(tp_parse_rate, "10/s ", -EINVAL);
	bad(tp_parse_rate, "12bit", -EINVAL);
	bad(tp_parse_rate, "12bit/s", -EINVAL);
	bad(tp_parse_rate, "1Kbit", -EINVAL);
	bad(tp_parse_rate, "1mbit", -EINVAL);
	bad(tp_parse_rate, "1gbit", -EINVAL);
	bad(tp_parse_rate, "1Tbit", -EINVAL);
	bad(tp_parse_rate, "1kbps", -EINVAL);
	bad(tp_parse_rate, "1kbit/", -EINVAL);
	bad(tp_parse_rate, "-1kbit", -EINVAL);
	bad(tp_parse_rate, ".5kbit", -EINVAL);
	bad(tp_parse_rate, "5.kbit", -EINVAL);
}
END_TEST

START_TEST(rate_range)
{
	ok(tp_parse_rate, "18446744073709551615", UINT64_MAX);
	ok(tp_parse_rate, "18446744073709551615/s", UINT64_MAX);
	bad(tp_parse_rate, "18446744073709551616/s", -ERANGE);
	ok(tp_parse_rate, "16777215T/s", UINT64_C(16777215) << 40);
	bad(tp_parse_rate, "16777216T/s", -ERANGE);
	bad(tp_parse_rate, "17179869184G", -ERANGE);
	/* UINT64_MAX / 125 = 147573952589676412.92: no early overflow from multiplying by 1000. */
	ok(tp_parse_rate, "147573952589676412kbit", UINT64_C(18446744073709551500));
	ok(tp_parse_rate, "147573952589676412.92kbit/s", UINT64_MAX);
	bad(tp_parse_rate, "147573952589676412.928kbit", -ERANGE);
	bad(tp_parse_rate, "147573952589676413kbit", -ERANGE);
	ok(tp_parse_rate, "147573952589.676412Gbit", UINT64_C(18446744073709551500));
	bad(tp_parse_rate, "147573952590Gbit", -ERANGE);
	ok(tp_parse_rate, "147573952589676Mbit", UINT64_C(18446744073709500000));
	bad(tp_parse_rate, "147573952589677Mbit", -ERANGE);
}
END_TEST

/* ---- duration ---- */

START_TEST(duration_units)
{
	ok(tp_parse_duration, "0", 0);
	ok(tp_parse_duration, "0s", 0);
	ok(tp_parse_duration, "0ms", 0);
	ok(tp_parse_duration, "0m", 0);
	ok(tp_parse_duration, "1", UINT64_C(1000000000));
	ok(tp_parse_duration, "1s", UINT64_C(1000000000));
	ok(tp_parse_duration, "30s", UINT64_C(30000000000));
	ok(tp_parse_duration, "250ms", 250000000);
	ok(tp_parse_duration, "2m", UINT64_C(120000000000));
}
END_TEST

START_TEST(duration_fractions)
{
	ok(tp_parse_duration, "1.5", UINT64_C(1500000000));
	ok(tp_parse_duration, "1.5s", UINT64_C(1500000000));
	ok(tp_parse_duration, "0.5ms", 500000);
	ok(tp_parse_duration, "0.000001ms", 1);
	ok(tp_parse_duration, "0.0000015ms", 1);         /* 1.5 ns rounded down */
	ok(tp_parse_duration, "0.0000001ms", 0);
	ok(tp_parse_duration, "0.000000001", 1);
	ok(tp_parse_duration, "0.0000000019", 1);
	ok(tp_parse_duration, "1.25m", UINT64_C(75000000000));
	ok(tp_parse_duration, "0.1m", UINT64_C(6000000000));
	ok(tp_parse_duration, "0.3333333333333333333m", UINT64_C(19999999999)); /* 19 digits */
	bad(tp_parse_duration, "0.33333333333333333333m", -EINVAL);             /* 20 digits */
}
END_TEST

START_TEST(duration_rejects)
{
	for (size_t i = 0; i < sizeof malformed / sizeof *malformed; i++)
		bad(tp_parse_duration, malformed[i], -EINVAL);
	bad(tp_parse_duration, NULL, -EINVAL);
	bad(tp_parse_duration, "s", -EINVAL);
	bad(tp_parse_duration, "ms", -EINVAL);
	bad(tp_parse_duration, "1S", -EINVAL);
	bad(tp_parse_duration, "1M", -EINVAL);
	bad(tp_parse_duration, "1h", -EINVAL);
	bad(tp_parse_duration, "1us", -EINVAL);
	bad(tp_parse_duration, "1ns", -EINVAL);
	bad(tp_parse_duration, "1sec", -EINVAL);
	bad(tp_parse_duration, "1min", -EINVAL);
	bad(tp_parse_duration, "1ss", -EINVAL);
	bad(tp_parse_duration, "1 s", -EINVAL);
	bad(tp_parse_duration, "1m30s", -EINVAL);
	bad(tp_parse_duration, "1/s", -EINVAL);
	bad(tp_parse_duration, "-1s", -EINVAL);
}
END_TEST

START_TEST(duration_range)
{
	/* UINT64_MAX ns = 18446744073.709551615 s. */
	ok(tp_parse_duration, "18446744073.709551615", UINT64_MAX);
	ok(tp_parse_duration, "18446744073.709551615s", UINT64_MAX);
	ok(tp_parse_duration, "18446744073.7095516159", UINT64_MAX);  /* rounds down */
	bad(tp_parse_duration, "18446744073.709551616", -ERANGE);
	bad(tp_parse_duration, "18446744074", -ERANGE);
	ok(tp_parse_duration, "18446744073709.551615ms", UINT64_MAX);
	bad(tp_parse_duration, "18446744073709.551616ms", -ERANGE);
	bad(tp_parse_duration, "18446744073710ms", -ERANGE);
	/* UINT64_MAX / 6e10 = 307445734.56182586... minutes. */
	ok(tp_parse_duration, "307445734m", UINT64_C(18446744040000000000));
	ok(tp_parse_duration, "307445734.56182586m", UINT64_C(18446744073709551600));
	bad(tp_parse_duration, "307445734.56182587m", -ERANGE);
	bad(tp_parse_duration, "307445735m", -ERANGE);
	bad(tp_parse_duration, "18446744073709551616", -ERANGE);
}
END_TEST

/* ---- endpoints ---- */

static void endpoint_ok(const char *text, const char *want_host, unsigned want_port)
{
	char host[64];
	unsigned port = 99999;

	ck_assert_msg(tp_parse_udp_endpoint(text, host, sizeof(host), &port) == 1, "%s", text);
	ck_assert_str_eq(host, want_host);
	ck_assert_uint_eq(port, want_port);
}

START_TEST(endpoint_forms)
{
	endpoint_ok("udp://127.0.0.1:9000", "127.0.0.1", 9000);
	endpoint_ok("udp://localhost:1", "localhost", 1);
	endpoint_ok("udp://:9000", "", 9000);
	endpoint_ok("udp://[::1]:65535", "::1", 65535);
	endpoint_ok("udp://[::]:0", "::", 0);
	endpoint_ok("udp://[fe80::1%lo]:53", "fe80::1%lo", 53);
}
END_TEST

START_TEST(endpoint_rejects)
{
	char host[16];
	unsigned port;
	static const char *bad[] = {
		"udp://", "udp://host", "udp://host:", "udp://host:x1", "udp://::1:90",
		"udp://[::1]90", "udp://[]:90", "udp://[::1:90", "udp://h:-1", "udp://h: 1",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(tp_parse_udp_endpoint(bad[i], host, sizeof(host), &port) == -EINVAL,
			      "%s", bad[i]);
	ck_assert_int_eq(tp_parse_udp_endpoint("udp://h:65536", host, sizeof(host), &port), -ERANGE);
	ck_assert_int_eq(tp_parse_udp_endpoint("udp://h:000009000", host, sizeof(host), &port), -ERANGE);
	ck_assert_int_eq(tp_parse_udp_endpoint("udp://a-very-long-host-name:1", host, sizeof(host), &port),
			 -ERANGE);
	/* Not endpoints at all: paths. */
	ck_assert_int_eq(tp_parse_udp_endpoint("-", host, sizeof(host), &port), 0);
	ck_assert_int_eq(tp_parse_udp_endpoint("udp:/x:1", host, sizeof(host), &port), 0);
	ck_assert_int_eq(tp_parse_udp_endpoint("./udp://x:1", host, sizeof(host), &port), 0);
}
END_TEST

/* tcp:// takes the same forms as udp://, and neither scheme is taken for the other. */
static void tcp_ok(const char *text, const char *want_host, unsigned want_port)
{
	char host[64];
	unsigned port = 99999;

	ck_assert_msg(tp_parse_tcp_endpoint(text, host, sizeof(host), &port) == 1, "%s", text);
	ck_assert_str_eq(host, want_host);
	ck_assert_uint_eq(port, want_port);
}

START_TEST(tcp_endpoint_forms)
{
	tcp_ok("tcp://127.0.0.1:9090", "127.0.0.1", 9090);
	tcp_ok("tcp://backup.example:1", "backup.example", 1);
	tcp_ok("tcp://:9090", "", 9090);
	tcp_ok("tcp://[::1]:65535", "::1", 65535);
	tcp_ok("tcp://[::]:0", "::", 0);
}
END_TEST

START_TEST(tcp_endpoint_rejects)
{
	char host[16];
	unsigned port;
	static const char *bad[] = {
		"tcp://", "tcp://x", "tcp://x:", "tcp://host:9a", "tcp://::1:90", "tcp://[::1]",
		"tcp://[]:1",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(tp_parse_tcp_endpoint(bad[i], host, sizeof(host), &port) == -EINVAL,
			      "%s", bad[i]);
	ck_assert_int_eq(tp_parse_tcp_endpoint("tcp://h:65536", host, sizeof(host), &port), -ERANGE);
	ck_assert_int_eq(tp_parse_tcp_endpoint("udp://h:1", host, sizeof(host), &port), 0);
	ck_assert_int_eq(tp_parse_udp_endpoint("tcp://h:1", host, sizeof(host), &port), 0);
	ck_assert_int_eq(tp_parse_tcp_endpoint("tcp:/h:1", host, sizeof(host), &port), 0);
	ck_assert_int_eq(tp_parse_tcp_endpoint("TCP://h:1", host, sizeof(host), &port), 0);
}
END_TEST

/* ---- whole numbers (--repeat, --baud) ---- */

static int uint_to_1000(const char *text, uint64_t *v)
{
	return tp_parse_uint(text, 1000, v);
}

START_TEST(uint_forms)
{
	ok(uint_to_1000, "0", 0);
	ok(uint_to_1000, "7", 7);
	ok(uint_to_1000, "0015", 15);
	ok(uint_to_1000, "1000", 1000);
	for (size_t i = 0; i < sizeof malformed / sizeof *malformed; i++)
		bad(uint_to_1000, malformed[i], -EINVAL);
	bad(uint_to_1000, NULL, -EINVAL);
	bad(uint_to_1000, "1.0", -EINVAL);
	bad(uint_to_1000, "5K", -EINVAL);
	bad(uint_to_1000, "1001", -ERANGE);
	bad(uint_to_1000, "99999999999999999999", -ERANGE);
	ck_assert_int_eq(tp_parse_uint("18446744073709551615", UINT64_MAX, &(uint64_t){ 0 }), 0);
}
END_TEST

START_TEST(fec_code_forms)
{
	unsigned k = 0, m = 0;

	ck_assert_int_eq(tp_parse_fec("32+8", 256, &k, &m), 0);
	ck_assert_uint_eq(k, 32);
	ck_assert_uint_eq(m, 8);
	ck_assert_int_eq(tp_parse_fec("1+1", 256, &k, &m), 0);
	ck_assert_int_eq(tp_parse_fec("255+1", 256, &k, &m), 0);
	ck_assert_uint_eq(k, 255);
	ck_assert_int_eq(tp_parse_fec("128+128", 256, &k, &m), 0);
	/* Out of range: a count of 0, or more than 256 symbols. */
	ck_assert_int_eq(tp_parse_fec("0+1", 256, &k, &m), -ERANGE);
	ck_assert_int_eq(tp_parse_fec("4+0", 256, &k, &m), -ERANGE);
	ck_assert_int_eq(tp_parse_fec("300+300", 256, &k, &m), -ERANGE);
	ck_assert_int_eq(tp_parse_fec("200+57", 256, &k, &m), -ERANGE);
	ck_assert_int_eq(tp_parse_fec("99999999999+1", 256, &k, &m), -ERANGE);
	/* Malformed. */
	const char *bad[] = { "4", "4+", "+2", "4 + 2", "4+2+1", "a+b", "4+2x", "", "-4+2",
			      "12345678901234567+1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(tp_parse_fec(bad[i], 256, &k, &m) == -EINVAL, "%s", bad[i]);
	ck_assert_int_eq(tp_parse_fec(NULL, 256, &k, &m), -EINVAL);
}
END_TEST

static Suite *parse_suite(void)
{
	Suite *s = suite_create("parse");
	TCase *tc;

	tc = tcase_create("size");
	tcase_add_test(tc, size_units);
	tcase_add_test(tc, size_fractions);
	tcase_add_test(tc, size_rejects);
	tcase_add_test(tc, size_range);
	suite_add_tcase(s, tc);

	tc = tcase_create("rate");
	tcase_add_test(tc, rate_units);
	tcase_add_test(tc, rate_fractions);
	tcase_add_test(tc, rate_rejects);
	tcase_add_test(tc, rate_range);
	suite_add_tcase(s, tc);

	tc = tcase_create("duration");
	tcase_add_test(tc, duration_units);
	tcase_add_test(tc, duration_fractions);
	tcase_add_test(tc, duration_rejects);
	tcase_add_test(tc, duration_range);
	suite_add_tcase(s, tc);

	tc = tcase_create("uint");
	tcase_add_test(tc, uint_forms);
	suite_add_tcase(s, tc);

	tc = tcase_create("endpoint");
	tcase_add_test(tc, endpoint_forms);
	tcase_add_test(tc, endpoint_rejects);
	tcase_add_test(tc, tcp_endpoint_forms);
	tcase_add_test(tc, tcp_endpoint_rejects);
	tcase_add_test(tc, fec_code_forms);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return tp_unit_run(parse_suite());
}
