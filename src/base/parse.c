#include "config.h"
#include "parse.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Hand-written rather than strtod(): locale-independent, and exact up to UINT64_MAX,
 * which a double (53-bit mantissa) is not. */

/* "digits[.digits]" held exactly as whole + frac / scale. */
struct decimal {
	uint64_t whole;
	uint64_t frac;
	uint64_t scale;  /* 10^(fraction digits); at most 10^19, which still fits uint64_t */
	bool overflow;   /* whole part exceeded uint64_t; reported once the syntax is known good */
};

struct unit {
	const char *suffix;
	uint64_t mult;
	bool exact;      /* result must be whole (a size can't be a fraction of a byte) */
};

#define MAX_FRAC_DIGITS 19

#define SIZE_UNITS                                                                        \
	{ "", 1, true }, { "K", UINT64_C(1) << 10, true }, { "M", UINT64_C(1) << 20, true }, \
	{ "G", UINT64_C(1) << 30, true }, { "T", UINT64_C(1) << 40, true },                  \
	{ "kB", UINT64_C(1000), true }, { "MB", UINT64_C(1000000), true },                   \
	{ "GB", UINT64_C(1000000000), true }, { "TB", UINT64_C(1000000000000), true }

static const struct unit size_units[] = { SIZE_UNITS, { NULL, 0, false } };

/* Bits per second become bytes per second: 1000^k / 8 is a whole number for k >= 1, so
 * folding the /8 into the multiplier avoids overflowing early on large bit rates. */
static const struct unit rate_units[] = {
	SIZE_UNITS,
	{ "kbit", UINT64_C(125), false },
	{ "Mbit", UINT64_C(125000), false },
	{ "Gbit", UINT64_C(125000000), false },
	{ NULL, 0, false },
};

static const struct unit duration_units[] = {
	{ "", UINT64_C(1000000000), false },
	{ "s", UINT64_C(1000000000), false },
	{ "ms", UINT64_C(1000000), false },
	{ "m", UINT64_C(60000000000), false },
	{ NULL, 0, false },
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';  /* not isdigit(): that one follows the locale */
}

/* Parse "digits[.digits]" from *pp (stopping at end); advance *pp past it. */
static int parse_decimal(const char **pp, const char *end, struct decimal *d)
{
	const char *p = *pp;

	*d = (struct decimal){ .whole = 0, .frac = 0, .scale = 1, .overflow = false };
	if (p == end || !is_digit(*p))
		return -EINVAL;
	for (; p < end && is_digit(*p); p++) {
		unsigned digit = (unsigned)(*p - '0');

		/* Keep scanning after overflow so "99999999999999999999Q" is still -EINVAL. */
		if (d->whole > (UINT64_MAX - digit) / 10)
			d->overflow = true;
		else
			d->whole = d->whole * 10 + digit;
	}
	if (p < end && *p == '.') {
		int n = 0;

		for (p++; p < end && is_digit(*p); p++) {
			if (++n > MAX_FRAC_DIGITS)
				return -EINVAL;
			d->frac = d->frac * 10 + (unsigned)(*p - '0');
			d->scale *= 10;
		}
		if (n == 0)  /* "5." and "1..2" */
			return -EINVAL;
	}
	*pp = p;
	return 0;
}

/* floor(a * b / d) with the remainder in *rem, for a < d, without a 128-bit type
 * (binary long multiplication modulo d; every step stays below d, so nothing overflows). */
static uint64_t mul_div(uint64_t a, uint64_t b, uint64_t d, uint64_t *rem)
{
	uint64_t q = 0, r = 0;

	for (int bit = 63; bit >= 0; bit--) {
		q <<= 1;  /* q never exceeds the final quotient, which is < b */
		if (r >= d - r) {
			r -= d - r;
			q++;
		} else {
			r <<= 1;
		}
		if ((b >> bit) & 1) {
			if (r >= d - a) {
				r -= d - a;
				q++;
			} else {
				r += a;
			}
		}
	}
	*rem = r;
	return q;
}

/* Parse text[0, len) as a decimal followed by exactly one of the units' suffixes. */
static int parse_with(const char *text, size_t len, const struct unit *units, uint64_t *out)
{
	const char *p = text, *end = text + len;
	size_t rest;
	const struct unit *u;
	struct decimal d;
	uint64_t whole, part, rem;
	int err = parse_decimal(&p, end, &d);

	if (err)
		return err;
	rest = (size_t)(end - p);
	for (u = units; u->suffix; u++)
		if (strlen(u->suffix) == rest && memcmp(u->suffix, p, rest) == 0)
			break;
	if (!u->suffix)
		return -EINVAL;

	if (d.overflow || d.whole > UINT64_MAX / u->mult)
		return -ERANGE;
	whole = d.whole * u->mult;
	part = mul_div(d.frac, u->mult, d.scale, &rem);
	if (part > UINT64_MAX - whole)
		return -ERANGE;
	if (u->exact && rem != 0)  /* "1.5" bytes, "0.1K" = 102.4 bytes */
		return -EINVAL;
	*out = whole + part;  /* rounded down when inexact is allowed */
	return 0;
}

int tp_parse_size(const char *text, uint64_t *bytes)
{
	if (!text)
		return -EINVAL;
	return parse_with(text, strlen(text), size_units, bytes);
}

int tp_parse_rate(const char *text, uint64_t *bytes_per_sec)
{
	size_t len;

	if (!text)
		return -EINVAL;
	len = strlen(text);
	/* One optional "/s"; a second one is left in place and fails as an unknown suffix. */
	if (len >= 2 && memcmp(text + len - 2, "/s", 2) == 0)
		len -= 2;
	return parse_with(text, len, rate_units, bytes_per_sec);
}

int tp_parse_duration(const char *text, uint64_t *nsec)
{
	if (!text)
		return -EINVAL;
	return parse_with(text, strlen(text), duration_units, nsec);
}

int tp_parse_uint(const char *text, uint64_t max, uint64_t *value)
{
	struct decimal d;
	const char *p = text, *end;

	if (!text)
		return -EINVAL;
	end = text + strlen(text);
	int err = parse_decimal(&p, end, &d);
	if (err || p != end || d.scale != 1)
		return -EINVAL; /* "+5", " 1", "1.0", "5x" */
	if (d.overflow || d.whole > max)
		return -ERANGE;
	*value = d.whole;
	return 0;
}

int tp_parse_fec(const char *text, unsigned max, unsigned *k, unsigned *m)
{
	const char *plus = text ? strchr(text, '+') : NULL;
	char first[16];
	uint64_t a, b;
	int err;

	if (!plus || (size_t)(plus - text) >= sizeof(first))
		return -EINVAL;
	memcpy(first, text, (size_t)(plus - text));
	first[plus - text] = '\0';
	/* Both are parsed before the range is judged: "x+0" is malformed, not out of range. */
	int ea = tp_parse_uint(first, UINT32_MAX, &a), eb = tp_parse_uint(plus + 1, UINT32_MAX, &b);
	err = ea == -EINVAL || eb == -EINVAL ? -EINVAL : ea ? ea : eb;
	if (err)
		return err;
	if (a == 0 || b == 0 || a + b > max)
		return -ERANGE;
	*k = (unsigned)a;
	*m = (unsigned)b;
	return 0;
}

/* "SCHEME[ADDR]:PORT" for the scheme given ("udp://", "tcp://"): as tp_parse_udp_endpoint. */
static int parse_endpoint(const char *scheme, const char *text, char *host, size_t hostlen,
			  unsigned *port)
{
	size_t slen = strlen(scheme);
	const char *h, *h_end, *colon;

	if (!text || strncmp(text, scheme, slen) != 0)
		return 0;
	h = text + slen;
	if (*h == '[') { /* an IPv6 address: its colons are not the port's */
		h_end = strchr(++h, ']');
		if (!h_end || h_end == h || h_end[1] != ':')
			return -EINVAL;
		colon = h_end + 1;
	} else {
		colon = strrchr(h, ':');
		if (!colon || memchr(h, ':', (size_t)(colon - h)))
			return -EINVAL; /* a bare IPv6 address needs brackets */
		h_end = colon;
	}
	const char *p = colon + 1;
	if (*p == 0 || strspn(p, "0123456789") != strlen(p))
		return -EINVAL;
	if (strlen(p) > 5 || strtoul(p, NULL, 10) > 65535)
		return -ERANGE;
	if ((size_t)(h_end - h) >= hostlen)
		return -ERANGE;
	memcpy(host, h, (size_t)(h_end - h));
	host[h_end - h] = 0;
	*port = (unsigned)strtoul(p, NULL, 10);
	return 1;
}

int tp_parse_udp_endpoint(const char *text, char *host, size_t hostlen, unsigned *port)
{
	return parse_endpoint("udp://", text, host, hostlen, port);
}

int tp_parse_tcp_endpoint(const char *text, char *host, size_t hostlen, unsigned *port)
{
	return parse_endpoint("tcp://", text, host, hostlen, port);
}
